package dev.anvil.batch;

import dev.anvil.batch.BatchProtocol.CancelBatch;
import dev.anvil.batch.BatchProtocol.DispatcherCommand;
import dev.anvil.batch.BatchProtocol.GroupAnswered;
import dev.anvil.batch.BatchProtocol.Hello;
import dev.anvil.batch.BatchProtocol.Item;
import dev.anvil.batch.BatchProtocol.ItemOutcome;
import dev.anvil.batch.BatchProtocol.RunGroup;
import dev.anvil.batch.BatchProtocol.RunnerCommand;
import dev.anvil.batch.BatchProtocol.Workers;
import dev.anvil.compute.protocol.PoolProtocol;
import dev.anvil.compute.task.TaskOutcome;
import dev.anvil.compute.task.TaskOutcome.Failure;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Places the groups of items of the batches this node reads on the runners of the cluster
 * (every node's {@link BatchRunner}, this one's included): each group goes to the runner with
 * the fewest items in flight for its workers, and a runner holds at most
 * {@code items-per-worker} of this node's items per worker, so what a batch has in flight
 * follows the cluster's workers, and a group that finds no room waits here (the batch's stream
 * waits with it: it reads no more input). Items of a node that is lost (unreachable, or gone),
 * and items a leaving node refused, run again elsewhere while their deadline allows; the first
 * answer of an item is its answer, so every item is answered once. One per node.
 *
 * <p>Longer than most classes on purpose: it is one actor, and its state (the runners and their
 * room, the groups in flight on each, the groups waiting for room, the batches cancelled) changes
 * together on every message: an answer frees room that a waiting group takes, a lost runner moves
 * its groups to the others. Its {@link Handle} is the batches' narrow side of it.
 */
public final class BatchDispatcher extends AbstractBehavior<DispatcherCommand> {

  /**
   * @param itemsPerWorker items of this node's batches each worker of a runner may hold (the one
   *     it runs and those queued for it)
   * @param grace how long past an item's deadline a runner may take to answer before the item
   *     is answered here as timed out (a frozen node never answers)
   */
  public record Settings(int itemsPerWorker, Duration grace) {}

  /** The batches' side: run these items; cancel a batch. */
  public static final class Handle {
    private final ActorRef<DispatcherCommand> dispatcher;
    private final AtomicInteger capacity;

    private Handle(ActorRef<DispatcherCommand> dispatcher, AtomicInteger capacity) {
      this.dispatcher = dispatcher;
      this.capacity = capacity;
    }

    /** The items' outcomes, in no order, once every one has ended. */
    public CompletionStage<List<ItemOutcome>> run(String batch, String tenant, String kind, long timeoutMs,
        List<Item> items) {
      CompletableFuture<List<ItemOutcome>> done = new CompletableFuture<>();
      List<ItemOutcome> all = new ArrayList<>(items.size());
      run(batch, tenant, kind, timeoutMs, items, new Answers() {
        @Override
        public void part(List<ItemOutcome> part) {
          all.addAll(part);
        }

        @Override
        public void done() {
          done.complete(all);
        }
      });
      return done;
    }

    /** The items' outcomes as they end, in parts, then done; called on the dispatcher's thread, one at a time. */
    public void run(String batch, String tenant, String kind, long timeoutMs, List<Item> items, Answers answers) {
      dispatcher.tell(new Dispatch(batch, tenant, kind, timeoutMs, items, answers));
    }

    /** The batch ended or its client went away: its items that have not ended are stopped. */
    public void cancel(String batch) {
      dispatcher.tell(new Cancel(batch));
    }

    /** Items the runners known now may hold for this node: what a batch should have in flight. */
    public int capacity() {
      return capacity.get();
    }
  }

  /** Where a group's outcomes go as they come: some items' outcomes at a time, then done. */
  public interface Answers {
    void part(List<ItemOutcome> part);

    void done();
  }

  private sealed interface Internal extends DispatcherCommand, NoSerializationVerificationNeeded {}

  private record Dispatch(String batch, String tenant, String kind, long timeoutMs, List<Item> items, Answers answers)
      implements Internal {}

  private record Cancel(String batch) implements Internal {}

  private record RunnersListed(Receptionist.Listing listing) implements Internal {}

  private record Reachability(ClusterEvent.ReachabilityEvent event) implements Internal {}

  private enum Sweep implements Internal { INSTANCE }

  /** A node's runner, as this dispatcher sees it. */
  private static final class Runner {
    final ActorRef<RunnerCommand> ref;
    final boolean local;
    ActorRef<RunnerCommand> largeInbox;
    String node = "?";
    int workers;
    int inFlight;
    boolean reachable = true;

