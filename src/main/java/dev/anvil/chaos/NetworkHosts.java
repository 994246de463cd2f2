package dev.anvil.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Hosts of one machine, as root: network namespaces {@code 1..count}, each with an address of
 * its own on a bridge of this machine, which holds {@link #bridgeIp()}. A host is cut off the
 * network by setting its link down, and healed by setting it up. The names carry a random tag, so
 * runs side by side (or one left behind by a killed run) never meet.
 */
public final class NetworkHosts implements AutoCloseable {

  private final int count;
  private final String tag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
  private final String net = "10." + ThreadLocalRandom.current().nextInt(100, 250) + "."
      + ThreadLocalRandom.current().nextInt(1, 250) + ".";

  private NetworkHosts(int count) {
    this.count = count;
  }

  /** Whether this machine can make them: root and a working {@code ip netns}. */
  public static boolean available() {
    try {
      return "root".equals(System.getProperty("user.name")) && run(false, "ip", "netns", "list") == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Makes {@code count} hosts; removes what it made when a step fails. */
  public static NetworkHosts create(int count) throws IOException, InterruptedException {
    NetworkHosts hosts = new NetworkHosts(count);
    try {
      hosts.make();
    } catch (IOException | InterruptedException | RuntimeException e) {
      hosts.close();
      throw e;
    }
    return hosts;
  }

  private void make() throws IOException, InterruptedException {
    run(true, "ip", "link", "add", bridge(), "type", "bridge");
    run(true, "ip", "addr", "add", bridgeIp() + "/24", "dev", bridge());
    run(true, "ip", "link", "set", bridge(), "up");
    for (int h = 1; h <= count; h++) {
      String peer = "anvp" + h + tag;
      run(true, "ip", "netns", "add", namespace(h));
      run(true, "ip", "link", "add", veth(h), "type", "veth", "peer", "name", peer);
      run(true, "ip", "link", "set", peer, "netns", namespace(h));
      run(true, "ip", "link", "set", veth(h), "master", bridge());
      run(true, "ip", "link", "set", veth(h), "up");
      run(true, "ip", "netns", "exec", namespace(h), "ip", "addr", "add", ip(h) + "/24", "dev", peer);
      run(true, "ip", "netns", "exec", namespace(h), "ip", "link", "set", peer, "up");
      run(true, "ip", "netns", "exec", namespace(h), "ip", "link", "set", "lo", "up");
    }
  }

  /** The address of host {@code h} (from 1). */
  public String ip(int h) {
    return net + h;
  }

  /** This machine's address on the hosts' network: where they reach a database it runs. */
  public String bridgeIp() {
    return net + "254";
  }

  public String namespace(int h) {
    return "anvn" + h + tag;
  }

  /** The prefix that runs a command on host {@code h}. */
  public List<String> exec(int h) {
    return List.of("ip", "netns", "exec", namespace(h));
  }

  /** Host {@code h} off the network: its link down. */
  public void cut(int h) throws IOException, InterruptedException {
    run(true, "ip", "link", "set", veth(h), "down");
  }

  public void heal(int h) throws IOException, InterruptedException {
    run(true, "ip", "link", "set", veth(h), "up");
  }

  /** Removes the namespaces and the bridge (each veth pair goes with its namespace). */
  @Override
  public void close() throws IOException, InterruptedException {
    for (int h = 1; h <= count; h++) {
      run(false, "ip", "netns", "delete", namespace(h));
    }
    run(false, "ip", "link", "delete", bridge());
  }

  private String bridge() {
    return "anvbr" + tag;
  }

  private String veth(int h) {
    return "anvv" + h + tag;
  }

  /** Runs {@code command}; when {@code mustSucceed}, a failure throws with the command's output. */
  static int run(boolean mustSucceed, String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int code = p.waitFor();
    if (mustSucceed && code != 0) {
      throw new IOException(String.join(" ", command) + " failed (" + code + "): " + out.strip());
    }
    return code;
  }
}
