package dev.anvil.compute.kinds;

import dev.anvil.compute.spi.TaskCancelledException;
import dev.anvil.compute.spi.TaskContext;
import java.time.Duration;

/** TaskContexts for calling kinds directly. */
final class Contexts {
  private Contexts() {}

  static TaskContext unlimited() {
    return new Fixed(false);
  }

  static TaskContext cancelled() {
    return new Fixed(true);
  }

  private record Fixed(boolean cancelled) implements TaskContext {
    @Override public Duration remaining() { return cancelled ? Duration.ZERO : Duration.ofHours(1); }
    @Override public boolean isCancelled() { return cancelled; }
    @Override public void checkCancelled() {
      if (cancelled) {
        throw new TaskCancelledException("cancelled");
      }
    }
    @Override public void reportProgress(double fraction) {}
  }
}
