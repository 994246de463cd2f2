package dev.anvil.compute;

import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.spi.TaskContext;

/** Kinds that exist only in tests, registered through the test class path's service file. */
public final class TestKinds {
  private TestKinds() {}

  public record Nothing(Integer unused) {}

  public record Millis(Integer ms) {}

  /** Always throws: a task whose own code fails. */
  public static final class Fail implements ComputeTask<Nothing, Nothing> {
    @Override public String kind() { return "test-fail"; }
    @Override public String description() { return "throws"; }
    @Override public Class<Nothing> inputType() { return Nothing.class; }
    @Override public Nothing exampleInput() { return new Nothing(null); }
    @Override public void validate(Nothing input) {}
    @Override public Nothing run(Nothing input, TaskContext context) {
      throw new IllegalStateException("boom");
    }
  }

  /** Answers the name of the thread it ran on. */
  public static final class ThreadName implements ComputeTask<Nothing, String> {
    @Override public String kind() { return "test-thread"; }
    @Override public String description() { return "names its thread"; }
    @Override public Class<Nothing> inputType() { return Nothing.class; }
    @Override public Nothing exampleInput() { return new Nothing(null); }
    @Override public void validate(Nothing input) {}
    @Override public String run(Nothing input, TaskContext context) {
      return Thread.currentThread().getName();
    }
  }

  public record Size(Integer size) {}

  /** Answers a string of {@code size} letters that do not compress: a large result. */
  public static final class Letters implements ComputeTask<Size, String> {
    @Override public String kind() { return "test-letters"; }
    @Override public String description() { return "a long string"; }
    @Override public Class<Size> inputType() { return Size.class; }
    @Override public Size exampleInput() { return new Size(10); }
    @Override public void validate(Size input) {}
    @Override public String run(Size input, TaskContext context) {
      java.util.Random random = new java.util.Random(input.size());
      StringBuilder letters = new StringBuilder(input.size());
      for (int i = 0; i < input.size(); i++) {
        letters.append((char) ('a' + random.nextInt(26)));
      }
      return letters.toString();
    }
  }

  /** Throws an Error no task should: the worker actor running it fails and stops. */
  public static final class Die implements ComputeTask<Nothing, Nothing> {
    @Override public String kind() { return "test-die"; }
    @Override public String description() { return "kills its worker"; }
    @Override public Class<Nothing> inputType() { return Nothing.class; }
    @Override public Nothing exampleInput() { return new Nothing(null); }
    @Override public void validate(Nothing input) {}
    @Override public Nothing run(Nothing input, TaskContext context) {
      throw new Error("the worker dies");
    }
  }

  /** Blocks in Thread.sleep without ever checking cancellation: only an interrupt stops it. */
  public static final class Sleep implements ComputeTask<Millis, Millis> {
    @Override public String kind() { return "test-sleep"; }
    @Override public String description() { return "sleeps"; }
    @Override public Class<Millis> inputType() { return Millis.class; }
    @Override public Millis exampleInput() { return new Millis(1); }
    @Override public void validate(Millis input) {}
    @Override public Millis run(Millis input, TaskContext context) throws InterruptedException {
      Thread.sleep(input.ms());
      return input;
    }
  }
}
