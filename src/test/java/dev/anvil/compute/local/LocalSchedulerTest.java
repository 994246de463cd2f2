package dev.anvil.compute.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.compute.kinds.Primes;
import dev.anvil.compute.local.LocalScheduler.Admission;
import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.compute.task.TaskOutcome.Failure;
import dev.anvil.compute.task.TaskRun;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The scheduler alone, with workers that only record what they were handed. */
class LocalSchedulerTest {

  private static final long SPILL_AFTER = 10_000_000_000L; // far beyond how long a test takes

  private final List<TaskRun> started = new ArrayList<>();
  private final AtomicInteger routerNudges = new AtomicInteger();
  private final AtomicInteger poolNudges = new AtomicInteger();

  private LocalScheduler scheduler(int workers, int waitCapacity) {
    return scheduler(workers, waitCapacity, Duration.ZERO);
  }

  private LocalScheduler scheduler(int workers, int waitCapacity, Duration admissionWait) {
    LocalScheduler s = new LocalScheduler(new LocalScheduler.Limits(waitCapacity, 2, Duration.ofNanos(SPILL_AFTER),
        admissionWait, 8));
    s.connectRouter(routerNudges::incrementAndGet);
    s.connectPool(poolNudges::incrementAndGet);
    for (int i = 0; i < workers; i++) {
      s.addWorker(slot("w" + i));
    }
    return s;
  }

  private WorkerSlot slot(String name) {
    return new WorkerSlot(name, started::add);
  }

  private static TaskRun job(long id, AtomicReference<TaskOutcome> answer) {
    return job(id, 10_000, System.nanoTime(), answer);
  }

  private static TaskRun job(long id, long timeoutMs, long receivedNanos, AtomicReference<TaskOutcome> answer) {
    return new TaskRun(id, new Primes(), new byte[0], null, timeoutMs, receivedNanos, answer::set);
  }

  private static TaskRun job(long id) {
    return job(id, new AtomicReference<>());
  }

  @Test
  void aTaskGoesStraightToAnIdleWorker() {
    LocalScheduler s = scheduler(2, 4);
    TaskRun a = job(1);
    assertThat(s.submit(a)).isEqualTo(Admission.STARTED);
    assertThat(started).containsExactly(a);
    assertThat(s.load().running()).isEqualTo(1);
  }

  @Test
  void whenEveryWorkerIsBusyTasksWaitAndTheFinishingWorkerTakesTheOldest() {
    LocalScheduler s = scheduler(1, 4);
    TaskRun a = job(1);
    TaskRun b = job(2);
    TaskRun c = job(3);
    s.submit(a);
    assertThat(s.submit(b)).isEqualTo(Admission.QUEUED);
    assertThat(s.submit(c)).isEqualTo(Admission.QUEUED);
    WorkerSlot worker = s.busySlots().get(0);
    assertThat(s.next(worker, a)).isSameAs(b);
    assertThat(s.next(worker, b)).isSameAs(c);
    assertThat(s.next(worker, c)).isNull();
    assertThat(s.load()).isEqualTo(new LocalScheduler.Load(1, 0, 0, 3, true, 2, 0));
  }

  @Test
  void aFullQueueRefusesAndSaysSo() {
    LocalScheduler s = scheduler(1, 1);
    s.submit(job(1));
    s.submit(job(2));
    assertThat(s.submit(job(3))).isEqualTo(Admission.REJECTED);
  }

  @Test
  void aTaskThatFindsTheQueueFullWaitsForRoomAndTakesItWhenItOpens() {
    LocalScheduler s = scheduler(1, 1, Duration.ofSeconds(10));
    TaskRun running = job(1);
    TaskRun waiting = job(2);
    AtomicReference<TaskOutcome> lateAnswer = new AtomicReference<>();
    TaskRun late = job(3, lateAnswer);
    s.submit(running);
    s.submit(waiting);
    assertThat(s.submit(late)).isEqualTo(Admission.QUEUED);
    assertThat(s.load().queued()).isEqualTo(2);
    WorkerSlot worker = s.busySlots().get(0);
    assertThat(s.next(worker, running)).isSameAs(waiting);
    assertThat(s.next(worker, waiting)).isSameAs(late); // it entered the queue when the room opened
    assertThat(lateAnswer.get()).isNull();
  }

  @Test
  void aTaskThatWaitsForRoomLongerThanTheAdmissionWaitIsRefused() {
    LocalScheduler s = scheduler(1, 1, Duration.ofMillis(50));
    AtomicReference<TaskOutcome> answer = new AtomicReference<>();
    s.submit(job(1));
    s.submit(job(2));
    s.submit(job(3, answer));
    s.sweep(System.nanoTime(), "n");
    assertThat(answer.get()).isNull();
    s.sweep(System.nanoTime() + 60_000_000, "n");
    assertThat(((TaskOutcome.Failed) answer.get()).failure()).isEqualTo(Failure.REJECTED);
    assertThat(s.load().queued()).isEqualTo(1);
  }

