package dev.anvil.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

/** The client's pieces that need no server: URLs. */
class ClientPartsTest {

  @Test
  void urlsMustBeHttpWithAHostAndLoseATrailingSlash() {
    ApiOptions.BaseUrl u = new ApiOptions.BaseUrl();
    assertThat(u.convert("http://10.0.0.1:8080/").toString()).isEqualTo("http://10.0.0.1:8080");
    assertThat(u.convert("https://anvil.example/api").toString()).isEqualTo("https://anvil.example/api");
    assertThatThrownBy(() -> u.convert("localhost:8080")).isInstanceOf(TypeConversionException.class);
    assertThatThrownBy(() -> u.convert("http:///x")).isInstanceOf(TypeConversionException.class);
  }
}
