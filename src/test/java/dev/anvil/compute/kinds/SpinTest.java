package dev.anvil.compute.kinds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.compute.spi.TaskCancelledException;
import org.junit.jupiter.api.Test;

class SpinTest {

  @Test
  void spinsAndCountsIterations() {
    Spin.Result r = new Spin().run(new Spin.Input(20), Contexts.unlimited());
    assertThat(r.ms()).isEqualTo(20);
    assertThat(r.iterations()).isPositive();
  }

  @Test
  void zeroMillisecondsReturnsAtOnce() {
    assertThat(new Spin().run(new Spin.Input(0), Contexts.unlimited()).iterations()).isZero();
  }

  @Test
  void stopsWhenCancelled() {
    assertThatThrownBy(() -> new Spin().run(new Spin.Input(Spin.MAX_MS), Contexts.cancelled()))
        .isInstanceOf(TaskCancelledException.class);
  }
}
