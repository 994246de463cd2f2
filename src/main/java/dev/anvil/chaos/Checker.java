package dev.anvil.chaos;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a chaos run's history against Anvil's promises, after the run: every answer is checked
 * alone (no 500; every 200 right), then every job across the calls that touched it (it ends
 * exactly once and never changes after; no job accepted and then unknown; one job per
 * idempotency key and body), then each fault (the service answers again within a bound of its
 * heal), then memory (no node grows more than {@code maxRssGrowth} from minute 2 to the end).
 */
public final class Checker {

  /** One broken promise: which, and the operation(s) that show it. */
  public record Violation(String rule, String detail) {
    @Override
    public String toString() {
      return rule + ": " + detail;
    }
  }

  /** What the summary line says. */
  public record Report(int operations, int faults, List<Violation> violations, long worstRecoveryMs,
      double worstRssGrowth) {

    public String summary() {
      return String.format(java.util.Locale.ROOT,
          "operations=%d faults=%d violations=%d worst-recovery-ms=%d rss-growth=%.1f%%", operations, faults,
          violations.size(), worstRecoveryMs, worstRssGrowth * 100);
    }
  }

  private static final Set<String> FINAL = Set.of("succeeded", "failed", "cancelled");

  private final long recoveryBoundMs;
  private final double maxRssGrowth;
  private final long rssFromMs;
  private final boolean requireFinal;
  /** The least time between a JVM's sample at its minute 2 and its last for its growth to count. */
  static final long MEMORY_SPAN_MS = 60_000;

  /**
   * @param recoveryBoundMs after a fault heals, the first successful call must start within this
   * @param maxRssGrowth the most a node's resident memory may grow (0.10: 10 %) between
   *     {@code rssFromMs} and the end
   */
  public Checker(long recoveryBoundMs, double maxRssGrowth, long rssFromMs) {
    this(recoveryBoundMs, maxRssGrowth, rssFromMs, false);
  }

  /**
   * @param requireFinal every accepted job must be read in a final status at least once (a run
   *     that reads every accepted job at its end, as {@link Runner} does)
   */
  public Checker(long recoveryBoundMs, double maxRssGrowth, long rssFromMs, boolean requireFinal) {
    this.recoveryBoundMs = recoveryBoundMs;
    this.maxRssGrowth = maxRssGrowth;
    this.rssFromMs = rssFromMs;
    this.requireFinal = requireFinal;
  }

  public Report check(List<Operation> history) {
    List<Violation> violations = new ArrayList<>();
    List<Operation> calls = history.stream().filter(o -> !o.type().equals("fault") && !o.type().equals("rss"))
        .sorted(Comparator.comparingLong(Operation::startMs)).toList();
    for (Operation o : calls) {
      if (o.status() >= 500 && o.status() != 503 && o.status() != 504) {
        violations.add(new Violation("no-500", o.type() + " " + describe(o) + " answered " + o.status()));
      }
      if (o.type().equals("task") && o.status() == 200) {
        String wrong = Oracle.check(o.kind(), o.input(), o.result());
        if (wrong != null) {
          violations.add(new Violation("wrong-result", "task " + wrong));
        }
      }
      if (o.type().equals("batch") && o.status() == 200) {
        checkBatch(o, violations);
      }
    }
    checkJobs(calls, violations);
    long worstRecovery = checkRecovery(history, calls, violations);
    double growth = checkMemory(history, violations);
    int faults = (int) history.stream().filter(o -> o.type().equals("fault")).count();
    return new Report(calls.size(), faults, violations, worstRecovery, growth);
  }

