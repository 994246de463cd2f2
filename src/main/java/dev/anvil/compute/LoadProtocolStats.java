package dev.anvil.compute;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * What the load protocol ({@link PoolProtocol}'s WatchLoad, UnwatchLoad, Interest and PoolLoad,
 * between this node and the others) has cost this node: messages it sent and received. Task
 * messages are not counted. One per node (ActorSystem), read by the scaling benchmark.
 */
public final class LoadProtocolStats implements Extension {

  private static final ExtensionId<LoadProtocolStats> ID = new ExtensionId<>() {
    @Override
    public LoadProtocolStats createExtension(ActorSystem<?> system) {
      return new LoadProtocolStats();
    }
  };

  private final LongAdder sent = new LongAdder();
  private final LongAdder received = new LongAdder();
  private final LongAdder loads = new LongAdder();
  private final LongAdder probes = new LongAdder();
  private final LongAdder followed = new LongAdder();
  private final Map<String, LongAdder> byKind = new ConcurrentHashMap<>();

  public static LoadProtocolStats get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** @param kind what the message is and why it was sent, e.g. {@code "PoolLoad:change"} */
  void sent(String kind) {
    sent.increment();
    byKind.computeIfAbsent("sent " + kind, k -> new LongAdder()).increment();
  }

  void received(String kind) {
    received.increment();
    byKind.computeIfAbsent("received " + kind, k -> new LongAdder()).increment();
  }

  /** Messages sent and received so far, by kind and reason. */
  public Map<String, Long> byKind() {
    Map<String, Long> counts = new TreeMap<>();
    byKind.forEach((k, v) -> counts.put(k, v.sum()));
    return counts;
  }

  void probe() {
    probes.increment();
  }

  /** A PoolLoad sent or received (counted in {@link #sent} or {@link #received} too). */
  void load() {
    loads.increment();
  }

  void following(int delta) {
    followed.add(delta);
  }

  public long messagesSent() {
    return sent.sum();
  }

  public long messagesReceived() {
    return received.sum();
  }

  /** Of the messages sent and received, the PoolLoad reports (the rest: WatchLoad, UnwatchLoad, Interest). */
  public long loadReports() {
    return loads.sum();
  }

  /** Pools this node's router asked for their load once, looking for room (each also counted as sent). */
  public long probes() {
    return probes.sum();
  }

  /** Other nodes' pools whose load this node's router follows now. */
  public long poolsFollowed() {
    return followed.sum();
  }
}
