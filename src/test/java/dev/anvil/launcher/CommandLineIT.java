package dev.anvil.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.NodeProcess;
import dev.anvil.Tiers;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Options and environment are checked before anything starts: one line naming the option or
 * variable and what it accepts, exit status 2, no stack trace, no node started.
 */
@Tag(Tiers.SLOW)
class CommandLineIT {

  static Stream<Arguments> badSettings() {
    return Stream.of(
        Arguments.of(Map.of(), new String[] {"node", "--workers", "-3"}, "--workers must be a whole number from 0"),
        Arguments.of(Map.of(), new String[] {"start", "--nodes", "-1"}, "--nodes must be a whole number from 0"),
        Arguments.of(Map.of(), new String[] {"node", "--http-port", "99999"},
            "--http-port must be a port number from 0 to 65535, was '99999'"),
        Arguments.of(Map.of(), new String[] {"start", "--http-port", "99999"},
            "--http-port must be a port number from 0 to 65535, was '99999'"),
        Arguments.of(Map.of("ANVIL_NODES", "abc"), new String[] {"start"}, "ANVIL_NODES must be a whole number"),
        Arguments.of(Map.of("ANVIL_WORKERS", "many"), new String[] {"node"}, "ANVIL_WORKERS must be a whole number"),
        Arguments.of(Map.of("ANVIL_ALLOW_ANONYMOUS", "1"), new String[] {"node"},
            "ANVIL_ALLOW_ANONYMOUS must be true or false"),
        Arguments.of(Map.of("ANVIL_CLUSTER_PORT", "-5"), new String[] {"node"}, "ANVIL_CLUSTER_PORT must be a port"),
        Arguments.of(Map.of("ANVIL_SEED_NODES", "nohost"), new String[] {"node"},
            "ANVIL_SEED_NODES: seed node 'nohost' is not host:port"),
        Arguments.of(Map.of("ANVIL_CLUSTER_DISCOVERY", "config"), new String[] {"node"},
            "anvil.cluster.contact-points must list the management endpoints"),
        Arguments.of(Map.of("ANVIL_CLUSTER_DISCOVERY", "etcd"), new String[] {"node"},
            "ANVIL_CLUSTER_DISCOVERY must be seed-nodes, config, kubernetes-api or dns, was 'etcd'"));
  }

  @ParameterizedTest
  @MethodSource("badSettings")
  void aBadSettingIsOneLineNamingItAndExitStatus2(Map<String, String> env, String[] args, String message)
      throws Exception {
    try (NodeProcess process = NodeProcess.start(env, args)) {
      assertThat(process.awaitExit()).as(process.output()).isEqualTo(2);
      assertThat(process.lines()).as(process.output()).hasSize(1);
      assertThat(process.lines().get(0)).contains(message);
    }
  }

  @ParameterizedTest
  @MethodSource("versionCommands")
  void versionIsTheProjectsVersion(String[] args) throws Exception {
    try (NodeProcess process = NodeProcess.start(Map.of(), args)) {
      assertThat(process.awaitExit()).isZero();
      assertThat(process.output()).matches("anvil \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
    }
  }

  static Stream<Arguments> versionCommands() {
    return Stream.of(Arguments.of((Object) new String[] {"--version"}),
        Arguments.of((Object) new String[] {"node", "--version"}),
        Arguments.of((Object) new String[] {"start", "--version"}));
  }
}
