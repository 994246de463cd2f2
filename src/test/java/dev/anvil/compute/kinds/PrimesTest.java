package dev.anvil.compute.kinds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.chaos.Oracle;
import dev.anvil.compute.spi.InvalidInputException;
import dev.anvil.compute.spi.TaskCancelledException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PrimesTest {

  @ParameterizedTest
  @CsvSource({"0,0", "1,0", "2,1", "3,2", "4,2", "10,4", "100,25", "1000,168", "524289,43390", "1000000,78498",
      "10000000,664579"})
  void countsKnownPrimeCounts(int limit, long count) {
    assertThat(Primes.count(limit, Contexts.unlimited())).isEqualTo(count);
  }

  @Property(tries = 60)
  void agreesWithAPlainSieve(@ForAll @IntRange(min = 0, max = 1_200_000) int limit) {
    assertThat(Primes.count(limit, Contexts.unlimited())).isEqualTo(Oracle.primesUpTo(limit));
  }

  @Test
  void stopsWhenCancelled() {
    assertThatThrownBy(() -> Primes.count(Primes.MAX_LIMIT, Contexts.cancelled()))
        .isInstanceOf(TaskCancelledException.class);
  }

  @Test
  void rejectsLimitsOutsideTheBounds() {
    Primes primes = new Primes();
    assertThatThrownBy(() -> primes.validate(new Primes.Input(-1)))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("limit"));
    assertThatThrownBy(() -> primes.validate(new Primes.Input(Primes.MAX_LIMIT + 1)))
        .hasMessageContaining("200000000");
    assertThatThrownBy(() -> primes.validate(new Primes.Input(null))).hasMessage("limit is required");
  }
}
