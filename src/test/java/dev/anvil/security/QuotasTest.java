package dev.anvil.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class QuotasTest {

  private static final TenantPolicy NONE = new TenantPolicy(1, 0, 0, 0, 0);

  private static Quotas quotas(TenantPolicy teamA, AtomicInteger nodes) {
    return new Quotas(new TenantPolicy.All(NONE, Map.of("team-a", teamA)), nodes::get);
  }

  @Test
  void theRateAllowsTheBurstThenRefusesWithRetryAfter() {
    Quotas quotas = quotas(new TenantPolicy(1, 0, 0, 0.5, 3), new AtomicInteger(1));
    for (int i = 0; i < 3; i++) {
      assertThat(quotas.request("team-a")).isNull();
    }
    Quotas.Refusal refused = quotas.request("team-a");
    assertThat(refused.quota()).isEqualTo("quota-rate");
    assertThat(refused.retryAfterSeconds()).isBetween(1, 2); // 0.5/s: the next token within 2 s
    assertThat(quotas.request("team-b")).isNull(); // no limit by default
  }

  @Test
  void theBurstIsSplitOverTheNodesAsTheRateIs() {
    Quotas quotas = quotas(new TenantPolicy(1, 0, 0, 0.5, 4), new AtomicInteger(2));
    assertThat(quotas.request("team-a")).isNull();
    assertThat(quotas.request("team-a")).isNull();
    assertThat(quotas.request("team-a").quota()).isEqualTo("quota-rate"); // 4 over 2 nodes: 2 here
  }

  @Test
  void maxRunningIsSplitOverTheNodesThatAreUp() {
    AtomicInteger nodes = new AtomicInteger(2);
    Quotas quotas = quotas(new TenantPolicy(1, 3, 0, 0, 0), nodes);
    assertThat(quotas.enter("team-a")).isNull();
    assertThat(quotas.enter("team-a")).isNull(); // ceil(3 / 2) = 2 here
    assertThat(quotas.enter("team-a").quota()).isEqualTo("quota-max-running");
    quotas.leave("team-a");
    assertThat(quotas.enter("team-a")).isNull();
    nodes.set(1);
    assertThat(quotas.enter("team-a")).isNull(); // alone: all 3
    assertThat(quotas.enter("team-a").quota()).isEqualTo("quota-max-running");
    assertThat(quotas.inFlight("team-a")).isEqualTo(3);
  }

  @Test
  void maxJobsRefusesAtTheLimit() {
    Quotas quotas = quotas(new TenantPolicy(1, 0, 2, 0, 0), new AtomicInteger(1));
    assertThat(quotas.storeJob("team-a", 1)).isNull();
    assertThat(quotas.storeJob("team-a", 2).quota()).isEqualTo("quota-max-jobs");
    assertThat(quotas.storeJob("team-b", 1_000_000)).isNull();
  }
}
