package com.example;

import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.spi.InvalidInputException;
import dev.anvil.compute.spi.TaskContext;

/**
 * Holds its worker for {@code ms} milliseconds without using the CPU: the scaling benchmark
 * runs up to 24 one-worker nodes on two cores, and measures routing, not computing.
 */
public final class Nap implements ComputeTask<Nap.Input, Nap.Result> {
  public record Input(Integer ms) {}

  public record Result(int ms) {}

  @Override public String kind() { return "nap"; }

  @Override public String description() { return "Holds a worker for ms milliseconds, idle (scaling benchmark kind)"; }

  @Override public Class<Input> inputType() { return Input.class; }

  @Override public Input exampleInput() { return new Input(10); }

  @Override public void validate(Input in) {
    InvalidInputException.inRange(in.ms(), "ms", 0, 60_000);
  }

  @Override public Result run(Input in, TaskContext ctx) throws InterruptedException {
    long end = System.nanoTime() + in.ms() * 1_000_000L;
    for (long left = end - System.nanoTime(); left > 0 && !ctx.isCancelled(); left = end - System.nanoTime()) {
      Thread.sleep(Math.min(5, Math.max(1, left / 1_000_000)));
    }
    return new Result(in.ms());
  }
}
