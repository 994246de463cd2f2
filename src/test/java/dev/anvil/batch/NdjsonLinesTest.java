package dev.anvil.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/** Lines cut from bytes however they are split into chunks: blank lines skipped, long ones marked, none lost. */
class NdjsonLinesTest {

  private static ActorTestKit testKit;

  @BeforeContainer
  static void start() {
    testKit = ActorTestKit.create();
  }

  @AfterContainer
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Property(tries = 200)
  void theSameLinesComeOutWhereverTheChunksSplitThem(
      @ForAll @Size(max = 30) List<@IntRange(min = 0, max = 40) Integer> lengths,
      @ForAll @IntRange(min = 1, max = 17) int chunk, @ForAll boolean crlf, @ForAll boolean lastEnds) {
    int max = 32;
    StringBuilder text = new StringBuilder();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < lengths.size(); i++) {
      String line = "x".repeat(lengths.get(i)); // 0: a blank line, skipped; over 32: too long
      text.append(line);
      if (i < lengths.size() - 1 || lastEnds) {
        text.append(crlf ? "\r\n" : "\n");
      }
      if (!line.isEmpty()) {
        expected.add(line.length() > max ? "<too long>" : line);
      }
    }
    byte[] bytes = text.toString().getBytes(StandardCharsets.US_ASCII);
    List<ByteString> chunks = new ArrayList<>();
    for (int from = 0; from < bytes.length; from += chunk) {
      chunks.add(ByteString.fromArray(bytes, from, Math.min(chunk, bytes.length - from)));
    }

    List<NdjsonLines.Line> lines = Source.from(chunks).via(NdjsonLines.flow(max))
        .runWith(Sink.seq(), testKit.system()).toCompletableFuture().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS)
        .join();

    List<String> got = lines.stream()
        .map(l -> l.tooLong() ? "<too long>" : new String(l.bytes(), StandardCharsets.US_ASCII)).toList();
    assertThat(got).isEqualTo(expected);
    for (int i = 0; i < lines.size(); i++) {
      assertThat(lines.get(i).index()).isEqualTo(i);
    }
  }
}
