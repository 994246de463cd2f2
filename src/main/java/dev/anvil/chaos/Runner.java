package dev.anvil.chaos;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code chaos/run.sh --minutes M --seed S}: a real cluster under mixed load and a seeded schedule
 * of faults, every call recorded in a history that {@link Checker} then checks. Exit status 0
 * when no promise was broken, 1 when one was (each printed), 2 when the cluster did not start.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true,
    description = "Runs a real Anvil cluster under load and faults, then checks the history of every call.")
public final class Runner implements Callable<Integer> {

  @Option(names = "--minutes", defaultValue = "5", description = "How long faults are injected (default 5)")
  double minutes;

  @Option(names = "--seed", description = "Seed of the faults' schedule and the clients' choices (default: random,"
      + " printed)")
  Long seed;

  @Option(names = "--hosts", defaultValue = "auto", description = "3: three network-namespace hosts (root);"
      + " 1: this machine alone; auto: 3 when root and ip netns allow it (default)")
  String hosts;

  @Option(names = "--nodes-per-host", description = "Node JVMs per host (default 1 on three hosts, 2 on one)")
  Integer nodesPerHost;

  @Option(names = "--db", defaultValue = "auto", description = "Jobs' database: postgres, h2, or auto (PostgreSQL"
      + " when it answers where the nodes can reach it, else an H2 server; default)")
  String db;

  @Option(names = "--clients", defaultValue = "6", description = "Client threads, each one call at a time (default 6)")
  int clients;

  @Option(names = "--recovery-bound-ms", defaultValue = "45000",
      description = "After a fault heals, the first successful call must come within this (default 45000)")
  long recoveryBoundMs;

  @Option(names = "--gap-seconds", defaultValue = "5-13", paramLabel = "MIN-MAX",
      description = "Quiet time after each fault, drawn between MIN and MAX seconds (default 5-13); longer gaps let"
          + " node JVMs live long enough for the memory check")
  String gapSeconds;

  @Option(names = "--spare-one-host", description = "No fault targets the first host (a stop or a cut may end a"
      + " node JVM too, through the supervisor's health check or the split-brain resolver) and no full restart"
      + " comes, so its nodes live the whole run and the memory check sees minute 2 to minute M of a JVM; three"
      + " hosts only")
  boolean spareOneHost;

  @Option(names = "--out", description = "Folder of the history and the hosts' logs (default chaos/runs/<time>)")
  Path out;

  private final List<Checker.Violation> seen = new ArrayList<>();

