package dev.anvil.client;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What every client command shares: {@code --url}/{@code --token}, output through picocli's writers
 * (so tests capture it), and one exit status per outcome, with a one-line message on stderr.
 */
abstract class ClientCommand implements Callable<Integer> {

  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;
  static final int UNREACHABLE = 3;

  // For the exit code list of each command's help (annotation values must be constants).
  static final String EXIT_OK = "0:success";
  static final String EXIT_FAILED = "1:the server refused the request (4xx, 5xx: its detail is printed)";
  static final String EXIT_USAGE = "2:usage error (bad option or input)";
  static final String EXIT_UNREACHABLE = "3:cannot reach the server (refused, unknown host, no answer)";
  static final String EXIT_HEADING = "%nExit status:%n";

  @Spec CommandSpec spec;
  @Mixin ApiOptions api;

  /** The command's work; returns its exit status, or throws a {@link ClientException} that says why not. */
  abstract int run(ApiClient client) throws ClientException, InterruptedException;

  @Override
  public final Integer call() throws InterruptedException {
    try {
      return run(api.client());
    } catch (ClientException e) {
      fail(e.getMessage());
      return e.exitCode();
    } finally {
      out().flush();
      err().flush();
    }
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** {@code anvil jobs watch: <message>}, on stderr. */
  void fail(String message) {
    err().println(spec.qualifiedName() + ": " + message);
  }
}
