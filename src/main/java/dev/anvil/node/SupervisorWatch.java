package dev.anvil.node;

import java.io.IOException;
import java.io.InputStream;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node that {@code start} runs ends when its supervisor does, however the supervisor ended: a
 * supervisor killed with {@code kill -9} has no time to stop its nodes, and nodes left running
 * would hold the ports, the cluster and the jobs that the next {@code start} needs. The node's
 * stdin is a pipe from its supervisor (set as {@value #ENV}); the pipe reads end-of-file when the
 * supervisor's process is gone, whatever killed it, and the node then leaves the cluster as when
 * told to stop. A node run by hand never watches its stdin (a terminal, or /dev/null under nohup).
 */
public final class SupervisorWatch {

  /** Set to {@code 1} by the supervisor in each node's environment. */
  public static final String ENV = "ANVIL_SUPERVISED";

  private static final Logger log = LoggerFactory.getLogger(SupervisorWatch.class);

  /** The reason of a node's shutdown when its supervisor is gone. */
  static final class SupervisorGone implements CoordinatedShutdown.Reason {
    static final SupervisorGone INSTANCE = new SupervisorGone();

    @Override
    public String toString() {
      return "its supervisor is gone";
    }
  }

  private SupervisorWatch() {}

  static boolean wanted() {
    return "1".equals(System.getenv(ENV));
  }

  /** Watches {@code pipe} on a daemon thread; at its end, runs the node's coordinated shutdown. */
  static Thread watch(ActorSystem<?> system, InputStream pipe) {
    Thread thread = new Thread(() -> {
      byte[] discard = new byte[256];
      try {
        while (pipe.read(discard) != -1) {
          // the supervisor writes nothing; a read only ends at end-of-file
        }
      } catch (IOException e) {
        // a broken pipe is a supervisor gone too
      }
      log.warn("The supervisor that started this node is gone (its pipe closed); the node leaves the cluster"
          + " and stops");
      CoordinatedShutdown.get(system).run(SupervisorGone.INSTANCE);
    }, "anvil-supervisor-watch");
    thread.setDaemon(true);
    thread.start();
    return thread;
  }
}
