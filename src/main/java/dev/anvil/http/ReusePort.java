package dev.anvil.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.StandardSocketOptions;
import org.apache.pekko.io.Inet;

/**
 * SO_REUSEPORT on the listening socket, so every node JVM of a machine binds the same HTTP
 * port and the kernel spreads connections over them. Pekko 1.x has no built-in option for it.
 */
final class ReusePort extends Inet.AbstractSocketOption {
  private static final long serialVersionUID = 1L;

  @Override
  public void beforeServerSocketBind(ServerSocket socket) {
    try {
      socket.getChannel().setOption(StandardSocketOptions.SO_REUSEPORT, true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
