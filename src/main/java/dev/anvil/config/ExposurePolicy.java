package dev.anvil.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A node serves anonymous HTTP only on loopback. On any other address it needs API tokens,
 * or the operator's explicit word that anyone who reaches the address may use it.
 */
public final class ExposurePolicy {
  private ExposurePolicy() {}

  /** @return a warning to log, or null; throws IllegalArgumentException when the node must not start */
  public static String check(HttpSettings http) {
    if (http.tokensRequired() || isLoopback(http.host())) {
      return null;
    }
    if (http.allowAnonymous()) {
      return "Serving HTTP on " + http.host() + " with no API tokens: anyone who reaches this address can run"
          + " tasks (anvil.http.allow-anonymous is on)";
    }
    throw new IllegalArgumentException("refusing to serve HTTP on " + http.host() + " without API tokens. Set"
        + " ANVIL_API_TOKENS=<token>[,<token>...] (or anvil.http.api-tokens), or ANVIL_TOKENS_FILE, so clients must send"
        + " 'Authorization: Bearer <token>', or set ANVIL_ALLOW_ANONYMOUS=true to serve anyone who can reach"
        + " this address, or bind to 127.0.0.1.");
  }

  static boolean isLoopback(String host) {
    try {
      InetAddress[] addresses = InetAddress.getAllByName(host);
      for (InetAddress a : addresses) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return addresses.length > 0;
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("cannot resolve the HTTP host '" + host + "'", e);
    }
  }
}
