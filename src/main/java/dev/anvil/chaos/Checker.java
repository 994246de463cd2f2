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

  /**
   * @param recoveryBoundMs after a fault heals, the first successful call must start within this
   * @param maxRssGrowth the most a node's resident memory may grow (0.10: 10 %) between
   *     {@code rssFromMs} and the end
   */
  public Checker(long recoveryBoundMs, double maxRssGrowth, long rssFromMs) {
    this.recoveryBoundMs = recoveryBoundMs;
    this.maxRssGrowth = maxRssGrowth;
    this.rssFromMs = rssFromMs;
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
    Map<String, Boolean> cancelledByClient = new HashMap<>();
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
      if (o.type().equals("cancel") && o.job() != null && (o.status() == 202 || o.status() == 204)) {
        cancelledByClient.put(o.job(), true);
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
        if (r.status() == 404 && r.startMs() > submit.endMs() && !cancelledByClient.containsKey(job)) {
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
    for (Operation o : calls) {
      if (o.type().equals("submit") && o.jobStatus() != null && !FINAL.contains(o.jobStatus())
          && !Set.of("queued", "running").contains(o.jobStatus())) {
        violations.add(new Violation("bad-status", "job " + o.job() + " has status '" + o.jobStatus() + "'"));
      }
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

  /** Each node's resident memory at its first sample from {@code rssFromMs} against its last. */
  private double checkMemory(List<Operation> history, List<Violation> violations) {
    Map<String, long[]> firstAndLast = new LinkedHashMap<>();
    for (Operation o : history) {
      if (o.type().equals("rss") && o.startMs() >= rssFromMs && o.rssBytes() != null) {
        long[] fl = firstAndLast.computeIfAbsent(o.node(), n -> new long[] {o.rssBytes(), o.rssBytes()});
        fl[1] = o.rssBytes();
      }
    }
    double worst = 0;
    for (Map.Entry<String, long[]> e : firstAndLast.entrySet()) {
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
