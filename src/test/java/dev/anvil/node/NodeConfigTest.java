package dev.anvil.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Where a setting comes from: the command line over -D over the environment over application.conf over reference.conf. */
class NodeConfigTest {

  @AfterEach
  void clear() {
    System.clearProperty("anvil.http.port");
    System.clearProperty("anvil.compute.queue-per-worker");
    ConfigFactory.invalidateCaches();
  }

  @Test
  void anOptionWinsOverASystemProperty() {
    System.setProperty("anvil.http.port", "1234");
    ConfigFactory.invalidateCaches();
    Config config = NodeConfig.load(Map.of("anvil.http.port", 5678));
    assertThat(config.getInt("anvil.http.port")).isEqualTo(5678);
  }

  @Test
  void aSystemPropertyWinsOverApplicationConf() {
    System.setProperty("anvil.compute.queue-per-worker", "7");
    ConfigFactory.invalidateCaches();
    assertThat(NodeConfig.load(Map.of()).getInt("anvil.compute.queue-per-worker")).isEqualTo(7);
  }

  @Test
  void settingsThatReferToOthersFollowTheOverride() {
    // pekko.management.http.port is ${anvil.management.port} in application.conf (anvil.* in reference.conf)
    Config config = NodeConfig.load(Map.of("anvil.management.port", 9999));
    assertThat(config.getInt("pekko.management.http.port")).isEqualTo(9999);
  }

  @Test
  void sizesThatCrossNodesMustFitTheFramesThatCarryThem() {
    assertThatThrownBy(() -> NodeConfig.load(Map.of("anvil.jobs.max-result-bytes", "17 MiB")))
        .hasMessageContaining("anvil.jobs.max-result-bytes").hasMessageContaining("maximum-large-frame-size");
    assertThatThrownBy(() -> NodeConfig.load(Map.of("anvil.http.max-body-bytes", "17 MiB")))
        .hasMessageContaining("anvil.http.max-body-bytes");
    assertThatThrownBy(() -> NodeConfig.load(Map.of("anvil.jobs.inline-bytes", "256 KiB")))
        .hasMessageContaining("anvil.jobs.inline-bytes").hasMessageContaining("maximum-frame-size");
    assertThat(NodeConfig.load(Map.of("anvil.jobs.max-result-bytes", "32 MiB",
        "pekko.remote.artery.advanced.maximum-large-frame-size", "33 MiB")).getBytes("anvil.jobs.max-result-bytes"))
        .isEqualTo(32L << 20);
  }

  @Test
  void aTenantsFileGivesTheTenantsTheirWeightsAndQuotas(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws java.io.IOException {
    java.nio.file.Path file = dir.resolve("tenants.conf");
    java.nio.file.Files.writeString(file, "defaults { max-jobs = 1000 }\nby-name { team-a { weight = 3 } }\n");
    Config config = NodeConfig.load(Map.of("anvil.tenants-file", file.toString()));
    assertThat(config.getDouble("anvil.tenants.by-name.team-a.weight")).isEqualTo(3);
    assertThat(config.getLong("anvil.tenants.defaults.max-jobs")).isEqualTo(1000);
    assertThat(config.getInt("anvil.tenants.defaults.max-running")).isZero(); // the rest from reference.conf
  }

  @Test
  void aBadTokensFileOrTenantSettingStopsTheStartNamingIt(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws java.io.IOException {
    java.nio.file.Path tokens = dir.resolve("tokens");
    java.nio.file.Files.writeString(tokens, "team-a submit,read ok-token\nteam-b sudo other-token\n");
    assertThatThrownBy(() -> NodeConfig.load(Map.of("anvil.http.tokens-file", tokens.toString())))
        .hasMessageContaining(tokens.toString()).hasMessageContaining("line 2").hasMessageContaining("'sudo'");
    assertThatThrownBy(() -> NodeConfig.load(Map.of("anvil.http.tokens-file", dir.resolve("missing").toString())))
        .hasMessageContaining("cannot be read");
    assertThatThrownBy(() -> NodeConfig.load(Map.of("anvil.tenants.by-name.team-a.weight", 0)))
        .hasMessageContaining("anvil.tenants").hasMessageContaining("weight");
  }
}
