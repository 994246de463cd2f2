package dev.anvil.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code roll} and {@code stop}: commands for a running {@code start}, through its control socket, so
 * they work whatever its signal dispositions (nohup) and without its pid. (The socket also answers
 * {@code status} with the supervisor's slots; the {@code status} command reads them, with the
 * cluster, from {@code GET /v1/cluster}, which works from any machine.)
 */
public final class Commands {
  private Commands() {}

  /** How a user runs this program, for messages: {@code java -jar <jar>} or {@code anvil}. */
  static String self() {
    try {
      Path location = Path.of(Commands.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return location.toString().endsWith(".jar") ? "java -jar " + location : "anvil";
    } catch (Exception e) {
      return "anvil";
    }
  }

  abstract static class ControlCommand implements Callable<Integer> {
    @Option(names = "--http-port", paramLabel = "PORT",
        description = "The HTTP port of the 'start' to reach (env ANVIL_HTTP_PORT; default 8080)")
    Integer httpPort;

    abstract String command();

    @Override
    public Integer call() {
      int port = httpPort != null ? httpPort : System.getenv("ANVIL_HTTP_PORT") != null
          ? Integer.parseInt(System.getenv("ANVIL_HTTP_PORT").trim()) : 8080;
      Path socket = ControlSocket.pathFor(port);
      try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
          PrintWriter out = new PrintWriter(Channels.newOutputStream(channel), true, StandardCharsets.UTF_8);
          BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
              StandardCharsets.UTF_8))) {
        out.println(command());
        String last = null;
        for (String line; (line = in.readLine()) != null; ) {
          if (!line.equals("ok") && !line.equals("failed")) {
            System.out.println(line);
          }
          last = line;
        }
        return "ok".equals(last) || (command().equals("stop") && last != null) ? 0 : 1;
      } catch (IOException e) {
        System.err.println("anvil " + command() + ": no Anvil 'start' serves HTTP port " + port
            + " on this machine for this user (" + socket + ": " + e.getMessage() + ")");
        return 1;
      }
    }
  }

  @Command(name = "roll", mixinStandardHelpOptions = true, versionProvider = dev.anvil.config.AnvilVersion.class,
      description = "Restarts the nodes of a running 'start' one at a time; returns when done.")
  public static final class Roll extends ControlCommand {
    @Override
    String command() {
      return "roll";
    }
  }

  @Command(name = "stop", mixinStandardHelpOptions = true, versionProvider = dev.anvil.config.AnvilVersion.class,
      description = "Stops a running 'start' gracefully: every node drains and leaves; returns when done.")
  public static final class Stop extends ControlCommand {
    @Override
    String command() {
      return "stop";
    }
  }
}
