package dev.anvil.security;

import com.typesafe.config.Config;
import java.util.HashMap;
import java.util.Map;

/**
 * One tenant's share and limits ({@code anvil.tenants}); 0 for a limit means none.
 *
 * @param weight its share of the workers when the cluster is full, against the others' weights
 * @param maxRunning tasks it may have in flight (running or waiting for a worker) across the
 *     cluster; each node enforces its share of it
 * @param maxJobs jobs it may have stored (unfinished, or finished and not yet expired)
 * @param rate requests per second across the cluster (a token bucket; each node its share)
 * @param burst how many requests the bucket holds (at least 1)
 */
public record TenantPolicy(double weight, int maxRunning, long maxJobs, double rate, int burst) {

  public TenantPolicy {
    if (!(weight > 0) || maxRunning < 0 || maxJobs < 0 || rate < 0 || burst < 0) {
      throw new IllegalArgumentException("anvil.tenants: weight must be > 0 and every limit >= 0 (0: none)");
    }
  }

  static TenantPolicy fromConfig(Config c) {
    return new TenantPolicy(c.getDouble("weight"), c.getInt("max-running"), c.getLong("max-jobs"),
        c.getDouble("rate"), c.getInt("burst"));
  }

  /** {@code anvil.tenants}: the defaults, and each named tenant's own (over the defaults). */
  public record All(TenantPolicy defaults, Map<String, TenantPolicy> byName) {

    public static All fromConfig(Config tenants) {
      Config defaults = tenants.getConfig("defaults");
      Map<String, TenantPolicy> byName = new HashMap<>();
      Config named = tenants.getConfig("by-name");
      for (String tenant : named.root().keySet()) {
        byName.put(tenant, TenantPolicy.fromConfig(named.getConfig("\"" + tenant + "\"").withFallback(defaults)));
      }
      return new All(TenantPolicy.fromConfig(defaults), Map.copyOf(byName));
    }

    public TenantPolicy of(String tenant) {
      return byName.getOrDefault(tenant, defaults);
    }

    /** For the scheduler's fair share: a tenant's weight. */
    public double weight(String tenant) {
      return of(tenant).weight();
    }
  }
}
