package dev.anvil.compute.kinds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.compute.spi.InvalidInputException;
import dev.anvil.compute.spi.TaskCancelledException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Pbkdf2Test {

  private final Pbkdf2 pbkdf2 = new Pbkdf2();

  // PBKDF2-HMAC-SHA256 vectors from RFC 7914 section 11 and the widely used set for SHA-256
  @ParameterizedTest
  @CsvSource({
      "password, salt, 1, 32, 120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b",
      "password, salt, 2, 32, ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43",
      "password, salt, 4096, 32, c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a",
      "passwd, salt, 1, 64, 55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
          + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"})
  void matchesPublishedVectors(String password, String salt, int iterations, int keyBytes, String hex) {
    Pbkdf2.Result result = pbkdf2.run(new Pbkdf2.Input(password, salt, iterations, keyBytes), Contexts.unlimited());
    assertThat(result.hex()).isEqualTo(hex);
  }

  // the JDK refuses an empty salt, so the comparison covers salts of at least one character
  @Property(tries = 40)
  void agreesWithTheJdk(@ForAll @AlphaChars @StringLength(min = 1, max = 40) String password,
      @ForAll @StringLength(min = 1, max = 40) String salt, @ForAll @IntRange(min = 1, max = 50) int iterations,
      @ForAll @IntRange(min = 1, max = 100) int keyBytes) throws Exception {
    byte[] expected = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
        .generateSecret(new PBEKeySpec(password.toCharArray(), salt.getBytes(StandardCharsets.UTF_8), iterations,
            keyBytes * 8))
        .getEncoded();
    Pbkdf2.Result result = pbkdf2.run(new Pbkdf2.Input(password, salt, iterations, keyBytes), Contexts.unlimited());
    assertThat(result.hex()).isEqualTo(HexFormat.of().formatHex(expected));
  }

  @Test
  void acceptsAnEmptyPassword() {
    // expected value from Python: hashlib.pbkdf2_hmac('sha256', b'', b'salt', 1, 32).hex()
    Pbkdf2.Result result = pbkdf2.run(new Pbkdf2.Input("", "salt", 1, 32), Contexts.unlimited());
    assertThat(result.hex()).isEqualTo("f135c27993baf98773c5cdb40a5706ce6a345cde61b000a67858650cd6a324d7");
  }

  @Test
  void defaultsTo32KeyBytes() {
    assertThat(pbkdf2.run(new Pbkdf2.Input("password", "salt", 1, null), Contexts.unlimited()).hex())
        .isEqualTo("120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
  }

  @Test
  void stopsWhenCancelled() {
    assertThatThrownBy(() -> pbkdf2.run(new Pbkdf2.Input("p", "s", 5_000_000, 32), Contexts.cancelled()))
        .isInstanceOf(TaskCancelledException.class);
  }

  @Test
  void namesTheBoundABadInputBreaks() {
    assertField(new Pbkdf2.Input(null, "s", 1, 32), "password");
    assertField(new Pbkdf2.Input("p", null, 1, 32), "salt");
    assertField(new Pbkdf2.Input("p", "s", 0, 32), "iterations");
    assertField(new Pbkdf2.Input("p", "s", 1, 0), "keyBytes");
    assertField(new Pbkdf2.Input("p", "s", 1, Pbkdf2.MAX_KEY_BYTES + 1), "keyBytes");
    assertField(new Pbkdf2.Input("p", "s", 5_000_000, 96), "iterations");
    assertField(new Pbkdf2.Input("x".repeat(Pbkdf2.MAX_BYTES + 1), "s", 1, 32), "password");
  }

  private void assertField(Pbkdf2.Input input, String field) {
    assertThatThrownBy(() -> pbkdf2.validate(input))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo(field));
  }
}
