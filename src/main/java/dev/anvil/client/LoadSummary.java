package dev.anvil.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * What a load run measured.
 *
 * @param latency of the 200 answers, in microseconds
 * @param statuses answers by HTTP status
 * @param details the first problem detail seen for each status other than 200
 * @param errors requests with no HTTP answer, by cause (refused, timeout, ...)
 * @param cutOff requests still waiting for their answer when the duration was over: not counted elsewhere
 */
record LoadSummary(String kind, int concurrency, long elapsedNanos, Histogram latency,
    SortedMap<Integer, Long> statuses, Map<Integer, String> details, SortedMap<String, Long> errors, long cutOff) {

  long requests() {
    return statuses.values().stream().mapToLong(Long::longValue).sum()
        + errors.values().stream().mapToLong(Long::longValue).sum();
  }

  long succeeded() {
    return statuses.getOrDefault(200, 0L);
  }

  double seconds() {
    return elapsedNanos / 1e9;
  }

  double tasksPerSecond() {
    return succeeded() / seconds();
  }

  private double millis(long micros) {
    return micros / 1000.0;
  }

  void printText(PrintWriter out) {
    out.printf("%s for %.1f s, %d concurrent%n", kind, seconds(), concurrency);
    out.printf("  requests   %d (%.1f/s)%n", requests(), requests() / seconds());
    out.printf("  tasks/s    %.1f (answers 200)%n", tasksPerSecond());
    if (latency.getTotalCount() > 0) {
      out.printf("  latency    p50 %.1f ms  p99 %.1f ms  max %.1f ms (answers 200)%n",
          millis(latency.getValueAtPercentile(50)), millis(latency.getValueAtPercentile(99)),
          millis(latency.getMaxValue()));
    }
    StringBuilder answers = new StringBuilder();
    statuses.forEach((status, n) -> answers.append(answers.length() == 0 ? "" : ", ").append(status).append(": ")
        .append(n));
    out.println("  answers    " + (answers.length() == 0 ? "none" : answers));
    details.forEach((status, detail) -> out.println("    " + status + ": " + detail));
    if (!errors.isEmpty()) {
      StringBuilder e = new StringBuilder();
      errors.forEach((cause, n) -> e.append(e.length() == 0 ? "" : ", ").append(cause).append(": ").append(n));
      out.println("  no answer  " + e);
    }
    if (cutOff > 0) {
      out.println("  cut off    " + cutOff + " (still running when the time was up; not counted)");
    }
  }

  ObjectNode json() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("kind", kind);
    o.put("concurrency", concurrency);
    o.put("seconds", Math.round(seconds() * 1000) / 1000.0);
    o.put("requests", requests());
    o.put("tasksPerSecond", Math.round(tasksPerSecond() * 10) / 10.0);
    ObjectNode l = o.putObject("latencyMs");
    boolean any = latency.getTotalCount() > 0;
    l.put("p50", any ? millis(latency.getValueAtPercentile(50)) : 0);
    l.put("p99", any ? millis(latency.getValueAtPercentile(99)) : 0);
    l.put("max", any ? millis(latency.getMaxValue()) : 0);
    l.put("mean", any ? Math.round(latency.getMean()) / 1000.0 : 0);
    ObjectNode s = o.putObject("statuses");
    statuses.forEach((status, n) -> s.put(status.toString(), n));
    ObjectNode d = o.putObject("details");
    details.forEach((status, detail) -> d.put(status.toString(), detail));
    ObjectNode e = o.putObject("errors");
    errors.forEach(e::put);
    o.put("cutOff", cutOff);
    return o;
  }

  /** Microseconds up to an hour, three significant digits. */
  static Histogram newHistogram() {
    return new Histogram(TimeUnit.HOURS.toMicros(1), 3);
  }
}
