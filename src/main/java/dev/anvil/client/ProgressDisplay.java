package dev.anvil.client;

import java.io.PrintWriter;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarRenderer;

/**
 * A progress bar on stderr (stdout stays for results): {@code job 6c1f... [=======     ]  58%  running}.
 * On a terminal it redraws one line five times a second; elsewhere (a pipe, a log, a test) it writes
 * a line when the bar shows something new, at most once a second.
 */
final class ProgressDisplay implements AutoCloseable {

  private static final int WIDTH = 120;
  private static final int BAR = 30;

  private final ProgressBar bar;

  private ProgressDisplay(ProgressBar bar) {
    this.bar = bar;
  }

  static ProgressDisplay start(PrintWriter err, String task, long max) {
    boolean terminal = System.console() != null;
    return new ProgressDisplay(new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(max)
        .setUpdateIntervalMillis(terminal ? 200 : 1000)
        .setRenderer(renderer(terminal ? '#' : '='))
        // a consumer of our own: the library's would probe the terminal through JLine
        .setConsumer(terminal ? new Redraw(err) : new Lines(err))
        .build());
  }

  void stepTo(long n) {
    bar.stepTo(n);
  }

  void message(String message) {
    bar.setExtraMessage(message);
  }

  /** Draws the bar a last time and ends its line. */
  @Override
  public void close() {
    bar.close();
  }

  /** The library's renderer adds a ratio and times that read oddly for a job's percentage; this one does not. */
  private static ProgressBarRenderer renderer(char block) {
    return (state, maxLength) -> {
      double done = Math.max(0, Math.min(1, state.getNormalizedProgress()));
      int filled = (int) Math.floor(done * BAR);
      String extra = state.getExtraMessage();
      String line = state.getTaskName() + " [" + String.valueOf(block).repeat(filled) + " ".repeat(BAR - filled)
          + "] " + String.format("%3d%%", (int) Math.floor(done * 100))
          + (extra == null || extra.isEmpty() ? "" : "  " + extra);
      return line.length() > maxLength ? line.substring(0, maxLength) : line;
    };
  }

  /** A terminal: each drawing replaces the last. */
  private static final class Redraw implements ProgressBarConsumer {
    private final PrintWriter err;
    private int lastLength;

    Redraw(PrintWriter err) {
      this.err = err;
    }

    @Override
    public int getMaxRenderedLength() {
      return WIDTH;
    }

    @Override
    public synchronized void accept(String line) {
      err.print('\r' + line + " ".repeat(Math.max(0, lastLength - line.length())));
      err.flush();
      lastLength = line.length();
    }

    @Override
    public synchronized void close() {
      err.println();
      err.flush();
    }
  }

  /** Not a terminal: a line per drawing that differs from the last one. */
  private static final class Lines implements ProgressBarConsumer {
    private final PrintWriter err;
    private String last;

    Lines(PrintWriter err) {
      this.err = err;
    }

    @Override
    public int getMaxRenderedLength() {
      return WIDTH;
    }

    @Override
    public synchronized void accept(String line) {
      if (!line.equals(last)) {
        err.println(line);
        err.flush();
        last = line;
      }
    }

    @Override
    public synchronized void close() {
      err.flush();
    }
  }
}