    Runner(ActorRef<RunnerCommand> ref) {
      this.ref = ref;
      this.local = ref.path().address().hasLocalScope();
    }
  }

  /** A group of a batch, from its dispatch until every item of it has its answer. */
  private static final class Group {
    final long id;
    final Dispatch dispatch;
    final Map<Long, Item> open = new LinkedHashMap<>();
    /** Where each open item was sent last; absent while it waits here. */
    final Map<Long, Runner> at = new HashMap<>();
    /** Outcomes not yet told to the group's {@link Answers}. */
    List<ItemOutcome> answered = new ArrayList<>();
    /** Runners that refused this group's items (they are leaving): not asked again. */
    final Set<ActorRef<RunnerCommand>> refusedBy = new HashSet<>();
    final long createdNanos = System.nanoTime();
    long deadlineNanos;

    Group(long id, Dispatch dispatch) {
      this.id = id;
      this.dispatch = dispatch;
      dispatch.items().forEach(item -> open.put(item.index(), item));
    }
  }

  /** Some items of a group that wait for a runner with room. */
  private record Waiting(Group group, List<Item> items) {}

  private final Settings settings;
  private final String node;
  private final AtomicInteger capacity;
  private final ActorRef<DispatcherCommand> self;
  private final ActorRef<DispatcherCommand> largeInbox;
  private final Map<ActorRef<RunnerCommand>, Runner> runners = new LinkedHashMap<>();
  private final Map<Long, Group> groups = new HashMap<>();
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  private long nextGroup;

  /** Spawns this node's dispatcher ({@code /user/batch-dispatcher}). */
  public static Handle start(ActorContext<?> context, String node, Settings settings) {
    AtomicInteger capacity = new AtomicInteger();
    ActorRef<DispatcherCommand> ref = context.spawn(Behaviors.<DispatcherCommand>setup(ctx ->
        Behaviors.withTimers(timers -> {
          timers.startTimerWithFixedDelay(Sweep.INSTANCE, Duration.ofMillis(200));
          return new BatchDispatcher(ctx, node, settings, capacity);
        })), "batch-dispatcher");
    return new Handle(ref, capacity);
  }

