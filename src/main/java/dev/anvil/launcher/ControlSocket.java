package dev.anvil.launcher;

import dev.anvil.config.SettingsCheck;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * How {@code roll}, {@code stop} and {@code status} reach a running supervisor without signals
 * (SIGHUP is ignored under nohup; signals need the pid): a Unix domain socket beside the status
 * file, named after the HTTP port the supervisor serves, readable and writable by its user only
 * (the directory is the user's). One line in, the command; lines out, its progress.
 */
final class ControlSocket implements AutoCloseable {

  private final Path path;
  private final java.util.concurrent.atomic.AtomicInteger active = new java.util.concurrent.atomic.AtomicInteger();
  private ServerSocketChannel server;

  ControlSocket(Path path) {
    this.path = path;
  }

  /** The socket of the supervisor serving {@code httpPort} for this user. */
  static Path pathFor(int httpPort) {
    return runDir().resolve("anvil-" + httpPort + ".sock");
  }

  static Path statusFileFor(int httpPort) {
    return runDir().resolve("anvil-" + httpPort + ".json");
  }

  /** A directory of this user's own: $XDG_RUNTIME_DIR, else a private one under the temp dir. */
  static Path runDir() {
    String xdg = System.getenv("XDG_RUNTIME_DIR");
    Path dir = xdg != null && !xdg.isBlank() ? Path.of(xdg)
        : Path.of(System.getProperty("java.io.tmpdir"), "anvil-" + System.getProperty("user.name"));
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir);
        dir.toFile().setReadable(false, false);
        dir.toFile().setReadable(true, true);
        dir.toFile().setWritable(false, false);
        dir.toFile().setWritable(true, true);
        dir.toFile().setExecutable(false, false);
        dir.toFile().setExecutable(true, true);
      }
    } catch (IOException e) {
      throw new SettingsCheck.BadSetting("cannot create " + dir + ": " + e.getMessage());
    }
    return dir;
  }

  /**
   * Binds the socket; refuses when another supervisor already answers on it (it serves the same
   * HTTP port), and takes over a stale one left by a supervisor that was killed.
   */
  void bind(int httpPort) {
    if (Files.exists(path)) {
      try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
        throw new SettingsCheck.BadSetting("another Anvil supervisor already serves HTTP port " + httpPort
            + " on this machine; stop it ('" + Commands.self() + " stop --http-port " + httpPort
            + "') or give another --http-port");
      } catch (IOException stale) {
        try {
          Files.deleteIfExists(path);
        } catch (IOException e) {
          throw new SettingsCheck.BadSetting("cannot remove the stale control socket " + path + ": " + e.getMessage());
        }
      }
    }
    try {
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(path));
    } catch (IOException e) {
      throw new SettingsCheck.BadSetting("cannot open the control socket " + path + ": " + e.getMessage());
    }
  }

  /** Answers commands on a thread of its own until closed. */
  void serve(Supervisor supervisor) {
    Thread acceptor = new Thread(() -> {
      while (server.isOpen()) {
        try {
          SocketChannel client = server.accept();
          active.incrementAndGet();
          Thread handler = new Thread(() -> {
            try {
              handle(client, supervisor);
            } finally {
              active.decrementAndGet();
            }
          }, "supervisor-control-client");
          handler.setDaemon(true);
          handler.start();
        } catch (IOException e) {
          return; // closed
        }
      }
    }, "supervisor-control");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private static void handle(SocketChannel client, Supervisor supervisor) {
    try (client;
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client),
            StandardCharsets.UTF_8));
        PrintWriter out = new PrintWriter(Channels.newOutputStream(client), true, StandardCharsets.UTF_8)) {
      String command = in.readLine();
      Consumer<String> report = line -> {
        supervisor.log(line);
        out.println(line);
      };
      switch (command == null ? "" : command.trim()) {
        case "roll" -> out.println(supervisor.rollingRestart(report) ? "ok" : "failed");
        case "stop" -> {
          out.println("Stopping every node gracefully");
          out.flush();
          supervisor.stopAll();
          out.println("ok");
        }
        case "status" -> {
          out.println(supervisor.status());
          out.println("ok");
        }
        default -> out.println("unknown command '" + command + "'; known: roll, stop, status");
      }
    } catch (IOException ignored) {
      // the client went away
    }
  }

  /** Stops accepting; lets a command still answering (a 'stop' that ended us) finish its reply first. */
  @Override
  public void close() {
    long deadline = System.nanoTime() + 2_000_000_000L;
    while (active.get() > 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    try {
      if (server != null) {
        server.close();
      }
      Files.deleteIfExists(path);
    } catch (IOException ignored) {
      // gone already
    }
  }
}
