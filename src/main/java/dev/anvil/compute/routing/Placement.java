package dev.anvil.compute.routing;

import dev.anvil.compute.protocol.PoolProtocol;
import dev.anvil.compute.protocol.PoolProtocol.PoolLoad;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a router knows of the other nodes' pools, and which of them gets the next task: of the
 * pools it follows, the one with the most idle workers, else the one with the most room in its
 * workers' next-task slots. Every pool of the cluster is listed here; only those followed
 * (see {@link TaskRouter}) have a load, and only they get tasks.
 * Counts the tasks sent but not yet seen by a pool, so a burst is not all sent to one pool.
 * Not thread-safe: owned by one {@link TaskRouter}.
 */
final class Placement {

  /** What the router knows of one pool. */
  static final class Pool {
    final Address address;
    /** Null while this router does not follow the pool's load (then nothing is sent to it). */
    PoolLoad load;
    long sent;
    boolean reachable = true;
    /** This router follows the pool's load: it sent WatchLoad (and no UnwatchLoad since). */
    boolean watched;
    /** Asked for its load once (not followed), to see whether it has room for tasks waiting here. */
    boolean probe;
    long probedNanos;
    long lastSentNanos;

    Pool(Address address) {
      this.address = address;
    }

    private long inTransit() {
      return load == null ? 0 : Math.max(0, sent - load.submitsSeen());
    }

    /** Tasks this pool can take now. */
    int room() {
      return canWork() ? (int) Math.max(0, load.room() - inTransit()) : 0;
    }

    /** Workers of this pool that nothing runs on, nor will once the tasks on the way arrive. */
    int idle() {
      return room() > 0 ? (int) Math.max(0, load.workers() - load.running() - inTransit()) : 0;
    }

    boolean canWork() {
      return reachable && load != null && load.accepting() && load.workers() > 0;
    }
  }

  private final Map<ActorRef<PoolProtocol.PoolCommand>, Pool> pools = new LinkedHashMap<>();

  boolean contains(ActorRef<PoolProtocol.PoolCommand> pool) {
    return pools.containsKey(pool);
  }

  void add(ActorRef<PoolProtocol.PoolCommand> pool, Address address) {
    pools.putIfAbsent(pool, new Pool(address));
  }

  boolean remove(ActorRef<PoolProtocol.PoolCommand> pool) {
    return pools.remove(pool) != null;
  }

  /** Records a pool's report; false if the pool is not known (any more). */
  boolean update(PoolLoad load) {
    Pool pool = pools.get(load.pool());
    if (pool == null || !pool.watched || load.submitsSeen() < 0) {
      return false; // a report that crossed the UnwatchLoad, or a late answer to a probe
    }
    pool.load = load;
    return true;
  }

  /** Where large tasks for this pool go (known once it reported); the pool itself before that. */
  ActorRef<PoolProtocol.PoolCommand> largeInbox(ActorRef<PoolProtocol.PoolCommand> pool) {
    Pool known = pools.get(pool);
    return known != null && known.load != null ? known.load.largeInbox() : pool;
  }

  void sent(ActorRef<PoolProtocol.PoolCommand> pool, long nowNanos) {
    Pool known = pools.get(pool);
    if (known != null) {
      known.sent++;
      known.lastSentNanos = nowNanos;
    }
  }

  Pool get(ActorRef<PoolProtocol.PoolCommand> pool) {
    return pools.get(pool);
  }

  /** Followed pools on reachable nodes. */
  int following() {
    int n = 0;
    for (Pool pool : pools.values()) {
      n += pool.watched && pool.reachable ? 1 : 0;
    }
    return n;
  }

  /** Reachable pools whose load this router does not know now (not followed, or not reported yet). */
  List<ActorRef<PoolProtocol.PoolCommand>> withoutLoad() {
    List<ActorRef<PoolProtocol.PoolCommand>> found = new ArrayList<>();
    pools.forEach((ref, pool) -> {
      if (pool.load == null && pool.reachable) {
        found.add(ref);
      }
    });
    return found;
  }

  /** Reachable pools this router does not follow. */
  List<ActorRef<PoolProtocol.PoolCommand>> unfollowed() {
    List<ActorRef<PoolProtocol.PoolCommand>> found = new ArrayList<>();
    pools.forEach((ref, pool) -> {
      if (!pool.watched && !pool.probe && pool.reachable) {
        found.add(ref);
      }
    });
    return found;
  }

  /** Marks the pools of the node at {@code address}; returns those that became unreachable. */
  List<ActorRef<PoolProtocol.PoolCommand>> reachability(Address address, boolean reachable) {
    List<ActorRef<PoolProtocol.PoolCommand>> lost = new ArrayList<>();
    for (Map.Entry<ActorRef<PoolProtocol.PoolCommand>, Pool> e : pools.entrySet()) {
      if (e.getValue().address.equals(address)) {
        if (e.getValue().reachable && !reachable) {
          lost.add(e.getKey());
        }
        e.getValue().reachable = reachable;
      }
    }
    return lost;
  }

  List<ActorRef<PoolProtocol.PoolCommand>> at(Address address) {
    List<ActorRef<PoolProtocol.PoolCommand>> found = new ArrayList<>();
    pools.forEach((ref, pool) -> {
      if (pool.address.equals(address)) {
        found.add(ref);
      }
    });
    return found;
  }

  /** The pool for the next task, or null when no pool has room. */
  ActorRef<PoolProtocol.PoolCommand> choose() {
    ActorRef<PoolProtocol.PoolCommand> best = null;
    int bestIdle = 0;
    int bestRoom = 0;
    for (Map.Entry<ActorRef<PoolProtocol.PoolCommand>, Pool> e : pools.entrySet()) {
      int idle = e.getValue().idle();
      int room = e.getValue().room();
      if (idle > bestIdle || (idle == bestIdle && room > bestRoom)) {
        best = e.getKey();
        bestIdle = idle;
        bestRoom = room;
      }
    }
    return best;
  }

  int totalRoom() {
    int total = 0;
    for (Pool pool : pools.values()) {
      total += pool.room();
    }
    return total;
  }

  boolean anyCanWork() {
    return pools.values().stream().anyMatch(Pool::canWork);
  }

  Map<ActorRef<PoolProtocol.PoolCommand>, Pool> pools() {
    return pools;
  }
}