  @Test
  void onlySoManyWaitForRoomAtOnce() {
    LocalScheduler s = scheduler(1, 1, Duration.ofSeconds(10));
    s.submit(job(1));
    s.submit(job(2));
    for (int i = 0; i < 8; i++) {
      assertThat(s.submit(job(10 + i))).isEqualTo(Admission.QUEUED);
    }
    assertThat(s.submit(job(99))).isEqualTo(Admission.REJECTED);
  }

  @Test
  void tasksFromOtherNodesComeBeforeThisNodesOwnWaitingOnes() {
    LocalScheduler s = scheduler(1, 4);
    TaskRun running = job(1);
    TaskRun local = job(2);
    TaskRun remote = job(3);
    s.submit(running);
    s.submit(local);
    assertThat(s.offerRemote(remote)).isTrue();
    assertThat(s.next(s.busySlots().get(0), running)).isSameAs(remote);
  }

  @Test
  void tasksAndBatchItemsTakeTurnsWhileBothWaitAndEitherAloneTakesEveryTurn() {
    LocalScheduler s = scheduler(1, 8);
    TaskRun running = job(1);
    s.submit(running);
    TaskRun item1 = job(11);
    TaskRun item2 = job(12);
    TaskRun item3 = job(13);
    TaskRun task1 = job(21);
    TaskRun task2 = job(22);
    assertThat(s.submitBatchItem(item1)).isTrue();
    assertThat(s.submitBatchItem(item2)).isTrue();
    assertThat(s.submitBatchItem(item3)).isTrue();
    s.submit(task1);
    s.submit(task2);
    assertThat(s.load().queued()).isEqualTo(5);
    WorkerSlot worker = s.busySlots().get(0);
    List<TaskRun> order = new ArrayList<>();
    TaskRun done = running;
    for (TaskRun next = s.next(worker, done); next != null; next = s.next(worker, done)) {
      order.add(next);
      done = next;
    }
    assertThat(order).containsExactly(item1, task1, item2, task2, item3);
  }

  @Test
  void aBatchItemStartsOnAnIdleWorkerAndADrainingNodeRefusesItemsButRunsThoseItHas() {
    LocalScheduler s = scheduler(1, 4);
    TaskRun first = job(1);
    TaskRun queued = job(2);
    assertThat(s.submitBatchItem(first)).isTrue();
    assertThat(started).containsExactly(first);
    assertThat(s.submitBatchItem(queued)).isTrue();
    s.drain();
    assertThat(s.submitBatchItem(job(3))).isFalse();
    assertThat(s.drained()).isFalse();
    assertThat(s.next(s.busySlots().get(0), first)).isSameAs(queued);
  }

  @Test
  void aCancelledOrExpiredBatchItemLeavesTheQueueAnswered() {
    LocalScheduler s = scheduler(1, 4);
    s.submit(job(1));
    AtomicReference<TaskOutcome> cancelled = new AtomicReference<>();
    AtomicReference<TaskOutcome> expired = new AtomicReference<>();
    TaskRun toCancel = job(2, cancelled);
    TaskRun toExpire = job(3, 5, System.nanoTime(), expired);
    s.submitBatchItem(toCancel);
    s.submitBatchItem(toExpire);
    s.abort(toCancel, new TaskOutcome.Failed(2, TaskOutcome.Failure.CANCELLED, "gone", "n"));
    s.sweep(System.nanoTime() + 10_000_000, "n");
    assertThat(((TaskOutcome.Failed) cancelled.get()).failure()).isEqualTo(TaskOutcome.Failure.CANCELLED);
    assertThat(((TaskOutcome.Failed) expired.get()).failure()).isEqualTo(TaskOutcome.Failure.TIMED_OUT);
    assertThat(s.load().queued()).isZero();
  }

  @Test
  void otherNodesMayFillTheWorkersAndTheirNextTaskSlotsAndNoMore() {
    LocalScheduler s = scheduler(1, 4); // 2 per worker: the one it runs and the next
    assertThat(s.offerRemote(job(1))).isTrue();
    assertThat(s.offerRemote(job(2))).isTrue();
    assertThat(s.offerRemote(job(3))).isFalse();
  }

  @Test
  void noRoomIsAdvertisedWhileThisNodesOwnTasksWait() {
    LocalScheduler s = scheduler(1, 4);
    assertThat(s.load().room()).isEqualTo(2);
    s.submit(job(1));
    assertThat(s.load().room()).isEqualTo(1);
    s.submit(job(2));
    assertThat(s.load().room()).isZero();
  }

