package dev.anvil.client;

/** Why a client command did not succeed, with its exit status; printed as one line, never a stack trace. */
final class ClientException extends Exception {

  private final int exitCode;

  ClientException(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  /** The server answered, but not with success (a 4xx or 5xx), or the task or job failed. */
  static ClientException failed(String message) {
    return new ClientException(ClientCommand.FAILED, message);
  }

  /** No HTTP answer at all: refused, unknown host, timed out, reset. */
  static ClientException unreachable(String message) {
    return new ClientException(ClientCommand.UNREACHABLE, message);
  }

  int exitCode() {
    return exitCode;
  }
}
