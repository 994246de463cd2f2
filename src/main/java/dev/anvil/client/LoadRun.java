package dev.anvil.client;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * A closed-loop load: {@code concurrency} loops, each sending one request and waiting for its answer
 * before the next, for a fixed time. So at most {@code concurrency} requests are in flight and nothing
 * queues in the client; a request still unanswered when the time is up is abandoned (its timeout is
 * the time left), so the run ends on time whatever the server does.
 */
final class LoadRun {

  /** After a request got no answer at all (nothing listens): a pause, so a loop does not spin on errors. */
  private static final long ERROR_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  /** How long past the end loops may take to read their last answers before they are interrupted. */
  private static final Duration GRACE = Duration.ofSeconds(5);

  private final ApiClient client;
  private final HttpRequest request;
  private final int concurrency;
  private final Duration duration;

  private final LongAdder succeeded = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder cutOff = new LongAdder();
  private final ConcurrentSkipListMap<Integer, LongAdder> statuses = new ConcurrentSkipListMap<>();
  private final ConcurrentHashMap<Integer, String> details = new ConcurrentHashMap<>();
  private final ConcurrentSkipListMap<String, LongAdder> errors = new ConcurrentSkipListMap<>();
  private volatile long startNanos;

  LoadRun(ApiClient client, HttpRequest request, int concurrency, Duration duration) {
    this.client = client;
    this.request = request;
    this.concurrency = concurrency;
    this.duration = duration;
  }

  /** Runs the loops; calls {@code tick} on this thread about four times a second until they are done. */
  LoadSummary run(String kind, Runnable tick) throws InterruptedException {
    AtomicInteger threads = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency, r -> {
      Thread t = new Thread(r, "anvil-load-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    startNanos = System.nanoTime();
    long end = startNanos + duration.toNanos();
    List<Future<Histogram>> loops = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      loops.add(pool.submit(() -> loop(end)));
    }
    pool.shutdown();
    try {
      while (!pool.awaitTermination(250, TimeUnit.MILLISECONDS)) {
        tick.run();
        if (System.nanoTime() - end > GRACE.toNanos()) {
          pool.shutdownNow();
        }
      }
    } finally {
      pool.shutdownNow();
    }
    long elapsed = System.nanoTime() - startNanos;
    tick.run();
    Histogram latency = LoadSummary.newHistogram();
    for (Future<Histogram> loop : loops) {
      try {
        latency.add(loop.get());
      } catch (ExecutionException e) {
        throw new IllegalStateException("a load loop failed", e.getCause());
      }
    }
    TreeMap<Integer, Long> byStatus = new TreeMap<>();
    statuses.forEach((status, n) -> byStatus.put(status, n.sum()));
    TreeMap<String, Long> byError = new TreeMap<>();
    errors.forEach((cause, n) -> byError.put(cause, n.sum()));
    return new LoadSummary(kind, concurrency, elapsed, latency, byStatus, new TreeMap<>(details), byError,
        cutOff.sum());
  }

  long succeeded() {
    return succeeded.sum();
  }

  /** Answers other than 200, and requests with no answer. */
  long failed() {
    return failed.sum();
  }

  Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  private Histogram loop(long end) {
    Histogram latency = LoadSummary.newHistogram();
    while (!Thread.currentThread().isInterrupted()) {
      long start = System.nanoTime();
      long left = end - start;
      if (left <= 0) {
        break;
      }
      HttpRequest timed = HttpRequest.newBuilder(request, (name, value) -> true).timeout(Duration.ofNanos(left))
          .build();
      try {
        HttpResponse<String> response = client.http().send(timed, HttpResponse.BodyHandlers.ofString());
        long micros = (System.nanoTime() - start) / 1000;
        int status = response.statusCode();
        statuses.computeIfAbsent(status, s -> new LongAdder()).increment();
        if (status == 200) {
          latency.recordValue(Math.min(micros, latency.getHighestTrackableValue()));
          succeeded.increment();
        } else {
          failed.increment();
          details.computeIfAbsent(status, s -> client.problem(s, response.body()));
        }
      } catch (HttpConnectTimeoutException e) {
        noAnswer("connect timeout", end);
      } catch (HttpTimeoutException e) {
        cutOff.increment(); // its timeout is the time that was left: the run is over
      } catch (IOException e) {
        noAnswer(e instanceof ConnectException ? "refused" : e.getClass().getSimpleName(), end);
      } catch (InterruptedException e) {
        break; // past the grace period
      }
    }
    return latency;
  }

  private void noAnswer(String cause, long end) {
    errors.computeIfAbsent(cause, c -> new LongAdder()).increment();
    failed.increment();
    LockSupport.parkNanos(Math.max(0, Math.min(ERROR_PAUSE_NANOS, end - System.nanoTime())));
  }
}
