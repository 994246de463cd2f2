package dev.anvil.node;

import org.apache.pekko.actor.CoordinatedShutdown;

/**
 * Why a node stops when its JVM is unfit to go on (see {@code NodeHealth}); its exit code is set
 * in {@code application.conf} ({@code coordinated-shutdown.reason-overrides}).
 */
public final class NodeUnfit implements CoordinatedShutdown.Reason {
  public static final NodeUnfit INSTANCE = new NodeUnfit();

  private NodeUnfit() {}

  @Override
  public String toString() {
    return "NodeUnfit";
  }
}