  @Test
  void onlyATaskThatHasWaitedLongEnoughGoesToAnotherNode() {
    LocalScheduler s = scheduler(1, 4);
    s.submit(job(1));
    TaskRun fresh = job(2);
    s.submit(fresh);
    assertThat(s.spillPending()).isFalse();
    assertThat(s.pollForRemote()).isNull();
    TaskRun old = job(3, 10_000, System.nanoTime() - 2 * SPILL_AFTER, new AtomicReference<>());
    s.requeue(List.of(old)); // now the oldest
    assertThat(s.spillPending()).isTrue();
    assertThat(s.pollForRemote()).isSameAs(old);
    assertThat(s.pollForRemote()).isNull();
  }

  @Test
  void aBacklogWorthSendingNudgesTheRouterOnceUntilItLooks() {
    LocalScheduler s = scheduler(1, 8);
    s.submit(job(1));
    long past = System.nanoTime() - 2 * SPILL_AFTER;
    s.requeue(List.of(job(2, 10_000, past, new AtomicReference<>())));
    s.submit(job(3));
    s.submit(job(4));
    assertThat(routerNudges).hasValue(1);
    s.routerNudgeTaken();
    s.routerInterested(true); // it asked the other pools for room; none yet
    s.submit(job(5));
    assertThat(routerNudges).hasValue(1);
    s.remoteCapacity(1, true);
    s.submit(job(6));
    assertThat(routerNudges).hasValue(2);
  }

  @Test
  void theSweepAnswersTasksPastTheirDeadlineWhereverTheyAre() {
    LocalScheduler s = scheduler(1, 4);
    AtomicReference<TaskOutcome> runningAnswer = new AtomicReference<>();
    AtomicReference<TaskOutcome> waitingAnswer = new AtomicReference<>();
    long longAgo = System.nanoTime() - 1_000_000_000L;
    TaskRun running = job(1, 100, longAgo, runningAnswer);
    TaskRun waiting = job(2, 100, longAgo, waitingAnswer);
    s.submit(running);
    s.submit(waiting);
    s.sweep(System.nanoTime(), "n");
    assertThat(((TaskOutcome.Failed) waitingAnswer.get()).failure()).isEqualTo(Failure.TIMED_OUT);
    assertThat(((TaskOutcome.Failed) runningAnswer.get()).failure()).isEqualTo(Failure.TIMED_OUT);
    assertThat(running.execution().isCancelled()).isTrue();
    assertThat(s.load().queued()).isZero();
  }

  @Test
  void aJobIsAnsweredOnceWhoeverComesFirst() {
    AtomicInteger answers = new AtomicInteger();
    TaskRun j = new TaskRun(1, new Primes(), new byte[0], null, 1000, System.nanoTime(), o -> answers.incrementAndGet());
    assertThat(j.answer(new TaskOutcome.Failed(1, Failure.TIMED_OUT, "late", "n"))).isTrue();
    assertThat(j.answer(new TaskOutcome.Completed(1, "primes", new byte[0], "n", 0, 0))).isFalse();
    assertThat(answers).hasValue(1);
  }

  @Test
  void aRetiredWorkerGivesBackItsJobAndANewOneTakesTheQueue() {
    LocalScheduler s = scheduler(1, 4);
    TaskRun stuck = job(1);
    TaskRun next = job(2);
    s.submit(stuck);
    s.submit(next);
    WorkerSlot old = s.busySlots().get(0);
    assertThat(s.retire(old)).isSameAs(stuck);
    assertThat(s.next(old, stuck)).isNull(); // its late report changes nothing
    s.addWorker(slot("fresh"));
    assertThat(started).endsWith(next);
    assertThat(s.load().workers()).isEqualTo(1);
  }

  @Test
  void aDrainingNodeTakesNoTasksFromOthersAndHandsItsOwnToThemWhenTheyCan() {
    LocalScheduler s = scheduler(1, 4);
    s.submit(job(1));
    s.drain();
    assertThat(s.offerRemote(job(2))).isFalse();
    assertThat(s.submit(job(3))).isEqualTo(Admission.UNAVAILABLE); // no other node can run it
    s.remoteCapacity(1, true);
    TaskRun waiting = job(4);
    assertThat(s.submit(waiting)).isEqualTo(Admission.QUEUED);
    assertThat(s.pollForRemote()).isSameAs(waiting); // sent at once, however fresh
    assertThat(s.drained()).isFalse(); // job 1 still runs
    s.next(s.busySlots().get(0), started.get(0));
    assertThat(s.drained()).isTrue();
  }
}
