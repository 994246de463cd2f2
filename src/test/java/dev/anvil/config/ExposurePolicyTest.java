package dev.anvil.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.config.HttpSettings;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ExposurePolicyTest {

  private static HttpSettings http(String host, List<String> tokens, boolean anonymous) {
    return new HttpSettings(host, 8080, 1024, 1024, Duration.ofSeconds(1), true, Duration.ZERO, Duration.ZERO, tokens, Optional.empty(),
        anonymous, Optional.empty(), "", false, Duration.ofSeconds(2), Duration.ofSeconds(1));
  }

  @Test
  void loopbackNeedsNoTokens() {
    assertThat(ExposurePolicy.check(http("127.0.0.1", List.of(), false))).isNull();
    assertThat(ExposurePolicy.check(http("localhost", List.of(), false))).isNull();
    assertThat(ExposurePolicy.check(http("::1", List.of(), false))).isNull();
  }

  @Test
  void anyOtherAddressWithoutTokensIsRefusedWithTheFix() {
    assertThatThrownBy(() -> ExposurePolicy.check(http("0.0.0.0", List.of(), false)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0.0.0.0")
        .hasMessageContaining("ANVIL_API_TOKENS")
        .hasMessageContaining("ANVIL_ALLOW_ANONYMOUS");
  }

  @Test
  void tokensOrAnExplicitAllowLetItServe() {
    assertThat(ExposurePolicy.check(http("0.0.0.0", List.of("t"), false))).isNull();
    assertThat(ExposurePolicy.check(http("0.0.0.0", List.of(), true))).contains("anyone");
  }
}
