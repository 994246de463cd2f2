package com.example.kinds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.compute.spi.InvalidInputException;
import dev.anvil.compute.spi.TaskCancelledException;
import dev.anvil.testkit.TestTaskContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The kind alone: its result, its bounds, its cancellation and progress. */
class HashChainTest {

  private final HashChain kind = new HashChain();

  @Test
  void oneRoundIsTheSha256OfTheSeed() throws Exception {
    String expected = HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest("abc".getBytes(StandardCharsets.UTF_8)));
    assertThat(kind.run(new HashChain.Input("abc", 1), new TestTaskContext()).hex())
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        .isEqualTo(expected);
  }

  @Test
  void theChainIsTheSameEveryTime() throws Exception {
    HashChain.Result a = kind.run(new HashChain.Input("anvil", 50_000), new TestTaskContext());
    HashChain.Result b = kind.run(new HashChain.Input("anvil", 50_000), new TestTaskContext());
    assertThat(a).isEqualTo(b);
    assertThat(a.hex()).hasSize(64);
  }

  @Test
  void inputOutOfBoundsIsRefusedNamingTheField() {
    assertThatThrownBy(() -> kind.validate(new HashChain.Input("a", 0)))
        .isInstanceOf(InvalidInputException.class)
        .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("rounds"));
    assertThatThrownBy(() -> kind.validate(new HashChain.Input("a", HashChain.MAX_ROUNDS + 1)))
        .isInstanceOf(InvalidInputException.class);
    assertThatThrownBy(() -> kind.validate(new HashChain.Input(null, 10)))
        .isInstanceOf(InvalidInputException.class)
        .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("seed"));
    assertThatThrownBy(() -> kind.validate(new HashChain.Input("x".repeat(HashChain.MAX_SEED_CHARS + 1), 10)))
        .isInstanceOf(InvalidInputException.class);
  }

  @Test
  void theExampleIsValid() {
    kind.validate(kind.exampleInput());
  }

  @Test
  void itStopsWhenCancelledAndReportsProgressOnTheWay() {
    TestTaskContext context = new TestTaskContext().cancelOnceProgressReaches(0.2);
    assertThatThrownBy(() -> kind.run(new HashChain.Input("a", HashChain.MAX_ROUNDS), context))
        .isInstanceOf(TaskCancelledException.class);
    assertThat(context.progress()).isNotEmpty().isSorted().allSatisfy(p -> assertThat(p).isBetween(0.0, 0.3));
  }
}
