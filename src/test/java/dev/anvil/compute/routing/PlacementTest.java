package dev.anvil.compute.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.compute.protocol.PoolProtocol;
import dev.anvil.compute.protocol.PoolProtocol.PoolLoad;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The router's placement policy on its own: which followed pool gets the next task. */
class PlacementTest {

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static ActorRef<PoolProtocol.PoolCommand> pool() {
    return testKit.<PoolProtocol.PoolCommand>createTestProbe().ref();
  }

  private static Address node(int port) {
    return new Address("pekko", "anvil", "127.0.0.1", port);
  }

  /** Follows {@code pool} and records its report: {@code workers}, {@code running}, {@code room}, submissions seen. */
  private static void report(Placement placement, ActorRef<PoolProtocol.PoolCommand> pool, int port, int workers,
      int running, int room, long seen) {
    placement.add(pool, node(port));
    placement.get(pool).watched = true;
    assertThat(placement.update(new PoolLoad(pool, pool, "127.0.0.1:" + port, workers, running, 0, 0, true, room, 0,
        seen))).isTrue();
  }

  @Test
  void thePoolWithTheMostIdleWorkersComesFirstThenTheOneWithTheMostRoom() {
    Placement placement = new Placement();
    ActorRef<PoolProtocol.PoolCommand> busy = pool();
    ActorRef<PoolProtocol.PoolCommand> idle = pool();
    ActorRef<PoolProtocol.PoolCommand> roomy = pool();
    report(placement, busy, 1, 2, 2, 1, 0);
    report(placement, idle, 2, 2, 0, 2, 0);
    report(placement, roomy, 3, 4, 4, 3, 0);
    assertThat(placement.choose()).isEqualTo(idle);
    report(placement, idle, 2, 2, 2, 0, 0); // now busy and full
    assertThat(placement.choose()).isEqualTo(roomy);
    assertThat(placement.totalRoom()).isEqualTo(4);
  }

  @Test
  void tasksOnTheWayCountSoABurstIsSpreadAndNoPoolGetsMoreThanItsRoom() {
    Placement placement = new Placement();
    ActorRef<PoolProtocol.PoolCommand> a = pool();
    ActorRef<PoolProtocol.PoolCommand> b = pool();
    report(placement, a, 1, 1, 0, 2, 0);
    report(placement, b, 2, 1, 0, 2, 0);
    int toA = 0;
    int toB = 0;
    for (int i = 0; i < 4; i++) {
      ActorRef<PoolProtocol.PoolCommand> chosen = placement.choose();
      placement.sent(chosen, i);
      toA += chosen.equals(a) ? 1 : 0;
      toB += chosen.equals(b) ? 1 : 0;
    }
    assertThat(toA).isEqualTo(2);
    assertThat(toB).isEqualTo(2);
    assertThat(placement.choose()).as("every pool's room is on its way").isNull();
    report(placement, a, 1, 1, 1, 1, 2); // a saw both, runs one, has room for one more
    assertThat(placement.choose()).isEqualTo(a);
  }

  @Test
  void unreachableNotFollowedOrRefusingPoolsGetNothing() {
    Placement placement = new Placement();
    ActorRef<PoolProtocol.PoolCommand> cut = pool();
    ActorRef<PoolProtocol.PoolCommand> unfollowed = pool();
    ActorRef<PoolProtocol.PoolCommand> leaving = pool();
    report(placement, cut, 1, 2, 0, 2, 0);
    placement.add(unfollowed, node(2));
    placement.add(leaving, node(3));
    placement.get(leaving).watched = true;
    placement.update(new PoolLoad(leaving, leaving, "127.0.0.1:3", 2, 0, 0, 0, false, 2, 0, 0));
    assertThat(placement.reachability(node(1), false)).containsExactly(cut);
    assertThat(placement.choose()).isNull();
    assertThat(placement.anyCanWork()).isFalse();
    assertThat(placement.unfollowed()).containsExactly(unfollowed);
    assertThat(placement.update(new PoolLoad(unfollowed, unfollowed, "127.0.0.1:2", 2, 0, 0, 0, true, 2, 0, 0)))
        .as("a report from a pool not followed (a late probe answer) is not taken").isFalse();
    placement.reachability(node(1), true);
    assertThat(placement.choose()).isEqualTo(cut);
  }
}
