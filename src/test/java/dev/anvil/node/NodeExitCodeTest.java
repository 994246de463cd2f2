package dev.anvil.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.junit.jupiter.api.Test;

/** `node` ends with the status Pekko's coordinated shutdown gives its reason, never a plain 0 for all. */
class NodeExitCodeTest {

  private final Config config = NodeConfig.load(Map.of());

  @Test
  void aNodeTheClusterDownedExitsNonZero() {
    assertThat(NodeCommand.exitCode(config, Optional.of(CoordinatedShutdown.clusterDowningReason()))).isEqualTo(-1);
    assertThat(NodeCommand.exitCode(config, Optional.of(CoordinatedShutdown.clusterJoinUnsuccessfulReason())))
        .isEqualTo(-1);
  }

  @Test
  void anUnfitNodeExitsWithItsOwnStatus() {
    assertThat(NodeCommand.exitCode(config, Optional.of(NodeUnfit.INSTANCE))).isEqualTo(70);
  }

  @Test
  void aNodeAskedToStopExitsZero() {
    assertThat(NodeCommand.exitCode(config, Optional.of(CoordinatedShutdown.jvmExitReason()))).isZero();
    assertThat(NodeCommand.exitCode(config, Optional.empty())).isZero();
  }
}
