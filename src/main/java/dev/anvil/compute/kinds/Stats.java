package dev.anvil.compute.kinds;

import static dev.anvil.compute.spi.InvalidInputException.require;
import static dev.anvil.compute.spi.InvalidInputException.required;

import dev.anvil.compute.spi.ComputeTask;
import dev.anvil.compute.spi.TaskContext;
import java.util.Arrays;

/** Summary statistics of a list of numbers; percentiles interpolate linearly between ranks. */
public final class Stats implements ComputeTask<Stats.Input, Stats.Result> {

  public static final int MAX_VALUES = 1_000_000;
  /** Keeps squares and sums finite, so no result is Infinity or NaN. */
  public static final double MAX_MAGNITUDE = 1e100;

  public record Input(double[] values) {}

  public record Result(
      int count, double mean, double stddev, double min, double max, double p50, double p90, double p99) {}

  @Override
  public String kind() {
    return "stats";
  }

  @Override
  public String description() {
    return "Count, mean, population stddev, min, max, p50, p90, p99 of 1 to " + MAX_VALUES + " numbers";
  }

  @Override
  public Class<Input> inputType() {
    return Input.class;
  }

  @Override
  public Input exampleInput() {
    return new Input(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  }

  @Override
  public void validate(Input input) {
    double[] values = required(input.values(), "values");
    require(values.length >= 1, "values", "values must hold at least one number");
    require(values.length <= MAX_VALUES, "values", "values must hold at most " + MAX_VALUES + " numbers, had " + values.length);
    for (int i = 0; i < values.length; i++) {
      double v = values[i];
      require(Math.abs(v) <= MAX_MAGNITUDE, "values[" + i + "]",
          "values[" + i + "] must be a finite number within +-" + MAX_MAGNITUDE);
    }
  }

  @Override
  public Result run(Input input, TaskContext context) {
    double[] sorted = input.values().clone();
    int n = sorted.length;
    double mean = 0;
    double m2 = 0; // Welford: stable where the naive sum of squares cancels
    for (int i = 0; i < n; i++) {
      double delta = sorted[i] - mean;
      mean += delta / (i + 1);
      m2 += delta * (sorted[i] - mean);
    }
    context.checkCancelled();
    Arrays.sort(sorted);
    context.checkCancelled();
    return new Result(n, mean, Math.sqrt(m2 / n), sorted[0], sorted[n - 1],
        percentile(sorted, 0.50), percentile(sorted, 0.90), percentile(sorted, 0.99));
  }

  static double percentile(double[] sorted, double p) {
    double rank = p * (sorted.length - 1);
    int lo = (int) Math.floor(rank);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
  }
}
