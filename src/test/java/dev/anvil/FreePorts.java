package dev.anvil;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Free TCP ports on loopback, for processes that must be told their ports up front. */
public final class FreePorts {
  private FreePorts() {}

  public static int one() {
    return range(1);
  }

  /** The first of {@code count} consecutive ports that are all free now. */
  public static int range(int count) {
    for (int attempt = 0; attempt < 200; attempt++) {
      // below Linux's ephemeral ports (32768-60999), which outgoing connections take
      int first = ThreadLocalRandom.current().nextInt(20_000, 32_000 - count);
      boolean free = true;
      for (int p = first; p < first + count && free; p++) {
        free = isFree(p);
      }
      if (free) {
        return first;
      }
    }
    throw new IllegalStateException("no " + count + " consecutive free ports found");
  }

  private static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(false);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
