package dev.anvil.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;

/**
 * The bearer tokens that may call {@code /v1}. Tokens are kept as SHA-256 digests and compared
 * with {@link MessageDigest#isEqual} against every one, so neither the length nor the content
 * of a guess changes how long the check takes.
 */
public final class ApiTokens {

  private final List<byte[]> digests;

  private ApiTokens(List<byte[]> digests) {
    this.digests = digests;
  }

  public static ApiTokens of(List<String> tokens) {
    return new ApiTokens(tokens.stream().map(String::trim).filter(t -> !t.isEmpty()).map(ApiTokens::sha256).toList());
  }

  /** {@code "a, b"} to tokens; blank means none. */
  public static List<String> parse(String tokens) {
    return Arrays.stream(tokens.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
  }

  /** No tokens configured: the API is open (to whoever can reach its address). */
  public boolean isEmpty() {
    return digests.isEmpty();
  }

  public boolean accepts(String presented) {
    byte[] digest = sha256(presented);
    boolean match = false;
    for (byte[] known : digests) {
      match |= MessageDigest.isEqual(known, digest);
    }
    return match;
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
