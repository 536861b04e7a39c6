package io.keel.recipes.election;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.ConnectionState;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Elections under faults, on a shared 3-voter cluster: leaders' clients killed, the cluster's own
 * leader killed, and every client cut off from the cluster. Every participant records its
 * leadership intervals (from {@code isLeader} to {@code notLeader}, or to its kill) on one clock;
 * no two may overlap, and tokens must grow from each to the next.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ElectionFailoverTest {
  /** A new leader must show up within the session timeout plus a generous election allowance. */
  static final Duration NEW_LEADER_BOUND = Contender.SESSION_TIMEOUT.plusSeconds(10);
  static KeelTestCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).build();
    cluster.awaitLeader(Duration.ofSeconds(60));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @ParameterizedTest
  @EnumSource(Style.class)
  void exactlyOneLeaderAcrossKillsOfLeadersAndOfTheClusterLeader(Style style) throws Exception {
    String path = "/failover/kills-" + style.name().toLowerCase();
    History history = new History();
    List<Contender> alive = new ArrayList<>();
    List<Contender> everyone = new ArrayList<>();
    try {
      for (int i = 0; i < 5; i++) {
        everyone.add(new Contender(cluster, style, path, "p" + i, history).start());
      }
      alive.addAll(everyone);
      int next = everyone.size();
      for (String fault : List.of("client", "client", "cluster", "client", "client")) {
        Contender leader = awaitLeader(alive, NEW_LEADER_BOUND);
        if (fault.equals("client")) {
          alive.remove(leader);
          long killedAt = leader.kill(cluster);
          Contender newcomer = new Contender(cluster, style, path, "p" + next++, history).start();
          everyone.add(newcomer);
          alive.add(newcomer);
          Contender successor = awaitLeader(alive, NEW_LEADER_BOUND);
          long tookMs = TimeUnit.NANOSECONDS.toMillis(successor.openedAt() - killedAt);
          System.out.printf("%s: %s killed, %s leads %d ms after the expiry%n", style, leader,
              successor, tookMs);
          assertTrue(tookMs <= NEW_LEADER_BOUND.toMillis(), "new leader after " + tookMs + " ms");
        } else {
          long at = System.nanoTime();
          int node = cluster.leaderId();
          cluster.stop(node);
          cluster.awaitNewLeader(node, NEW_LEADER_BOUND);
          Contender after = awaitLeader(alive, NEW_LEADER_BOUND);
          System.out.printf("%s: cluster leader n%d stopped, %s leads (%d ms)%n", style, node,
              after, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - at));
          cluster.start(node);
        }
      }
      awaitLeader(alive, NEW_LEADER_BOUND);
      everyone.forEach(Contender::stopRecording);
      history.assertOneLeaderAtATime();
      // Five faults: at least the four killed leaders' terms and one more.
      assertTrue(history.intervals().size() >= 5, "intervals: " + history.intervals());
    } finally {
      everyone.forEach(Contender::close);
    }
  }

  @ParameterizedTest
  @EnumSource(Style.class)
  void leadershipIsDroppedOnSuspendedAndRecoversAfterwards(Style style) throws Exception {
    String path = "/failover/suspended-" + style.name().toLowerCase();
    History history = new History();
    List<Contender> all = new ArrayList<>();
    List<Integer> stopped = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        all.add(new Contender(cluster, style, path, "s" + i, history).start());
      }
      Contender leader = awaitLeader(all, NEW_LEADER_BOUND);
      Leadership before = leader.openTerm();

      // Two of three voters down, a follower left alone: no leader, so every write and ping
      // fails and the clients go SUSPENDED. A follower first, then the leader: stopping the
      // followers instead would leave a leader that (as of this writing) keeps answering pings.
      int clusterLeader = cluster.awaitLeader(Duration.ofSeconds(30));
      int follower = cluster.nodeIds().stream().filter(id -> id != clusterLeader).findFirst().orElseThrow();
      for (int id : List.of(follower, clusterLeader)) {
        cluster.stop(id);
        stopped.add(id);
      }
      await().atMost(Duration.ofSeconds(30)).until(() ->
          all.stream().allMatch(c -> c.client.connectionState() == ConnectionState.SUSPENDED));
      await().atMost(Duration.ofSeconds(10)).until(() -> !leader.leading());
      assertEquals("notLeader", leader.calls.get(leader.calls.size() - 1));
      assertFalse(before.isCurrent());
      for (Contender c : all) {
        assertFalse(c.election.hasLeadership(), c + " leads while SUSPENDED");
      }

      for (int id : stopped) {
        cluster.start(id);
      }
      stopped.clear();
      cluster.awaitLeader(Duration.ofSeconds(60));
      // Same sessions, same nodes: the suspended leader is still first and leads again.
      Contender after = awaitLeader(all, NEW_LEADER_BOUND);
      assertSame(leader, after);
      Leadership now = after.openTerm();
      assertTrue(now.fencingToken() > before.fencingToken(), before + " then " + now);
      try (KeelClient checker = KeelClient.connect(cluster.connectString())) {
        KeelException e = assertThrows(KeelException.class, () -> checker.multi(List.of(before.guard())));
        assertEquals(KeelException.Code.BADVERSION, e.code());
        checker.multi(List.of(now.guard()));
      }
      assertEquals(1, all.stream().filter(c -> c.election.hasLeadership()).count());
      all.forEach(Contender::stopRecording);
      history.assertOneLeaderAtATime();
    } finally {
      for (int id : stopped) {
        cluster.start(id);
      }
      all.forEach(Contender::close);
    }
  }

  /** The one contender whose listener says it leads, once there is one. */
  static Contender awaitLeader(List<Contender> among, Duration bound) {
    Contender[] found = new Contender[1];
    await().atMost(bound).until(() -> {
      for (Contender c : among) {
        if (c.leading() && c.client.connectionState().isConnected()) {
          found[0] = c;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }
}
