package dev.anvil.compute;

import dev.anvil.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What one pool tells the routers after every change: its size, how busy it is, and how many
 * of this router's submissions it has seen, so the router can count those still on the way.
 */
public record PoolLoad(
    ActorRef<WorkerPool.Command> pool,
    String node,
    int workers,
    int running,
    int queued,
    long completed,
    boolean accepting,
    long submitsSeen)
    implements TaskRouter.Command, CborSerializable {
}
