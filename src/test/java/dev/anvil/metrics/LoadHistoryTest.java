package dev.anvil.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The ring a node keeps its last minutes in. */
class LoadHistoryTest {

  @Test
  void ratesComeFromTheCompletedCountsDeltas() {
    LoadHistory.Ring ring = new LoadHistory.Ring();
    ring.record(10_000, 100, null, null); // the first reading is only a baseline
    ring.record(11_000, 150, 4.0, 9.0);
    ring.record(13_000, 250, 5.0, 11.0);
    List<LoadHistory.Sample> samples = ring.samples();
    assertThat(samples).extracting(LoadHistory.Sample::time).containsExactly(11_000L, 13_000L);
    assertThat(samples).extracting(LoadHistory.Sample::rate).containsExactly(50.0, 50.0);
    assertThat(samples.get(1).computeP99Ms()).isEqualTo(11.0);
  }

  @Test
  void keepsTheNewestFiveMinutesOldestFirst() {
    LoadHistory.Ring ring = new LoadHistory.Ring();
    for (int second = 0; second <= LoadHistory.SAMPLES + 50; second++) {
      ring.record(second * 1000L, second * 2L, null, null);
    }
    List<LoadHistory.Sample> samples = ring.samples();
    assertThat(samples).hasSize(LoadHistory.SAMPLES);
    assertThat(samples.get(0).time()).isEqualTo(51_000L);
    assertThat(samples.get(samples.size() - 1).time()).isEqualTo((LoadHistory.SAMPLES + 50) * 1000L);
    assertThat(samples).allSatisfy(s -> assertThat(s.rate()).isEqualTo(2.0));
  }

  @Test
  void aCounterThatWentBackIsNotARate() {
    LoadHistory.Ring ring = new LoadHistory.Ring();
    ring.record(1_000, 500, null, null);
    ring.record(2_000, 0, null, null); // a new scheduler: a baseline again, not a negative rate
    ring.record(3_000, 10, null, null);
    assertThat(ring.samples()).extracting(LoadHistory.Sample::rate).containsExactly(10.0);
  }
}
