package dev.anvil.compute.kinds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.anvil.compute.spi.InvalidInputException;
import org.junit.jupiter.api.Test;

class StatsTest {

  private final Stats stats = new Stats();

  @Test
  void summarisesValues() {
    Stats.Result r = stats.run(new Stats.Input(new double[] {2, 4, 4, 4, 5, 5, 7, 9}), Contexts.unlimited());
    assertThat(r.count()).isEqualTo(8);
    assertThat(r.mean()).isEqualTo(5.0);
    assertThat(r.stddev()).isEqualTo(2.0, within(1e-12)); // the textbook population example
    assertThat(r.min()).isEqualTo(2);
    assertThat(r.max()).isEqualTo(9);
    assertThat(r.p50()).isEqualTo(4.5);
  }

  @Test
  void interpolatesPercentilesBetweenRanks() {
    double[] values = new double[101];
    for (int i = 0; i <= 100; i++) {
      values[100 - i] = i; // unsorted on purpose
    }
    Stats.Result r = stats.run(new Stats.Input(values), Contexts.unlimited());
    assertThat(r.p50()).isEqualTo(50);
    assertThat(r.p90()).isEqualTo(90);
    assertThat(r.p99()).isEqualTo(99);
    assertThat(Stats.percentile(new double[] {1, 2}, 0.5)).isEqualTo(1.5);
  }

  @Test
  void oneValueIsItsOwnSummary() {
    Stats.Result r = stats.run(new Stats.Input(new double[] {3}), Contexts.unlimited());
    assertThat(r).isEqualTo(new Stats.Result(1, 3, 0, 3, 3, 3, 3, 3));
  }

  @Test
  void namesTheValueThatBreaksABound() {
    assertThatThrownBy(() -> stats.validate(new Stats.Input(new double[0])))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("values"));
    assertThatThrownBy(() -> stats.validate(new Stats.Input(new double[] {1, 1e200})))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("values[1]"));
    assertThatThrownBy(() -> stats.validate(new Stats.Input(new double[Stats.MAX_VALUES + 1])))
        .hasMessageContaining("at most");
  }
}
