package dev.anvil.security;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * This node's part of each tenant's quotas. A tenant's cluster-wide limits are split evenly over
 * the nodes that are up (each node enforces {@code limit / nodes}, rounded up), so the cluster as
 * a whole holds them approximately with no coordination per request: the way connections spread
 * over the nodes (the kernel's SO_REUSEPORT, or a load balancer) makes the split fair.
 */
public final class Quotas {

  /** What a refusal tells the client: the quota's name (its problem type) and when to try again. */
  public record Refusal(String quota, String detail, int retryAfterSeconds) {}

  private final TenantPolicy.All policies;
  private final IntSupplier nodes;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

  public Quotas(TenantPolicy.All policies, IntSupplier nodes) {
    this.policies = policies;
    this.nodes = nodes;
  }

  public TenantPolicy.All policies() {
    return policies;
  }

  /** One request of {@code tenant}: null when its rate allows it, else the refusal. */
  public Refusal request(String tenant) {
    TenantPolicy policy = policies.of(tenant);
    if (policy.rate() <= 0) {
      return null;
    }
    int n = Math.max(1, nodes.getAsInt());
    double share = policy.rate() / n;
    int burst = Math.max(1, (int) Math.ceil((double) policy.burst() / n));
    Bucket bucket = buckets.computeIfAbsent(tenant, t -> new Bucket());
    double waitSeconds = bucket.take(share, burst, System.nanoTime());
    if (waitSeconds <= 0) {
      return null;
    }
    return new Refusal("quota-rate", "tenant '" + tenant + "' is over its request rate of " + policy.rate()
        + "/s (anvil.tenants)", (int) Math.max(1, Math.ceil(waitSeconds)));
  }

  /**
   * A task of {@code tenant} enters this node: null when its max-running share has room (it then
   * holds a place until {@link #leave}), else the refusal.
   */
  public Refusal enter(String tenant) {
    TenantPolicy policy = policies.of(tenant);
    if (policy.maxRunning() <= 0) {
      return null; // no limit: nothing to count on the task's path
    }
    AtomicInteger count = inFlight.computeIfAbsent(tenant, t -> new AtomicInteger());
    int share = (int) Math.ceil((double) policy.maxRunning() / Math.max(1, nodes.getAsInt()));
    while (true) {
      int now = count.get();
      if (now >= share) {
        return new Refusal("quota-max-running", "tenant '" + tenant + "' has " + now + " tasks in flight on this"
            + " node, its share of max-running " + policy.maxRunning() + " (anvil.tenants)", 1);
      }
      if (count.compareAndSet(now, now + 1)) {
        return null;
      }
    }
  }

  /** The task that {@link #enter} let in was answered. */
  public void leave(String tenant) {
    AtomicInteger count = policies.of(tenant).maxRunning() <= 0 ? null : inFlight.get(tenant);
    if (count != null) {
      count.decrementAndGet();
    }
  }

  /** Tasks of {@code tenant} this node took and has not answered yet (counted for a tenant with a max-running). */
  public int inFlight(String tenant) {
    AtomicInteger count = inFlight.get(tenant);
    return count == null ? 0 : count.get();
  }

  /** A job submission of a tenant that has {@code stored} jobs: null when under max-jobs, else the refusal. */
  public Refusal storeJob(String tenant, long stored) {
    long max = policies.of(tenant).maxJobs();
    if (max <= 0 || stored < max) {
      return null;
    }
    return new Refusal("quota-max-jobs", "tenant '" + tenant + "' has " + stored + " jobs stored, its max-jobs is "
        + max + " (anvil.tenants); jobs leave the store result-ttl after they end, or at DELETE", 5);
  }

  /** A token bucket: refills at the rate, holds at most the burst. */
  private static final class Bucket {
    private double tokens = -1;
    private long lastNanos;

    /** Takes one token: 0 when there was one, else the seconds until there is. */
    synchronized double take(double perSecond, int burst, long nowNanos) {
      if (tokens < 0) {
        tokens = burst;
      } else {
        tokens = Math.min(burst, tokens + (nowNanos - lastNanos) / 1e9 * perSecond);
      }
      lastNanos = nowNanos;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return (1 - tokens) / perSecond;
    }
  }
}
