package com.example;

import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.spi.InvalidInputException;
import dev.anvil.compute.spi.TaskContext;

/**
 * The benchmark's task, added as a user's own kind: a plain sieve of Eratosthenes, the same
 * algorithm as bench/node/sieve.js, so both languages run the same work. Limit 10 is a
 * near-empty task, 200,000 about 1 ms of one core here, 2,000,000 about 10 ms.
 */
public final class Sieve implements ComputeTask<Sieve.Input, Sieve.Result> {
  public record Input(Integer limit) {}

  public record Result(int limit, long count) {}

  @Override public String kind() { return "sieve"; }

  @Override public String description() { return "Primes up to limit by a plain sieve (benchmark kind)"; }

  @Override public Class<Input> inputType() { return Input.class; }

  @Override public Input exampleInput() { return new Input(100); }

  @Override public void validate(Input in) {
    InvalidInputException.inRange(in.limit(), "limit", 0, 200_000_000);
  }

  @Override public Result run(Input in, TaskContext ctx) {
    return new Result(in.limit(), count(in.limit(), ctx));
  }

  /** Also called by bench/RawCompute.java, with no server around it. */
  public static long count(int limit, TaskContext ctx) {
    if (limit < 2) {
      return 0;
    }
    byte[] composite = new byte[limit + 1];
    long count = 0;
    for (int i = 2; i <= limit; i++) {
      if (composite[i] == 0) {
        count++;
        if ((long) i * i <= limit) {
          for (int j = i * i; j <= limit; j += i) {
            composite[j] = 1;
          }
          ctx.checkCancelled(); // once per prime up to the square root: a few hundred times
        }
      }
    }
    return count;
  }
}
