package dev.anvil.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ApiTokensTest {

  @Test
  void acceptsExactlyTheConfiguredTokens() {
    ApiTokens tokens = ApiTokens.of(ApiTokens.parse(" alpha-1 , beta-2 ,"));
    assertThat(tokens.isEmpty()).isFalse();
    assertThat(tokens.accepts("alpha-1")).isTrue();
    assertThat(tokens.accepts("beta-2")).isTrue();
    assertThat(tokens.accepts("alpha-")).isFalse();
    assertThat(tokens.accepts("alpha-12")).isFalse();
    assertThat(tokens.accepts("")).isFalse();
    assertThat(tokens.accepts("ALPHA-1")).isFalse();
  }

  @Test
  void blankMeansNoTokens() {
    assertThat(ApiTokens.of(ApiTokens.parse(" , ")).isEmpty()).isTrue();
    assertThat(ApiTokens.of(List.of()).accepts("")).isFalse();
  }
}
