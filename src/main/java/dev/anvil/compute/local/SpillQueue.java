package dev.anvil.compute.local;

import dev.anvil.compute.task.TaskRun;
import java.util.List;

/**
 * The {@link LocalScheduler} as this node's router uses it: the tasks waiting here that another
 * node may run, and what the router knows of the other nodes' room.
 */
public interface SpillQueue {

  /** The router hears when tasks wait that it may send to other nodes. */
  void connectRouter(Runnable nudge);

  /** Whether the router listens to other nodes' room (it asked them); if not, it must be told of a backlog. */
  void routerInterested(boolean interested);

  /** How many tasks the other nodes' pools have room for now, and whether any of them can work at all. */
  void remoteCapacity(int room, boolean canWork);

  /** Called before the router looks for waiting tasks, so later arrivals nudge it again. */
  void routerNudgeTaken();

  /** The oldest waiting task, to send to another node, if one is worth sending; else null. */
  TaskRun pollForRemote();

  /** Whether tasks wait here that another node should run. */
  boolean spillPending();

  /** Tasks that another node could not run go back to the front, oldest first. */
  void requeue(List<TaskRun> runs);

  /** What this node's workers and queue hold now. */
  LocalScheduler.Load load();
}
