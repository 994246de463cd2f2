package dev.anvil.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.FreePorts;
import dev.anvil.config.SettingsCheck;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** Two starts on one machine do not collide: a default base moves to a free block, a chosen one is checked. */
class PortPlanTest {

  @Test
  void theDefaultBaseMovesPastPortsInUse() throws Exception {
    int base = FreePorts.range(8);
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", base + 1));
      int[] ports = PortPlan.choose("cluster", "127.0.0.1", base, false, 4, "--cluster-port");
      assertThat(ports).containsExactly(base + 4, base + 5, base + 6, base + 7);
    }
  }

  @Test
  void aChosenBaseWithAPortInUseIsRefusedNamingThePortAndTheOption() throws Exception {
    int base = FreePorts.range(4);
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", base + 2));
      assertThatThrownBy(() -> PortPlan.choose("cluster", "127.0.0.1", base, true, 4, "--cluster-port"))
          .isInstanceOf(SettingsCheck.BadSetting.class)
          .hasMessageContaining("cluster port " + (base + 2) + " on 127.0.0.1 is in use")
          .hasMessageContaining("--cluster-port");
    }
  }

  @Test
  void baseZeroTakesAnyFreePorts() {
    int[] ports = PortPlan.choose("management", "127.0.0.1", 0, true, 3, "--management-port");
    assertThat(ports).hasSize(3).doesNotContain(0).doesNotHaveDuplicates();
  }
}
