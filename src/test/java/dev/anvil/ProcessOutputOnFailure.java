package dev.anvil;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * When a test fails, or its set-up or tear-down does, adds the last lines of every process the
 * test class started ({@link NodeProcess}: a supervisor's lines include its nodes') to the
 * failure, so a report says why a wait timed out and not only where. Registered for every test
 * class through JUnit's extension auto-detection (src/test/resources/META-INF/services).
 */
public final class ProcessOutputOnFailure implements BeforeAllCallback, TestExecutionExceptionHandler,
    LifecycleMethodExecutionExceptionHandler {

  static final int TAIL_LINES = 80;
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(ProcessOutputOnFailure.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    context.getStore(NAMESPACE).put("since", System.nanoTime());
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    throw withOutput(context, failure);
  }

  @Override
  public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    throw withOutput(context, failure);
  }

  @Override
  public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    throw withOutput(context, failure);
  }

  @Override
  public void handleAfterEachMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    throw withOutput(context, failure);
  }

  @Override
  public void handleAfterAllMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
    throw withOutput(context, failure);
  }

  private static Throwable withOutput(ExtensionContext context, Throwable failure) {
    Long since = context.getStore(NAMESPACE).get("since", Long.class);
    String tails = NodeProcess.tailsOfProcessesStartedSince(since == null ? Long.MIN_VALUE : since, TAIL_LINES);
    if (!tails.isEmpty() && !String.valueOf(failure.getMessage()).contains(tails)) {
      failure.addSuppressed(new ProcessOutput(tails));
    }
    return failure;
  }

  /** Carries the processes' output into the report (surefire and failsafe print suppressed exceptions). */
  static final class ProcessOutput extends RuntimeException {
    ProcessOutput(String tails) {
      super("output of the processes this test started:\n" + tails, null, false, false);
    }
  }
}
