package dev.anvil.compute.protocol;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * What the load protocol ({@link PoolProtocol}'s WatchLoad, UnwatchLoad, Interest, QueryLoad and
 * PoolLoad, between this node and the others) has cost this node: the messages it sent and
 * received, by kind. Task messages are not counted. One per node (ActorSystem), read by the
 * scaling benchmark.
 */
public final class LoadProtocolStats implements Extension {

  private static final ExtensionId<LoadProtocolStats> ID = new ExtensionId<>() {
    @Override
    public LoadProtocolStats createExtension(ActorSystem<?> system) {
      return new LoadProtocolStats();
    }
  };

  private final Map<String, LongAdder> sent = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> received = new ConcurrentHashMap<>();
  private final LongAdder followed = new LongAdder();

  public static LoadProtocolStats get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** @param kind what the message is, and for a PoolLoad why it was sent, e.g. {@code "PoolLoad:change"} */
  public void sent(String kind) {
    sent.computeIfAbsent(kind, k -> new LongAdder()).increment();
  }

  public void received(String kind) {
    received.computeIfAbsent(kind, k -> new LongAdder()).increment();
  }

  public void following(int delta) {
    followed.add(delta);
  }

  /** Messages sent and received so far, by direction and kind ({@code "sent PoolLoad:change"}). */
  public Map<String, Long> byKind() {
    Map<String, Long> counts = new TreeMap<>();
    sent.forEach((k, v) -> counts.put("sent " + k, v.sum()));
    received.forEach((k, v) -> counts.put("received " + k, v.sum()));
    return counts;
  }

  public long messagesSent() {
    return sum(sent, "");
  }

  public long messagesReceived() {
    return sum(received, "");
  }

  /** Of the messages sent and received, the PoolLoad reports (the rest: WatchLoad, UnwatchLoad, Interest, QueryLoad). */
  public long loadReports() {
    return sum(sent, "PoolLoad") + sum(received, "PoolLoad");
  }

  /** Pools this node's router asked for their load once, looking for room. */
  public long probes() {
    return sum(sent, "QueryLoad");
  }

  /** Other nodes' pools whose load this node's router follows now. */
  public long poolsFollowed() {
    return followed.sum();
  }

  private static long sum(Map<String, LongAdder> counts, String kindPrefix) {
    long total = 0;
    for (Map.Entry<String, LongAdder> e : counts.entrySet()) {
      total += e.getKey().startsWith(kindPrefix) ? e.getValue().sum() : 0;
    }
    return total;
  }
}