  private void checkJobs(List<Operation> calls, List<Violation> violations) {
    Map<String, Operation> accepted = new LinkedHashMap<>();
    Map<String, String> byKey = new HashMap<>();
    // a DELETE that answered 204 deleted a finished job: from its start, a read may find nothing
    // (404), and a submission with the job's Idempotency-Key makes a new job under the same id. One
    // with no answer, or a 5xx, is indeterminate: it may have been done (its reply lost on the
    // way, or its write under way when the ask timed out), so the same holds from its start.
    Map<String, Long> deletedFrom = new HashMap<>();
    for (Operation o : calls) {
      if (o.type().equals("submit") && o.status() == 202 && o.job() != null) {
        accepted.putIfAbsent(o.job(), o);
        if (o.key() != null) {
          String keyed = o.key() + "\0" + o.kind() + "\0" + o.input();
          String before = byKey.putIfAbsent(keyed, o.job());
          if (before != null && !before.equals(o.job())) {
            violations.add(new Violation("idempotency", "key '" + o.key() + "' with the same body gave jobs " + before
                + " and " + o.job()));
          }
        }
      }
      if (o.type().equals("cancel") && o.job() != null && (o.status() == 204 || o.status() == 0
          || o.status() >= 500)) {
        deletedFrom.merge(o.job(), o.startMs(), Math::min);
      }
    }
    Map<String, List<Operation>> reads = new HashMap<>();
    for (Operation o : calls) {
      if ((o.type().equals("read") || o.type().equals("watch")) && o.job() != null) {
        reads.computeIfAbsent(o.job(), j -> new ArrayList<>()).add(o);
      }
    }
    for (Map.Entry<String, Operation> e : accepted.entrySet()) {
      String job = e.getKey();
      Operation submit = e.getValue();
      Operation firstFinal = null;
      for (Operation r : reads.getOrDefault(job, List.of())) {
        Long deleted = deletedFrom.get(job);
        if (deleted != null && r.endMs() >= deleted) {
          // a read that ended after a client began to delete the job may be ordered after the
          // delete: it may find nothing, or a new job made with the same key
          continue;
        }
        if (r.status() == 404 && r.startMs() > submit.endMs()) {
          violations.add(new Violation("lost-job", "job " + job + " accepted at " + submit.endMs() + " ms, unknown at "
              + r.startMs() + " ms"));
        }
        if (r.status() != 200 || r.jobStatus() == null) {
          continue;
        }
        if (firstFinal != null && r.startMs() > firstFinal.endMs()) {
          if (!r.isFinal()) {
            violations.add(new Violation("final-changed", "job " + job + " was " + firstFinal.jobStatus() + " at "
                + firstFinal.endMs() + " ms, then " + r.jobStatus() + " at " + r.startMs() + " ms"));
          } else if (!r.jobStatus().equals(firstFinal.jobStatus())
              || !java.util.Objects.equals(r.result(), firstFinal.result())) {
            violations.add(new Violation("final-changed", "job " + job + " ended " + firstFinal.jobStatus() + " "
                + firstFinal.result() + ", later read " + r.jobStatus() + " " + r.result()));
          }
        }
        if (r.isFinal() && firstFinal == null) {
          firstFinal = r;
          if (r.jobStatus().equals("succeeded")) {
            String wrong = Oracle.check(submit.kind(), submit.input(), r.result());
            if (wrong != null) {
              violations.add(new Violation("wrong-result", "job " + job + ": " + wrong));
            }
          }
        }
      }
    }
    if (requireFinal) {
      for (Map.Entry<String, Operation> e : accepted.entrySet()) {
        boolean ended = deletedFrom.containsKey(e.getKey()) || reads.getOrDefault(e.getKey(), List.of()).stream()
            .anyMatch(r -> r.status() == 200 && r.isFinal());
        if (!ended) {
          violations.add(new Violation("not-final", "job " + e.getKey() + " accepted at " + e.getValue().endMs()
              + " ms was never read in a final status"));
        }
      }
    }
    for (Operation o : calls) {
      if (o.type().equals("submit") && o.jobStatus() != null && !FINAL.contains(o.jobStatus())
          && !Set.of("queued", "running").contains(o.jobStatus())) {
        violations.add(new Violation("bad-status", "job " + o.job() + " has status '" + o.jobStatus() + "'"));
      }
    }
  }

