package dev.anvil;

/**
 * The tags that split the tests into tiers. {@code mvn -B verify} runs all but the benchmark's
 * smoke run, the jobs' durability scenarios and the one-fault scenarios (the full tier); CI runs
 * those three as steps of their own after it. {@code mvn -B verify -Pquick} leaves out every class tagged here, for
 * day-to-day work. Run one kind alone with {@code -Dgroups=chaos} (and {@code -Dit.test=...}).
 */
public final class Tiers {
  private Tiers() {}

  /** Costly and covered in the quick tier by a cheaper test of the same path (ClusterSmokeTest, StartCommandIT). */
  public static final String SLOW = "slow";
  /** Real JVMs killed, frozen, cut or rolled under load: ClusterProcessIT, and the chaos runner's 90 s (ChaosRunIT). */
  public static final String CHAOS = "chaos";
  /**
   * One fault at a time on real JVMs, each asserted in detail: a node killed, frozen, a supervisor
   * killed, a host cut (MultiHostIT, as root). The chaos run of the full tier brings all of these
   * at once; CI runs these as a step of its own after the full tier (about 5 minutes).
   */
  public static final String FAULTS = "faults";
  /** Drives a real browser (Chromium and its driver). */
  public static final String BROWSER = "browser";
  /** Needs root: network namespaces. */
  public static final String ROOT = "root";
  /**
   * The jobs' durability scenarios on real JVMs and databases: whole clusters killed and started
   * again, a database stopped under load, a node killed and a roll under jobs (about 5 minutes).
   */
  public static final String DURABILITY = "durability";
  /** The benchmark's smoke run (wrk, Node.js). */
  public static final String BENCH = "bench";
}
