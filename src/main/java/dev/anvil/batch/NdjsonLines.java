package dev.anvil.batch;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Cuts a stream of bytes into NDJSON lines, numbered from 0: a line ends at {@code \n} (a
 * {@code \r} before it is dropped), the last one may end without; blank lines are skipped and
 * take no number. A line longer than the limit is not kept (its bytes are skipped up to its end)
 * but still numbered, marked too long, so it fails alone instead of failing the whole stream as
 * {@code Framing.delimiter} would.
 */
final class NdjsonLines {

  private NdjsonLines() {}

  /** @param bytes the line without its end; empty when {@code tooLong} */
  record Line(long index, byte[] bytes, boolean tooLong) {}

  static Flow<ByteString, Line, NotUsed> flow(int maxLineBytes) {
    return Flow.<ByteString>create()
        .statefulMap(() -> new Cutter(maxLineBytes), (cutter, chunk) -> Pair.create(cutter, cutter.cut(chunk)),
            cutter -> Optional.of(cutter.end()))
        .mapConcat(lines -> lines);
  }

  private static final class Cutter {
    private final int max;
    private ByteStringBuilder current = new ByteStringBuilder();
    private int length;
    private boolean tooLong;
    private long next;

    Cutter(int max) {
      this.max = max;
    }

    List<Line> cut(ByteString chunk) {
      List<Line> lines = new ArrayList<>();
      int from = 0;
      while (from < chunk.size()) {
        int newline = chunk.indexOf((byte) '\n', from);
        int end = newline < 0 ? chunk.size() : newline;
        append(chunk, from, end);
        if (newline < 0) {
          break;
        }
        Line line = take();
        if (line != null) {
          lines.add(line);
        }
        from = newline + 1;
      }
      return lines;
    }

    List<Line> end() {
      Line line = take();
      return line == null ? List.of() : List.of(line);
    }

    private void append(ByteString chunk, int from, int to) {
      if (tooLong || from == to) {
        return;
      }
      if (length + (to - from) > max + 1) { // + 1: the \r of a line that ends in \r\n
        tooLong = true;
        current = new ByteStringBuilder();
        return;
      }
      current.append(chunk.slice(from, to));
      length += to - from;
    }

    private Line take() {
      if (tooLong) {
        tooLong = false;
        length = 0;
        return new Line(next++, new byte[0], true);
      }
      ByteString bytes = current.result();
      current = new ByteStringBuilder();
      length = 0;
      if (!bytes.isEmpty() && bytes.apply(bytes.size() - 1) == '\r') {
        bytes = bytes.take(bytes.size() - 1);
      }
      if (isBlank(bytes)) {
        return null;
      }
      if (bytes.size() > max) {
        return new Line(next++, new byte[0], true);
      }
      return new Line(next++, bytes.toArray(), false);
    }

    private static boolean isBlank(ByteString bytes) {
      for (int i = 0; i < bytes.size(); i++) {
        byte b = bytes.apply(i);
        if (b != ' ' && b != '\t' && b != '\r') {
          return false;
        }
      }
      return true;
    }
  }
}