  /**
   * A batch that answered 200 and ended with its summary: one line for each index, each 200 line's
   * result right, and the summary's counts those of the lines. A batch whose stream broke (status
   * 0: a node killed under it) is not checked line by line.
   */
  private static void checkBatch(Operation o, List<Violation> violations) {
    com.fasterxml.jackson.databind.JsonNode lines = o.result();
    int items = o.input().size();
    int[] seen = new int[items];
    int succeeded = 0;
    int failed = 0;
    com.fasterxml.jackson.databind.JsonNode summary = null;
    for (com.fasterxml.jackson.databind.JsonNode line : lines) {
      if (line.has("summary")) {
        summary = line.get("summary");
        continue;
      }
      int index = line.path("index").asInt(-1);
      if (index < 0 || index >= items) {
        violations.add(new Violation("batch-index", o.kind() + " batch at " + o.startMs() + " ms: a line with index "
            + line.path("index") + " of " + items + " items"));
        continue;
      }
      seen[index]++;
      if (line.path("status").asInt() == 200) {
        succeeded++;
        String wrong = Oracle.check(o.kind(), o.input().get(index), line.get("result"));
        if (wrong != null) {
          violations.add(new Violation("wrong-result", "batch item " + index + ": " + wrong));
        }
      } else {
        failed++;
        if (line.path("status").asInt() >= 500 && line.path("status").asInt() != 503
            && line.path("status").asInt() != 504) {
          violations.add(new Violation("no-500", o.kind() + " batch at " + o.startMs() + " ms: item " + index
              + " answered " + line.path("status")));
        }
      }
    }
    for (int i = 0; i < items; i++) {
      if (seen[i] != 1) {
        violations.add(new Violation("batch-index", o.kind() + " batch at " + o.startMs() + " ms: index " + i
            + " answered " + seen[i] + " times"));
      }
    }
    if (summary == null || summary.path("items").asInt() != items || summary.path("succeeded").asInt() != succeeded
        || summary.path("failed").asInt() != failed) {
      violations.add(new Violation("batch-summary", o.kind() + " batch at " + o.startMs() + " ms: summary " + summary
          + " for " + succeeded + " succeeded and " + failed + " failed of " + items));
    }
  }

  /** For each fault: the first call that succeeds after it healed must start within the bound. */
  private long checkRecovery(List<Operation> history, List<Operation> calls, List<Violation> violations) {
    long worst = 0;
    long end = calls.isEmpty() ? 0 : calls.get(calls.size() - 1).startMs();
    for (Operation fault : history) {
      if (!fault.type().equals("fault")) {
        continue;
      }
      long healed = fault.endMs();
      Long first = null;
      for (Operation o : calls) {
        if (o.startMs() >= healed && o.succeeded()) {
          first = o.endMs();
          break;
        }
      }
      if (first == null) {
        if (end - healed > recoveryBoundMs) {
          violations.add(new Violation("no-recovery", fault.fault() + " healed at " + healed + " ms, and no call"
              + " succeeded after it"));
        }
        continue;
      }
      long recovery = first - healed;
      worst = Math.max(worst, recovery);
      if (recovery > recoveryBoundMs) {
        violations.add(new Violation("slow-recovery", fault.fault() + " on " + fault.node() + " healed at " + healed
            + " ms; the first success came " + recovery + " ms later (bound " + recoveryBoundMs + " ms)"));
      }
    }
    return worst;
  }

  /**
   * Each node JVM's resident memory once it has run {@code rssFromMs} (its first sample from then,
   * past its warm-up) against its last sample. A node restarted by a fault is a new JVM with its
   * own clock; one that did not live that long, plus {@link #MEMORY_SPAN_MS}, is not measured.
   */
  private double checkMemory(List<Operation> history, List<Violation> violations) {
    Map<String, Long> born = new HashMap<>();
    Map<String, long[]> firstAndLast = new LinkedHashMap<>(); // bytes at minute 2, last bytes, and their times
    for (Operation o : history) {
      if (!o.type().equals("rss") || o.rssBytes() == null) {
        continue;
      }
      long since = o.startMs() - born.computeIfAbsent(o.node(), n -> o.startMs());
      if (since >= rssFromMs) {
        long[] fl = firstAndLast.computeIfAbsent(o.node(), n -> new long[] {o.rssBytes(), o.rssBytes(), o.startMs(),
            o.startMs()});
        fl[1] = o.rssBytes();
        fl[3] = o.startMs();
      }
    }
    double worst = 0;
    for (Map.Entry<String, long[]> e : firstAndLast.entrySet()) {
      if (e.getValue()[3] - e.getValue()[2] < MEMORY_SPAN_MS) {
        continue; // a few samples past minute 2 are one heap expansion, not a trend
      }
      double growth = (double) (e.getValue()[1] - e.getValue()[0]) / e.getValue()[0];
      worst = Math.max(worst, growth);
      if (growth > maxRssGrowth) {
        violations.add(new Violation("rss-growth", String.format(java.util.Locale.ROOT,
            "node %s grew from %d to %d bytes (%.1f%%, bound %.0f%%)", e.getKey(), e.getValue()[0], e.getValue()[1],
            growth * 100, maxRssGrowth * 100)));
      }
    }
    return worst;
  }

  private static String describe(Operation o) {
    return (o.kind() != null ? o.kind() : "") + (o.job() != null ? " job " + o.job() : "") + " at " + o.startMs()
        + " ms";
  }
}
