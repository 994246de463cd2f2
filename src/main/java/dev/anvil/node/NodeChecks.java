package dev.anvil.node;

import dev.anvil.compute.local.NodeHealth;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * What Pekko Management's {@code /ready} reports for this node, on its own port: the channel
 * through which the supervisor learns that a node is ready, whatever the log level. Its
 * {@code /alive} needs no check of ours: that the port answers at all is the point (a frozen JVM
 * does not). A node that finds itself unfit is not ready, and stops by itself after its drain.
 */
public final class NodeChecks {
  private NodeChecks() {}

  /** The node's state as the checks read it; set by the node guardian. */
  public static final class State implements Extension {
    volatile NodeHealth health = new NodeHealth();
    volatile boolean serving;

    public void serving(boolean serving) {
      this.serving = serving;
    }

    public void health(NodeHealth health) {
      this.health = health;
    }
  }

  public static final class Id extends AbstractExtensionId<State> {
    public static final Id INSTANCE = new Id();

    @Override
    public State createExtension(ExtendedActorSystem system) {
      return new State();
    }
  }

  public static State state(ActorSystem system) {
    return Id.INSTANCE.get(system);
  }

  /** Ready: serves HTTP and its JVM is fit (Pekko's own check adds: Up in the cluster). */
  public static final class Ready implements Supplier<CompletionStage<Boolean>> {
    private final State state;

    public Ready(ActorSystem system) {
      this.state = state(system);
    }

    @Override
    public CompletionStage<Boolean> get() {
      return CompletableFuture.completedFuture(state.serving && state.health.unfitReason().isEmpty());
    }
  }

}
