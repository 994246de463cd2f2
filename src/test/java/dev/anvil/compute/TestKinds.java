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

  public record Trip(Boolean trip) {}

  /** Its validate has a bug that throws when {@code trip} is true: a kind's own code failing while its input is read. */
  public static final class BadValidate implements ComputeTask<Trip, Boolean> {
    @Override public String kind() { return "test-bad-validate"; }
    @Override public String description() { return "throws from validate when asked to"; }
    @Override public Class<Trip> inputType() { return Trip.class; }
    @Override public Trip exampleInput() { return new Trip(false); }
    @Override public void validate(Trip input) {
      if (Boolean.TRUE.equals(input.trip())) {
        throw new IllegalStateException("a bug in validate");
      }
    }
    @Override public Boolean run(Trip input, TaskContext context) {
      return input.trip();
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

  /** Static initializers that fail: the JVM throws ExceptionInInitializerError at a class's first use, then NoClassDefFoundError. */
  static final class BrokenStatics {
    static final int VALUE = Integer.parseInt(System.getProperty("anvil.test.no-such-property", "not a number"));
  }

  static final class OtherBrokenStatics {
    static final int VALUE = Integer.parseInt(System.getProperty("anvil.test.no-such-property", "not a number"));
  }

  /** Which broken class to use: each test that wants the first use of one takes its own. */
  public record Which(Integer which) {}

  /** Uses a class whose static initializer fails, as a kind whose jar is broken would. */
  public static final class BrokenInit implements ComputeTask<Which, Integer> {
    @Override public String kind() { return "test-broken-init"; }
    @Override public String description() { return "uses a class that cannot be initialized"; }
    @Override public Class<Which> inputType() { return Which.class; }
    @Override public Which exampleInput() { return new Which(null); }
    @Override public void validate(Which input) {}
    @Override public Integer run(Which input, TaskContext context) {
      return input.which() == null ? BrokenStatics.VALUE : OtherBrokenStatics.VALUE;
    }
  }

  /** Asks for one array larger than any heap of these tests: OutOfMemoryError, with the heap itself fine. */
  public static final class Oom implements ComputeTask<Nothing, Integer> {
    @Override public String kind() { return "test-oom"; }
    @Override public String description() { return "one allocation too large"; }
    @Override public Class<Nothing> inputType() { return Nothing.class; }
    @Override public Nothing exampleInput() { return new Nothing(null); }
    @Override public void validate(Nothing input) {}
    @Override public Integer run(Nothing input, TaskContext context) {
      long[] huge = new long[Integer.MAX_VALUE - 16];
      return huge.length;
    }
  }

  /** Computes for {@code ms} and never looks at cancellation, interrupts included: stuck past its deadline. */
  public static final class Stubborn implements ComputeTask<Millis, Long> {
    @Override public String kind() { return "test-stubborn"; }
    @Override public String description() { return "ignores cancellation"; }
    @Override public Class<Millis> inputType() { return Millis.class; }
    @Override public Millis exampleInput() { return new Millis(1); }
    @Override public void validate(Millis input) {}
    @Override public Long run(Millis input, TaskContext context) {
      long end = System.nanoTime() + input.ms() * 1_000_000L;
      long spins = 0;
      while (System.nanoTime() < end) {
        spins++;
      }
      return spins;
    }
  }

  /** Throws an Error that no task should: it fails this task alone. */
  public static final class Die implements ComputeTask<Nothing, Nothing> {
    @Override public String kind() { return "test-die"; }
    @Override public String description() { return "kills its worker"; }
    @Override public Class<Nothing> inputType() { return Nothing.class; }
    @Override public Nothing exampleInput() { return new Nothing(null); }
    @Override public void validate(Nothing input) {}
    @Override public Nothing run(Nothing input, TaskContext context) {
      throw new Error("a task's own error");
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
