package dev.anvil.compute.kinds;

import static dev.anvil.compute.spi.InvalidInputException.inRange;

import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.spi.TaskContext;

/** Burns one core for about {@code ms} milliseconds: the kind for load and timeout tests. */
public final class Spin implements ComputeTask<Spin.Input, Spin.Result> {

  /** The longest deadline a request may ask for by default (anvil.compute.max-timeout): no longer spin can finish. */
  public static final int MAX_MS = 120_000;
  private static final int BATCH = 4096;

  public record Input(Integer ms) {}

  public record Result(int ms, long iterations) {}

  @Override
  public String kind() {
    return "spin";
  }

  @Override
  public String description() {
    return "Burns CPU for about ms milliseconds, checking for cancellation; 0 <= ms <= " + MAX_MS;
  }

  @Override
  public Class<Input> inputType() {
    return Input.class;
  }

  @Override
  public Input exampleInput() {
    return new Input(10);
  }

  @Override
  public void validate(Input input) {
    inRange(input.ms(), "ms", 0, MAX_MS);
  }

  @Override
  public Result run(Input input, TaskContext context) {
    long end = System.nanoTime() + input.ms() * 1_000_000L;
    long iterations = 0;
    long x = 0x9E3779B97F4A7C15L;
    long start = System.nanoTime();
    while (System.nanoTime() < end) {
      context.checkCancelled();
      if (input.ms() > 0) {
        context.reportProgress((System.nanoTime() - start) / (input.ms() * 1e6));
      }
      for (int i = 0; i < BATCH; i++) {
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
      }
      iterations += BATCH;
    }
    // x feeds the result so the JIT cannot drop the loop; it is never 0 for a non-zero seed
    return new Result(input.ms(), x == 0 ? -1 : iterations);
  }
}
