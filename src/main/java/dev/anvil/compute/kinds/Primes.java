package dev.anvil.compute.kinds;

import static dev.anvil.compute.spi.InvalidInputException.inRange;

import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.spi.TaskContext;
import java.util.Arrays;

/** Counts the primes up to a limit with a segmented, odd-only sieve of Eratosthenes. */
public final class Primes implements ComputeTask<Primes.Input, Primes.Result> {

  public static final int MAX_LIMIT = 200_000_000;
  /** Odd numbers per segment: 32 KiB of bits, so a segment stays in L1/L2 cache. */
  private static final int SEGMENT = 1 << 18;

  public record Input(Integer limit) {}

  public record Result(int limit, long count) {}

  @Override
  public String kind() {
    return "primes";
  }

  @Override
  public String description() {
    return "Counts the primes <= limit (sieve of Eratosthenes); 0 <= limit <= " + MAX_LIMIT;
  }

  @Override
  public Class<Input> inputType() {
    return Input.class;
  }

  @Override
  public Input exampleInput() {
    return new Input(1_000_000);
  }

  @Override
  public void validate(Input input) {
    inRange(input.limit(), "limit", 0, MAX_LIMIT);
  }

  @Override
  public Result run(Input input, TaskContext context) {
    return new Result(input.limit(), count(input.limit(), context));
  }

  /** The number of primes {@code <= limit}. */
  static long count(int limit, TaskContext context) {
    if (limit < 2) {
      return 0;
    }
    int[] basePrimes = oddPrimesUpTo((int) Math.sqrt(limit));
    long count = 1; // the prime 2; the sieve below covers odd n = 2i + 1, i >= 1
    long maxIndex = (limit - 1L) / 2;
    long[] bits = new long[SEGMENT / 64];
    for (long lo = 1; lo <= maxIndex; lo += SEGMENT) {
      context.checkCancelled();
      int len = (int) Math.min(SEGMENT, maxIndex + 1 - lo);
      long lowN = 2 * lo + 1;
      long highN = 2 * (lo + len - 1) + 1;
      Arrays.fill(bits, 0L);
      for (int p : basePrimes) {
        long first = (long) p * p;
        if (first > highN) {
          break;
        }
        if (first < lowN) {
          first = (lowN + p - 1) / p * p;
          if ((first & 1) == 0) {
            first += p;
          }
        }
        for (int j = (int) ((first - 1) / 2 - lo); j < len; j += p) {
          bits[j >>> 6] |= 1L << j;
        }
      }
      count += len - countSetBits(bits, len);
    }
    return count;
  }

  private static int countSetBits(long[] bits, int len) {
    int full = len >>> 6;
    int set = 0;
    for (int i = 0; i < full; i++) {
      set += Long.bitCount(bits[i]);
    }
    int rest = len & 63;
    if (rest > 0) {
      set += Long.bitCount(bits[full] & ((1L << rest) - 1));
    }
    return set;
  }

  /** Odd primes {@code <= n} by a plain sieve; n is at most sqrt(MAX_LIMIT), about 14,142. */
  private static int[] oddPrimesUpTo(int n) {
    boolean[] composite = new boolean[n + 1];
    int[] primes = new int[n + 1];
    int found = 0;
    for (int i = 3; i <= n; i += 2) {
      if (!composite[i]) {
        primes[found++] = i;
        for (long j = (long) i * i; j <= n; j += 2L * i) {
          composite[(int) j] = true;
        }
      }
    }
    return Arrays.copyOf(primes, found);
  }
}