  private BatchDispatcher(ActorContext<DispatcherCommand> context, String node, Settings settings,
      AtomicInteger capacity) {
    super(context);
    context.setLoggerName(BatchDispatcher.class);
    this.settings = settings;
    this.node = node;
    this.self = context.getSelf();
    this.capacity = capacity;
    this.largeInbox = context.spawn(PoolProtocol.largeInbox(self), "large");
    context.getSystem().receptionist().tell(Receptionist.subscribe(BatchRunner.KEY,
        context.messageAdapter(Receptionist.Listing.class, RunnersListed::new)));
    Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(
        context.messageAdapter(ClusterEvent.ReachabilityEvent.class, Reachability::new),
        ClusterEvent.ReachabilityEvent.class));
  }

  @Override
  public Receive<DispatcherCommand> createReceive() {
    return newReceiveBuilder()
        .onMessage(Dispatch.class, this::onDispatch)
        .onMessage(GroupAnswered.class, this::onAnswered)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(Workers.class, this::onWorkers)
        .onMessage(RunnersListed.class, this::onListing)
        .onMessage(Reachability.class, this::onReachability)
        .onMessageEquals(Sweep.INSTANCE, this::onSweep)
        .onSignal(Terminated.class, t -> onRunnerLost(runners.remove(t.getRef())))
        .build();
  }

  private Behavior<DispatcherCommand> onDispatch(Dispatch dispatch) {
    Group group = new Group(++nextGroup, dispatch);
    groups.put(group.id, group);
    waiting.add(new Waiting(group, dispatch.items()));
    placeWaiting();
    return this;
  }

  private Behavior<DispatcherCommand> onAnswered(GroupAnswered answered) {
    Group group = groups.get(answered.group());
    if (group == null) {
      return this; // answered already (by another node after a loss), or cancelled
    }
    Runner from = runners.get(answered.runner());
    List<Item> again = null;
    for (ItemOutcome outcome : answered.outcomes()) {
      Item item = group.open.get(outcome.index());
      if (item == null) {
        continue;
      }
      Runner where = group.at.remove(outcome.index());
      if (where != null) {
        where.inFlight--;
      }
      if (retryable(outcome.outcome())) {
        group.refusedBy.add(answered.runner());
        (again == null ? again = new ArrayList<>() : again).add(item);
      } else {
        group.open.remove(outcome.index());
        group.answered.add(outcome);
      }
    }
    if (again != null) {
      waiting.addFirst(new Waiting(group, again));
    }
    finishIfDone(group);
    placeWaiting();
    return this;
  }

  /** A node that refused an item (it is leaving) or stopped before it ended: another node runs it. */
  private static boolean retryable(TaskOutcome outcome) {
    return outcome instanceof TaskOutcome.Failed f
        && (f.failure() == Failure.ABANDONED || f.failure() == Failure.UNAVAILABLE);
  }

  private Behavior<DispatcherCommand> onCancel(Cancel cancel) {
    waiting.removeIf(w -> w.group().dispatch.batch().equals(cancel.batch()));
    Set<Runner> told = new HashSet<>();
    for (Iterator<Group> it = groups.values().iterator(); it.hasNext(); ) {
      Group group = it.next();
      if (!group.dispatch.batch().equals(cancel.batch())) {
        continue;
      }
      it.remove();
      for (Runner runner : group.at.values()) {
        runner.inFlight--;
        if (told.add(runner)) {
          runner.ref.tell(new CancelBatch(cancel.batch()));
        }
      }
      // answered, not failed: the batch's stream ends as any other (its writes fail quietly if the client has gone)
      for (Long index : List.copyOf(group.open.keySet())) {
        answer(group, group.open.get(index), new TaskOutcome.Failed(0, Failure.CANCELLED,
            "the batch was cancelled: its client went away", node));
      }
      tell(group);
      group.dispatch.answers().done();
    }
    placeWaiting();
    return this;
  }

  private Behavior<DispatcherCommand> onWorkers(Workers workers) {
    Runner runner = runners.get(workers.runner());
    if (runner != null) {
      runner.workers = workers.workers();
      runner.node = workers.node();
      runner.largeInbox = workers.largeInbox();
      updateCapacity();
      placeWaiting();
    }
    return this;
  }

  private Behavior<DispatcherCommand> onListing(RunnersListed listed) {
    Set<ActorRef<RunnerCommand>> now = listed.listing().getServiceInstances(BatchRunner.KEY);
    for (ActorRef<RunnerCommand> ref : now) {
      if (!runners.containsKey(ref)) {
        runners.put(ref, new Runner(ref));
        getContext().watch(ref);
        ref.tell(new Hello(self));
      }
    }
    for (ActorRef<RunnerCommand> ref : List.copyOf(runners.keySet())) {
      if (!now.contains(ref)) {
        getContext().unwatch(ref);
        onRunnerLost(runners.remove(ref));
      }
    }
    return this;
  }

  private Behavior<DispatcherCommand> onReachability(Reachability message) {
    Address address = message.event().member().address();
    boolean reachable = message.event() instanceof ClusterEvent.ReachableMember;
    for (Runner runner : runners.values()) {
      if (!runner.local && runner.ref.path().address().equals(address)) {
        runner.reachable = reachable;
        if (!reachable) {
          moveItemsAway(runner);
        }
      }
    }
    updateCapacity();
    placeWaiting();
    return this;
  }

  private Behavior<DispatcherCommand> onRunnerLost(Runner runner) {
    if (runner != null) {
      moveItemsAway(runner);
      updateCapacity();
      placeWaiting();
    }
    return this;
  }

  /** The items a runner holds run again elsewhere (tasks are pure: if it answers after all, the first answer wins). */
  private void moveItemsAway(Runner runner) {
    for (Group group : groups.values()) {
      List<Item> again = null;
      for (Iterator<Map.Entry<Long, Runner>> it = group.at.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<Long, Runner> entry = it.next();
        if (entry.getValue() == runner) {
          it.remove();
          (again == null ? again = new ArrayList<>() : again).add(group.open.get(entry.getKey()));
        }
      }
      if (again != null) {
        waiting.addFirst(new Waiting(group, again));
      }
    }
    runner.inFlight = 0;
  }

  /** Items past their deadline, and those that found no node in that time, are answered here. */
  private Behavior<DispatcherCommand> onSweep() {
    long now = System.nanoTime();
    long grace = settings.grace().toNanos();
    for (Iterator<Waiting> it = waiting.iterator(); it.hasNext(); ) {
      Waiting w = it.next();
      Group group = w.group();
      long limit = group.deadlineNanos != 0 ? group.deadlineNanos
          : group.createdNanos + group.dispatch.timeoutMs() * 1_000_000L;
      if (now - limit >= 0) {
        it.remove();
        for (Item item : w.items()) {
          answer(group, item, new TaskOutcome.Failed(0, Failure.UNAVAILABLE, "no node could run the item within its"
              + " deadline of " + group.dispatch.timeoutMs() + " ms", node));
        }
        finishIfDone(group);
      }
    }
    for (Group group : List.copyOf(groups.values())) {
      if (group.deadlineNanos == 0 || now - group.deadlineNanos - grace < 0) {
        continue;
      }
      for (Map.Entry<Long, Runner> entry : List.copyOf(group.at.entrySet())) {
        Runner runner = entry.getValue();
        runner.inFlight--;
        group.at.remove(entry.getKey());
        answer(group, group.open.get(entry.getKey()), new TaskOutcome.Failed(0, Failure.TIMED_OUT,
            "node " + runner.node + " did not answer within the deadline of " + group.dispatch.timeoutMs() + " ms",
            runner.node));
      }
      finishIfDone(group);
    }
    placeWaiting();
    return this;
  }

  private void answer(Group group, Item item, TaskOutcome outcome) {
    if (item != null && group.open.remove(item.index()) != null) {
      group.answered.add(new ItemOutcome(item.index(), outcome));
    }
  }

  /** Tells the group's outcomes gathered since the last time, and done when none is left open. */
  private void finishIfDone(Group group) {
    tell(group);
    if (group.open.isEmpty() && groups.remove(group.id) != null) {
      group.dispatch.answers().done();
    }
  }

  private static void tell(Group group) {
    if (!group.answered.isEmpty()) {
      List<ItemOutcome> part = group.answered;
      group.answered = new ArrayList<>();
      group.dispatch.answers().part(part);
    }
  }

  /**
   * Sends waiting items, oldest first, while runners have room for them. Items that find several
   * runners with room are shared out among them by their workers (so twenty long items do not all
   * go to one node while another idles); once the runners are busy, room opens a group at a time
   * and a group goes whole to the runner that has it.
   */
  private void placeWaiting() {
    while (!waiting.isEmpty()) {
      Waiting w = waiting.peek();
      if (!groups.containsKey(w.group().id)) {
        waiting.poll();
        continue;
      }
      List<Runner> open = withRoom(w.group());
      if (open.isEmpty()) {
        return;
      }
      waiting.poll();
      int openWorkers = open.stream().mapToInt(r -> r.workers).sum();
      List<Item> items = w.items();
      int from = 0;
      while (from < items.size()) {
        Runner runner = leastLoaded(open);
        if (runner == null) {
          waiting.addFirst(new Waiting(w.group(), List.copyOf(items.subList(from, items.size()))));
          return;
        }
        int share = (int) Math.ceil((double) items.size() * runner.workers / openWorkers);
        int room = runner.inFlight == 0 ? items.size() : runner.workers * settings.itemsPerWorker() - runner.inFlight;
        int take = Math.max(1, Math.min(items.size() - from, Math.min(share, room)));
        send(w.group(), List.copyOf(items.subList(from, from + take)), runner);
        from += take;
      }
    }
  }

  /** The runners that may take items of {@code group} now. */
  private List<Runner> withRoom(Group group) {
    List<Runner> open = new ArrayList<>();
    for (Runner runner : runners.values()) {
      if (runner.workers > 0 && runner.reachable && !group.refusedBy.contains(runner.ref)
          && runner.inFlight < runner.workers * settings.itemsPerWorker()) {
        open.add(runner);
      }
    }
    return open;
  }

  /** Of {@code open}, the runner with the fewest items in flight per worker that still has room; this node's on a tie. */
  private Runner leastLoaded(List<Runner> open) {
    Runner best = null;
    double bestLoad = Double.MAX_VALUE;
    for (Runner runner : open) {
      if (runner.inFlight >= runner.workers * settings.itemsPerWorker()) {
        continue;
      }
      double load = (double) runner.inFlight / runner.workers;
      if (load < bestLoad || (load == bestLoad && runner.local)) {
        best = runner;
        bestLoad = load;
      }
    }
    return best;
  }

  private void send(Group group, List<Item> items, Runner runner) {
    long now = System.nanoTime();
    if (group.deadlineNanos == 0) {
      group.deadlineNanos = now + group.dispatch.timeoutMs() * 1_000_000L;
    }
    long bytes = 0;
    for (Item item : items) {
      group.at.put(item.index(), runner);
      bytes += item.input().length;
    }
    runner.inFlight += items.size();
    long leftMs = Math.max(1, (group.deadlineNanos - now) / 1_000_000);
    ActorRef<RunnerCommand> to = bytes > PoolProtocol.LARGE_PAYLOAD_BYTES && runner.largeInbox != null
        ? runner.largeInbox : runner.ref;
    to.tell(new RunGroup(group.dispatch.batch(), group.id, group.dispatch.kind(), leftMs, items, self, largeInbox,
        group.dispatch.tenant()));
  }

  private void updateCapacity() {
    int total = 0;
    for (Runner runner : runners.values()) {
      if (runner.reachable) {
        total += runner.workers * settings.itemsPerWorker();
      }
    }
    this.capacity.set(total);
  }
}
