package dev.anvil.jobs;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * One per cluster (a sharded daemon process of one): wakes the entities of unfinished jobs, so
 * that they run again after a restart of the whole cluster or the loss of their node (an entity
 * starts only when a message reaches it); and deletes finished jobs past {@code result-ttl}.
 * Each round reads the listing's table, page by page; a wake to an entity that runs is a no-op.
 * Besides its rounds every {@code resume-interval}, it wakes them a second after a member is
 * removed, so that the jobs of a lost node run again without waiting for the next round.
 */
final class JobKeeper {

  private static final int PAGE = 500;

  interface Command extends NoSerializationVerificationNeeded {}

  private enum Resume implements Command { INSTANCE }

  private enum Sweep implements Command { INSTANCE }

  private record MemberRemoved(ClusterEvent.MemberRemoved event) implements Command {}

  /** After a member is removed: time for its shards' new homes to be known before the wake. */
  private static final Duration AFTER_REMOVAL = Duration.ofSeconds(1);

  /** Stored inputs older than this that no job has are deleted. */
  private static final Duration ORPHAN_AGE = Duration.ofDays(1);

  private record Done(String what, Throwable error) implements Command {}

  private JobKeeper() {}

  static Behavior<Command> create(JobIndex index, Duration resumeInterval, Duration sweepInterval, Duration resultTtl) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ctx.setLoggerName(JobKeeper.class); // not the setup wrapper's name, under org.apache.pekko (WARN)
      ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
      timers.startTimerWithFixedDelay(Resume.INSTANCE, Duration.ofSeconds(2), resumeInterval);
      timers.startTimerWithFixedDelay(Sweep.INSTANCE, sweepInterval, sweepInterval);
      Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
          ctx.messageAdapter(ClusterEvent.MemberRemoved.class, MemberRemoved::new), ClusterEvent.MemberRemoved.class));
      boolean[] busy = new boolean[1];
      boolean[] resumeAgain = new boolean[1];
      boolean[] resumedOnce = new boolean[1];
      return Behaviors.<Command>receive((context, message) -> {
        if (message instanceof MemberRemoved) {
          timers.startSingleTimer(MemberRemoved.class, Resume.INSTANCE, AFTER_REMOVAL);
          return Behaviors.same();
        }
        if (message instanceof Done done) {
          busy[0] = false;
          if (done.error() != null) {
            context.getLog().warn("Jobs: the {} round failed: {}", done.what(), done.error().getMessage());
          }
          if (resumeAgain[0]) {
            resumeAgain[0] = false;
            context.getSelf().tell(Resume.INSTANCE);
          }
          return Behaviors.same();
        }
        if (busy[0]) {
          // one round at a time; a resume asked meanwhile (a member removed) runs after it
          resumeAgain[0] |= message == Resume.INSTANCE;
          return Behaviors.same();
        }
        busy[0] = true;
        boolean resume = message == Resume.INSTANCE;
        CompletableFuture<Integer> round = CompletableFuture.supplyAsync(() -> {
          try {
            return resume ? resume(index, sharding) : sweep(index, sharding, resultTtl);
          } catch (java.sql.SQLException e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        }, index.blocking());
        context.pipeToSelf(round, (count, error) -> {
          if (error == null && count > 0) {
            if (!resume) {
              context.getLog().info("Jobs: deleted {} jobs past result-ttl", count);
            } else if (!resumedOnce[0]) {
              context.getLog().info("Jobs: {} unfinished jobs found in the journal (this keeper's first round); each"
                  + " goes on where its entity lives", count);
            } else { // every round wakes every unfinished job: not news
              context.getLog().debug("Jobs: woke {} unfinished jobs", count);
            }
          }
          resumedOnce[0] |= resume && error == null;
          return new Done(resume ? "resume" : "retention", error);
        });
        return Behaviors.same();
      });
    }));
  }

  private static int resume(JobIndex index, ClusterSharding sharding) throws java.sql.SQLException {
    int count = 0;
    String after = "";
    while (true) {
      List<String> ids = index.unfinished(after, PAGE);
      for (String id : ids) {
        sharding.entityRefFor(JobEntity.KEY, id).tell(JobEntity.Wake.INSTANCE);
      }
      count += ids.size();
      if (ids.size() < PAGE) {
        return count;
      }
      after = ids.get(ids.size() - 1);
    }
  }

  private static int sweep(JobIndex index, ClusterSharding sharding, Duration resultTtl) throws java.sql.SQLException {
    int count = 0;
    long before = System.currentTimeMillis() - resultTtl.toMillis();
    // a day: longer than any job waits for its listing row (the projection's lag), so a live job's input stays
    index.deleteOrphanPayloads(System.currentTimeMillis() - ORPHAN_AGE.toMillis());
    while (true) {
      List<String> ids = index.expired(before, PAGE);
      index.delete(ids);
      for (String id : ids) {
        sharding.entityRefFor(JobEntity.KEY, id).tell(JobEntity.Forget.INSTANCE);
      }
      count += ids.size();
      if (ids.size() < PAGE) {
        return count;
      }
    }
  }
}