  public static void main(String[] args) {
    System.exit(new CommandLine(new Runner()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    long s = seed != null ? seed : new Random().nextLong() & 0xffff_ffffL;
    boolean threeHosts = switch (hosts) {
      case "3" -> true;
      case "1" -> false;
      default -> NetworkHosts.available();
    };
    int perHost = nodesPerHost != null ? nodesPerHost : threeHosts ? 1 : 2;
    if (spareOneHost && !threeHosts) {
      say("chaos: --spare-one-host needs three hosts (root and ip netns)");
      return 2;
    }
    Path dir = out != null ? out : Path.of("chaos", "runs",
        LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-seed" + s);
    Files.createDirectories(dir);
    Path historyFile = dir.resolve("history.jsonl");
    long t0 = System.nanoTime();
    LongSupplier clock = () -> (System.nanoTime() - t0) / 1_000_000;

    try (ChaosCluster cluster = new ChaosCluster(dir.toAbsolutePath(), threeHosts ? 3 : 1, perHost, db);
        History history = new History(historyFile)) {
      say(String.format("chaos: seed %d, %s, %d node(s) each, jobs in %s, faults for %.1f min%s; history in %s", s,
          threeHosts ? "3 hosts on network namespaces" : "1 host", perHost, cluster.databaseName(), minutes,
          spareOneHost ? ", " + cluster.hosts().get(0).name() + "'s JVMs spared" : "", historyFile));
      cluster.startAll();
      if (!cluster.awaitUp(Duration.ofMinutes(3))) {
        say("chaos: the cluster did not come up within 3 minutes; see the hosts' logs in " + dir);
        return 2;
      }
      say("chaos: cluster up after " + clock.getAsLong() / 1000 + " s");
      Load load = new Load(cluster.hosts().stream().map(h -> h.url()).toList(), history, clock, s, clients);
      ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
      sampler.scheduleAtFixedRate(() -> cluster.nodes().forEach(e -> ChaosCluster.rss(e.getValue()).ifPresent(b ->
          history.add(Operation.rss(e.getKey().name() + "/" + e.getValue().pid(), clock.getAsLong(), b)))), 0, 5,
          TimeUnit.SECONDS);
      long loadStart = clock.getAsLong();
      load.start();
      injectFaults(cluster, history, clock, new Random(s), loadStart + (long) (minutes * 60_000));
      // every fault healed: the cluster must be whole again, then every accepted job must end
      boolean whole = cluster.awaitUp(Duration.ofMinutes(2));
      if (!whole) {
        seen.add(new Checker.Violation("no-recovery", "the cluster was not whole again 2 minutes after the last fault"));
      }
      load.stop();
      sampler.shutdownNow();
      sweep(load, cluster, clock);
    }
    Checker.Report report = new Checker(recoveryBoundMs, 0.10, 120_000, true).check(History.read(historyFile));
    List<Checker.Violation> violations = new ArrayList<>(seen);
    violations.addAll(report.violations());
    Checker.Report all = new Checker.Report(report.operations(), report.faults(), violations, report.worstRecoveryMs(),
        report.worstRssGrowth());
    violations.forEach(v -> say("violation " + v));
    say("chaos: seed " + s + ": " + all.summary());
    Files.writeString(dir.resolve("summary.txt"), all.summary() + "\n");
    return violations.isEmpty() ? 0 : 1;
  }

  /** The seeded schedule: after a quiet start, one fault at a time, each followed by a quiet gap. */
  private void injectFaults(ChaosCluster cluster, History history, LongSupplier clock, Random random, long endMs)
      throws Exception {
    String[] gap = gapSeconds.split("-");
    int gapMin = Integer.parseInt(gap[0].strip()) * 1000;
    int gapMax = Integer.parseInt(gap[gap.length - 1].strip()) * 1000;
    List<String> kinds = new ArrayList<>(List.of("kill", "kill-oldest", "stop", "db", "roll", "supervisor"));
    if (cluster.namespaces()) {
      kinds.add("cut");
      if (!spareOneHost) {
        kinds.add("full-restart");
      }
    }
    pause(clock, Math.min(8_000, endMs - clock.getAsLong()));
    List<String> cycle = new ArrayList<>();
    while (endMs - clock.getAsLong() > 15_000) {
      if (cycle.isEmpty()) {
        cycle.addAll(kinds);
        Collections.shuffle(cycle, random);
      }
      String fault = cycle.remove(0);
      inject(fault, cluster, history, clock, random);
      pause(clock, Math.min(gapMin + random.nextInt(Math.max(1, gapMax - gapMin)), Math.max(0, endMs
          - clock.getAsLong())));
    }
    pause(clock, Math.max(0, endMs - clock.getAsLong()));
  }

  private void inject(String fault, ChaosCluster cluster, History history, LongSupplier clock, Random random)
      throws Exception {
    List<Map.Entry<ChaosCluster.Host, ProcessHandle>> nodes = cluster.nodes();
    List<ChaosCluster.Host> hosts = cluster.hosts();
    ChaosCluster.Host host = hosts.get(random.nextInt(hosts.size()));
    if (spareOneHost) {
      ChaosCluster.Host spared = hosts.get(0);
      nodes = nodes.stream().filter(n -> n.getKey() != spared).toList();
      host = hosts.get(1 + random.nextInt(hosts.size() - 1));
    }
    long at = clock.getAsLong();
    String target;
    switch (fault) {
      case "kill", "kill-oldest", "stop" -> {
        if (nodes.isEmpty()) {
          return;
        }
        var node = fault.equals("kill-oldest") ? nodes.get(0) : nodes.get(random.nextInt(nodes.size()));
        target = node.getKey().name() + "/" + node.getValue().pid();
        if (fault.equals("stop")) {
          ChaosCluster.signal(node.getValue(), "STOP");
          pause(clock, 3_000 + random.nextInt(6_000));
          ChaosCluster.signal(node.getValue(), "CONT");
        } else {
          node.getValue().destroyForcibly();
        }
      }
      case "cut" -> {
        target = host.name();
        cluster.cut(host);
        pause(clock, 4_000 + random.nextInt(8_000));
        cluster.heal(host);
      }
      case "db" -> {
        target = "database";
        cluster.stopDatabase();
        pause(clock, 3_000 + random.nextInt(6_000));
        cluster.startDatabase();
      }
      case "roll" -> {
        target = host.name();
        if (!cluster.roll(host, Duration.ofMinutes(3))) {
          seen.add(new Checker.Violation("roll", "the roll of " + host.name() + " at " + at + " ms did not end done"));
        }
      }
      case "supervisor" -> {
        target = host.name();
        restart(cluster, List.of(host), at);
      }
      default -> { // full-restart
        target = "every host";
        restart(cluster, hosts, at);
      }
    }
    long healed = clock.getAsLong();
    history.add(Operation.fault(fault, target, at, healed));
    say(String.format("chaos: %6.1f s %s of %s, healed after %.1f s", at / 1000.0, fault, target,
        (healed - at) / 1000.0));
  }

  /** kill -9 of the hosts' supervisors, then {@code start} again on each. */
  private void restart(ChaosCluster cluster, List<ChaosCluster.Host> hosts, long at) throws Exception {
    for (ChaosCluster.Host h : hosts) {
      List<ProcessHandle> left = cluster.killSupervisor(h, Duration.ofSeconds(30));
      if (!left.isEmpty()) {
        seen.add(new Checker.Violation("orphans", left.size() + " node(s) of " + h.name() + " still ran 30 s after"
            + " its supervisor was killed at " + at + " ms"));
        left.forEach(ProcessHandle::destroyForcibly);
      }
    }
    for (ChaosCluster.Host h : hosts) {
      h.start();
    }
  }

  /** Reads every accepted job until it is final (or unknown), for up to two minutes in all. */
  private void sweep(Load load, ChaosCluster cluster, LongSupplier clock) throws InterruptedException {
    List<String> open = new ArrayList<>(load.jobs());
    long deadline = clock.getAsLong() + 120_000;
    String url = cluster.hosts().get(0).url();
    while (!open.isEmpty() && clock.getAsLong() < deadline) {
      open.removeIf(job -> {
        String status = load.read(url, job);
        return status != null && (status.equals("unknown") || status.equals("succeeded") || status.equals("failed")
            || status.equals("cancelled"));
      });
      if (!open.isEmpty()) {
        Thread.sleep(1_000); // the next round of reads of the jobs still running
      }
    }
    say("chaos: " + load.jobs().size() + " jobs accepted; " + open.size() + " not final at the end");
  }

  private static void pause(LongSupplier clock, long ms) throws InterruptedException {
    if (ms > 0) {
      Thread.sleep(ms); // the schedule's own time: a fault's length, a quiet gap
    }
  }

  private static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
