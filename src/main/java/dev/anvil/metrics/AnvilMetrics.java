package dev.anvil.metrics;

import dev.anvil.compute.local.LocalScheduler;
import dev.anvil.compute.local.TaskIntake;
import dev.anvil.compute.task.NodeIds;
import dev.anvil.compute.task.Outcome;
import dev.anvil.compute.task.TaskMeters;
import dev.anvil.compute.task.TaskStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.ToDoubleFunction;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * This node's meters: a Micrometer Prometheus registry served at {@code /metrics} (and on the
 * management port), with the JVM and process binders. One per node (ActorSystem). Task events
 * reach it through {@link TaskStats} ({@link TaskMeters}): {@code anvil_tasks_total} counts a
 * task on the node that answered its client, {@code anvil_task_queue_seconds} and
 * {@code anvil_task_compute_seconds} time it on the node that ran it.
 */
public final class AnvilMetrics implements Extension, TaskMeters {

  private static final Duration[] BUCKETS = {
      Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1),
      Duration.ofNanos(2_500_000), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofMillis(2_500), Duration.ofSeconds(5), Duration.ofSeconds(10),
      Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofMinutes(10),
      Duration.ofHours(1)};

  private static final ExtensionId<AnvilMetrics> ID = new ExtensionId<>() {
    @Override
    public AnvilMetrics createExtension(ActorSystem<?> system) {
      return new AnvilMetrics(system);
    }
  };

  private final boolean enabled;
  private final PrometheusMeterRegistry registry;
  private final Map<String, KindMeters> kinds = new ConcurrentHashMap<>();
  /** Batch items' counters, by kind and outcome (both bounded: the catalog's kinds, a few outcomes). */
  private final Map<String, Counter> batchItems = new ConcurrentHashMap<>();
  /** Per-tenant counters; tenants come from the tokens file, so they are few. */
  private final Map<String, Counter> tenantCounters = new ConcurrentHashMap<>();
  private final Map<String, EnumMap<Outcome, Counter>> tenantTasks = new ConcurrentHashMap<>();
  private final java.util.Set<String> boundTenants = ConcurrentHashMap.newKeySet();
  private volatile java.util.function.Supplier<Map<String, int[]>> byTenant;
  /** By route template: timers by method and status ({@link #slot}), made on first use. */
  private final Map<String, AtomicReferenceArray<Timer>> requests = new ConcurrentHashMap<>();
  private static final List<String> METHODS = List.of("GET", "POST", "DELETE", "HEAD", "PUT", "PATCH", "OPTIONS");

  public static AnvilMetrics get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private AnvilMetrics(ActorSystem<?> system) {
    com.typesafe.config.Config config = system.settings().config();
    this.enabled = !config.hasPath("anvil.metrics.enabled") || config.getBoolean("anvil.metrics.enabled");
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("node", NodeIds.of(system.address()));
    if (enabled) {
      new ClassLoaderMetrics().bindTo(registry);
      new JvmMemoryMetrics().bindTo(registry);
      JvmGcMetrics gc = new JvmGcMetrics();
      gc.bindTo(registry);
      new JvmThreadMetrics().bindTo(registry);
      new ProcessorMetrics().bindTo(registry);
      new UptimeMetrics().bindTo(registry);
      new FileDescriptorMetrics().bindTo(registry);
      if (config.getString("pekko.actor.provider").equals("cluster")) {
        bindClusterMembers(system);
      }
      system.getWhenTerminated().thenRun(() -> {
        gc.close();
        registry.close();
      });
    }
  }

  public boolean enabled() {
    return enabled;
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** {@code anvil_workers{state}} (busy, idle, stuck) and {@code anvil_queue_depth}, read from the scheduler. */
  public void bindScheduler(TaskIntake scheduler) {
    if (!enabled) {
      return;
    }
    gauge("anvil.workers", Tags.of("state", "busy"), scheduler, s -> s.load().running(),
        "Worker threads running a task");
    gauge("anvil.workers", Tags.of("state", "idle"), scheduler, s -> {
      LocalScheduler.Load load = s.load();
      return Math.max(0, load.workers() - load.running());
    }, "Worker threads waiting for a task");
    gauge("anvil.workers", Tags.of("state", "stuck"), scheduler, s -> s.load().stuck(),
        "Worker threads replaced because their task ignored cancellation, still running it");
    gauge("anvil.queue.depth", Tags.empty(), scheduler, s -> s.load().queued(),
        "Tasks on this node waiting for a worker");
  }

  /**
   * {@code anvil_jobs{status}}: the jobs this node's store holds by status. Every node keeps every
   * job, so the cluster's count is any one node's, not the sum.
   */
  public <S extends Enum<S>> void bindJobs(Class<S> statuses, ToDoubleFunction<S> count) {
    if (!enabled) {
      return;
    }
    for (S status : statuses.getEnumConstants()) {
      Gauge.builder("anvil.jobs", status, count)
          .tags("status", status.name().toLowerCase(Locale.ROOT))
          .description("Jobs of this node's runner: queued and running now, and ended here since start, by status")
          .register(registry);
    }
  }

  private void bindClusterMembers(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(system);
    for (String status : List.of("joining", "weakly_up", "up", "leaving", "exiting", "down")) {
      gauge("anvil.cluster.members", Tags.of("status", status), cluster,
          c -> countMembers(c, status), "Members of the cluster as this node sees them, by status");
    }
    gauge("anvil.cluster.members", Tags.of("status", "unreachable"), cluster,
        c -> c.state().getUnreachable().size(), "Members this node cannot reach now");
  }

  private static double countMembers(Cluster cluster, String status) {
    int n = 0;
    for (Member member : cluster.state().getMembers()) {
      if (member.status().toString().toLowerCase(Locale.ROOT).replace("weaklyup", "weakly_up").equals(status)) {
        n++;
      }
    }
    return n;
  }

  private <T> void gauge(String name, Tags tags, T target, ToDoubleFunction<T> value, String description) {
    Gauge.builder(name, target, value).tags(tags).description(description).register(registry);
  }

  @Override
  public void answered(String kind, Outcome outcome) {
    if (enabled) {
      meters(kind).outcomes.get(outcome).increment();
    }
  }

  @Override
  public void ran(String kind, long queueNanos, long computeNanos) {
    if (!enabled) {
      return;
    }
    KindMeters meters = meters(kind);
    meters.queue.record(queueNanos, TimeUnit.NANOSECONDS);
    meters.compute.record(computeNanos, TimeUnit.NANOSECONDS);
  }

  /**
   * One item of a batch answered by this node (the node that read the batch), by kind and
   * outcome: an {@link Outcome}'s label, or {@code invalid} for a line the kind refused.
   */
  public void batchItem(String kind, String outcome) {
    if (!enabled) {
      return;
    }
    Counter counter = batchItems.get(kind + '\0' + outcome);
    if (counter == null) {
      counter = batchItems.computeIfAbsent(kind + '\0' + outcome, k -> Counter.builder("anvil.batch.items")
          .tags("kind", kind, "outcome", outcome)
          .description("Items of batches answered by this node, by kind and outcome")
          .register(registry));
    }
    counter.increment();
  }

  /**
   * {@code anvil_tenant_tasks_total{tenant,outcome}}: tasks this node answered, by tenant. Tenants
   * come from the tokens file (or are {@code default}), so the label is bounded.
   */
  public void tenantTask(String tenant, dev.anvil.compute.task.TaskOutcome outcome) {
    if (!enabled) {
      return;
    }
    EnumMap<Outcome, Counter> counters = tenantTasks.get(tenant);
    if (counters == null) {
      bindTenant(tenant);
      counters = tenantTasks.computeIfAbsent(tenant, t -> {
        EnumMap<Outcome, Counter> made = new EnumMap<>(Outcome.class);
        for (Outcome o : Outcome.values()) {
          made.put(o, Counter.builder("anvil.tenant.tasks").tags("tenant", t, "outcome", o.label())
              .description("Tasks answered by this node, by tenant and outcome").register(registry));
        }
        return made;
      });
    }
    counters.get(Outcome.of(outcome)).increment(); // no string built per task: this runs for every one
  }

  /**
   * {@code anvil_tenant_refusals_total{tenant,reason}}: requests refused at the gate or by a quota
   * (unauthorized, scope-missing, quota-rate, quota-max-running, quota-max-jobs); {@code tenant}
   * is {@code unauthenticated} for a request with no valid token.
   */
  public void tenantRefused(String tenant, String reason) {
    if (!enabled) {
      return;
    }
    tenantCounter("anvil.tenant.refusals", "Requests this node refused, by tenant and reason",
        tenant == null ? "unauthenticated" : tenant, "reason", reason).increment();
  }

  private Counter tenantCounter(String name, String description, String tenant, String key, String value) {
    String id = name + '\0' + tenant + '\0' + value;
    Counter counter = tenantCounters.get(id);
    if (counter == null) {
      counter = tenantCounters.computeIfAbsent(id, k -> Counter.builder(name)
          .tags("tenant", tenant, key, value)
          .description(description)
          .register(registry));
    }
    return counter;
  }

  /**
   * {@code anvil_tenant_workers{tenant,state}}: this node's running and queued tasks by tenant,
   * read from the scheduler at each scrape; a tenant's gauges are made when this node first
   * answers one of its tasks.
   */
  public void bindTenants(java.util.function.Supplier<Map<String, int[]>> byTenant) {
    this.byTenant = byTenant;
  }

  /** A tenant's request passed the gate: its gauges exist from now on (a no-op once they do). */
  public void tenantSeen(String tenant) {
    if (enabled && !boundTenants.contains(tenant)) {
      bindTenant(tenant);
    }
  }

  private static final String WORKERS_HELP = "Tasks of the tenant on this node, by state: running, or queued";

  private void bindTenant(String tenant) {
    java.util.function.Supplier<Map<String, int[]>> counts = byTenant;
    if (counts != null && boundTenants.add(tenant)) {
      gauge("anvil.tenant.workers", Tags.of("tenant", tenant, "state", "running"), counts,
          b -> b.get().getOrDefault(tenant, new int[2])[0], WORKERS_HELP);
      gauge("anvil.tenant.workers", Tags.of("tenant", tenant, "state", "queued"), counts,
          b -> b.get().getOrDefault(tenant, new int[2])[1], WORKERS_HELP);
    }
  }

  /** One HTTP request served, by route template (never the raw path: its values are unbounded). */
  public void request(String method, String route, int status, long nanos) {
    if (!enabled) {
      return;
    }
    // no string built, no map keyed by method and status: this runs for every request, /health's too
    AtomicReferenceArray<Timer> timers = requests.get(route);
    if (timers == null) {
      timers = requests.computeIfAbsent(route, r -> new AtomicReferenceArray<>((METHODS.size() + 1) * 500));
    }
    int slot = slot(method, status);
    Timer timer = timers.get(slot);
    if (timer == null) {
      timer = Timer.builder("http.server.requests")
          .tags("method", METHODS.contains(method) ? method : "other", "route", route,
              "status", status >= 100 && status < 600 ? Integer.toString(status) : "other")
          .description("HTTP requests served by this node")
          .register(registry); // the registry gives the same timer to a second registration
      timers.set(slot, timer);
    }
    timer.record(nanos, TimeUnit.NANOSECONDS);
  }

  private static int slot(String method, int status) {
    int m = METHODS.indexOf(method);
    return (m < 0 ? METHODS.size() : m) * 500 + (status >= 100 && status < 600 ? status - 100 : 499);
  }

  private KindMeters meters(String kind) {
    KindMeters meters = kinds.get(kind);
    return meters != null ? meters : kinds.computeIfAbsent(kind, k -> new KindMeters(registry, k));
  }

  private static final class KindMeters {
    final EnumMap<Outcome, Counter> outcomes = new EnumMap<>(Outcome.class);
    final Timer queue;
    final Timer compute;

    KindMeters(MeterRegistry registry, String kind) {
      for (Outcome outcome : Outcome.values()) {
        outcomes.put(outcome, Counter.builder("anvil.tasks")
            .tags("kind", kind, "outcome", outcome.label())
            .description("Tasks answered by this node, by kind and outcome")
            .register(registry));
      }
      queue = timer(registry, "anvil.task.queue", kind, "Time a task waited for a worker on the node that ran it");
      compute = timer(registry, "anvil.task.compute", kind, "Time a task computed on the node that ran it");
    }

    private static Timer timer(MeterRegistry registry, String name, String kind, String description) {
      return Timer.builder(name)
          .tags("kind", kind)
          .serviceLevelObjectives(BUCKETS)
          .description(description)
          .register(registry);
    }
  }
}
