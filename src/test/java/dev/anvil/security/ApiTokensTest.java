package dev.anvil.security;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
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

  @Test
  void aTokensFileGivesEachTokenItsTenantAndScopes() throws Exception {
    ApiTokens tokens = ApiTokens.parseFile(List.of(
        "# team tokens",
        "",
        "team-a submit,read  alpha-token-1",
        "  team-b read beta-token-2  ",
        "ops admin " + ApiTokens.hashed("root-token-3")), List.of("legacy-token"));
    assertThat(tokens.find("alpha-token-1")).hasValue(new Caller("team-a", Set.of(Scope.SUBMIT, Scope.READ)));
    assertThat(tokens.find("beta-token-2")).hasValue(new Caller("team-b", Set.of(Scope.READ)));
    assertThat(tokens.find("root-token-3")).hasValue(new Caller("ops", Set.of(Scope.ADMIN)));
    assertThat(tokens.find("legacy-token")).hasValue(Caller.OPEN); // ANVIL_API_TOKENS: tenant default, every scope
    assertThat(tokens.find(ApiTokens.hashed("root-token-3"))).isEmpty(); // the hash is not a token
    assertThat(tokens.find("# team tokens")).isEmpty();
    assertThat(tokens.tenants()).containsExactly("default", "team-a", "team-b", "ops");
  }

  @Test
  void anEmptyTokensFileStillClosesTheApi() throws Exception {
    ApiTokens tokens = ApiTokens.parseFile(List.of("# nobody yet"), List.of());
    assertThat(tokens.isEmpty()).isFalse();
    assertThat(tokens.find("")).isEmpty();
  }

  @Test
  void aBadLineIsNamedByItsNumber() {
    assertBad(List.of("# ok", "team-a submit"), 2, "3 fields");
    assertBad(List.of("team-a submit,write tok"), 1, "unknown scope 'write'");
    assertBad(List.of("team a submit tok"), 1, "3 fields");
    assertBad(List.of("-team submit tok"), 1, "tenant");
    assertBad(List.of("team-a submit sha256:abc"), 1, "64 hex digits");
    assertBad(List.of("team-a submit tok", "team-b read tok"), 2, "given twice");
  }

  private static void assertBad(List<String> lines, int line, String reason) {
    assertThatThrownBy(() -> ApiTokens.parseFile(lines, List.of()))
        .isInstanceOfSatisfying(ApiTokens.BadFile.class, e -> assertThat(e.line()).isEqualTo(line))
        .hasMessageContaining("line " + line).hasMessageContaining(reason);
  }

  @Test
  void adminHasEveryScopeAndSeesEveryTenant() {
    Caller admin = new Caller("ops", Set.of(Scope.ADMIN));
    Caller reader = new Caller("team-b", Set.of(Scope.READ));
    assertThat(admin.may(Scope.SUBMIT)).isTrue();
    assertThat(admin.sees("team-a")).isTrue();
    assertThat(reader.may(Scope.SUBMIT)).isFalse();
    assertThat(reader.sees("team-b")).isTrue();
    assertThat(reader.sees("team-a")).isFalse();
    assertThat(Caller.NOBODY.may(Scope.READ)).isFalse();
  }
}
