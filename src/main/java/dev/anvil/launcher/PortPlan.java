package dev.anvil.launcher;

import dev.anvil.config.SettingsCheck;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * The ports one {@code start} uses for its nodes: a block per kind (cluster, management), two
 * per slot (the second for the replacement during a rolling restart). A base the user gave is
 * used as given, or refused in one line when a port of it is taken; the default base moves up
 * to the next free block, so two {@code start}s on one machine do not collide; base 0 takes
 * any free ports.
 */
final class PortPlan {
  private PortPlan() {}

  /**
   * @param what "cluster" or "management", for messages
   * @param option the option and variable that set the base, for messages
   */
  static int[] choose(String what, String host, int base, boolean explicit, int count, String option) {
    int[] ports = new int[count];
    if (base == 0) {
      for (int i = 0; i < count; i++) {
        ports[i] = anyFree(host);
      }
      return ports;
    }
    if (explicit) {
      for (int i = 0; i < count; i++) {
        if (!free(host, base + i)) {
          throw new SettingsCheck.BadSetting(what + " port " + (base + i) + " on " + host + " is in use (another Anvil on"
              + " this machine?); this start needs " + count + " ports from " + base + ": give another base with "
              + option);
        }
        ports[i] = base + i;
      }
      return ports;
    }
    for (int start = base; start + count <= 65535; start += count) {
      boolean allFree = true;
      for (int i = 0; i < count && allFree; i++) {
        allFree = free(host, start + i);
      }
      if (allFree) {
        for (int i = 0; i < count; i++) {
          ports[i] = start + i;
        }
        return ports;
      }
    }
    throw new SettingsCheck.BadSetting("no " + count + " free " + what + " ports from " + base + " on " + host
        + "; give a base with " + option);
  }

  static boolean free(String host, int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(host, port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int anyFree(String host) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(host, 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new SettingsCheck.BadSetting("cannot find a free port on " + host + ": " + e.getMessage());
    }
  }
}
