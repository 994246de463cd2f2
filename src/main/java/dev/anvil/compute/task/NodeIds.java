package dev.anvil.compute.task;

import org.apache.pekko.actor.Address;

/** A node id is {@code host:port} of its cluster address, e.g. {@code 127.0.0.1:25520}. */
public final class NodeIds {
  private NodeIds() {}

  public static String of(Address address) {
    return address.getHost().orElse("local") + ":" + address.getPort().map(String::valueOf).orElse("0");
  }
}
