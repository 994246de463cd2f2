package dev.anvil.launcher;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * When to start a dead node again: after a backoff that doubles with each recent crash, and
 * never once it has crashed too often within the window (a crash loop helps nobody).
 */
final class RestartPolicy {

  private final Duration backoff;
  private final Duration backoffMax;
  private final int maxRestarts;
  private final Duration window;
  private final Deque<Long> recent = new ArrayDeque<>();

  RestartPolicy(Duration backoff, Duration backoffMax, int maxRestarts, Duration window) {
    this.backoff = backoff;
    this.backoffMax = backoffMax;
    this.maxRestarts = maxRestarts;
    this.window = window;
  }

  /** Records a crash at {@code nowNanos}; returns the delay before the restart, or null to give up. */
  synchronized Duration onCrash(long nowNanos) {
    while (!recent.isEmpty() && nowNanos - recent.peekFirst() > window.toNanos()) {
      recent.pollFirst();
    }
    if (recent.size() >= maxRestarts) {
      return null;
    }
    int crashes = recent.size();
    recent.addLast(nowNanos);
    long delay = backoff.toMillis() << Math.min(crashes, 20);
    return Duration.ofMillis(Math.min(delay, backoffMax.toMillis()));
  }

  /** Forgets the crashes: a slot given up is tried afresh (after the window, or on a roll). */
  synchronized void reset() {
    recent.clear();
  }
}
