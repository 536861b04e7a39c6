package io.keel.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.NodeStatus.Membership;
import io.keel.client.NodeStatus.Role;
import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Membership changes through {@link KeelAdmin} on a 3-voter + 1-observer cluster with two spare
 * nodes (configured, not members): node 5 configured as a voter, node 6 as an observer. Every test
 * leaves the membership as it found it.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class KeelMembershipTest {
  private static KeelTestCluster cluster;
  private static KeelAdmin admin;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).observers(1).spares(1).spareObservers(1).build();
    cluster.awaitLeader(Duration.ofSeconds(60));
    admin = KeelAdmin.connect(cluster.connectString(), Duration.ofSeconds(20));
  }

  @AfterAll
  static void stopCluster() {
    if (admin != null) {
      admin.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aNewVoterAndANewObserverJoinCatchUpAndServe() throws Exception {
    try (KeelClient client = KeelClient.connect(cluster.connectString())) {
      client.create("/before-join", "old".getBytes(), CreateMode.PERSISTENT);
    }
    cluster.start(5);
    cluster.start(6);
    try {
      // Waiting to be added, past several election timeouts (1-2 s here): a joining node must not
      // campaign. The leader answers a stranger's vote request by telling it to shut down; a
      // follower answering first saves it, so only several elections make the failure likely.
      await().during(Duration.ofSeconds(8)).atMost(Duration.ofSeconds(15))
          .until(() -> cluster.server(5).isAlive() && cluster.server(6).isAlive());
      admin.addNode(5, cluster.address(5), Membership.VOTER);
      admin.addNode(6, cluster.address(6), Membership.OBSERVER);
      awaitStatus(s -> s.nodes().size() == 6 && s.healthy());
      ClusterStatus s = admin.status();
      assertEquals(Membership.VOTER, s.node(5).orElseThrow().membership());
      assertEquals(Membership.OBSERVER, s.node(6).orElseThrow().membership());
      awaitStatus(x -> x.node(6).orElseThrow().role() == Role.OBSERVER);
      String expected = "old";
      for (int id : List.of(5, 6)) {
        // A client of the new node alone reads what was written before (even before it joined),
        // and writes.
        try (KeelClient onNew = KeelClient.connect(cluster.address(id))) {
          assertArrayEquals(expected.getBytes(), onNew.getData("/before-join").data());
          expected = "via " + id;
          onNew.setData("/before-join", expected.getBytes(), -1);
        }
      }
    } finally {
      removeIfMember(5);
      removeIfMember(6);
      cluster.stop(5);
      cluster.stop(6);
    }
    awaitStatus(s -> s.nodes().stream().map(NodeStatus::id).toList().equals(List.of(1, 2, 3, 4)));
    try (KeelClient client = KeelClient.connect(cluster.connectString())) {
      assertArrayEquals("via 6".getBytes(), client.getData("/before-join").data());
    }
  }

  @Test
  void anObserverIsPromotedAndDemotedBack() throws Exception {
    admin.promote(4);
    awaitStatus(s -> s.node(4).orElseThrow().membership() == Membership.VOTER
        && s.node(4).orElseThrow().role() == Role.FOLLOWER);
    admin.demote(4);
    // The quorum no longer counts node 4 at once; Ratis switches a running follower's own role
    // to listener only when it restarts.
    awaitStatus(s -> s.node(4).orElseThrow().membership() == Membership.OBSERVER && s.healthy());
    cluster.restart(4);
    awaitStatus(s -> s.node(4).orElseThrow().role() == Role.OBSERVER && s.healthy());
  }

  @Test
  void aRemovedFollowerLeavesTheQuorumAndComesBack() throws Exception {
    int leader = cluster.awaitLeader(Duration.ofSeconds(30));
    int follower = leader == 3 ? 2 : 3;
    admin.removeNode(follower);
    awaitStatus(s -> s.node(follower).isEmpty());
    try (KeelClient client = KeelClient.connect(cluster.address(leader))) {
      client.create("/while-removed", null, CreateMode.PERSISTENT);
    }
    admin.addNode(follower, cluster.address(follower), Membership.VOTER);
    awaitStatus(s -> s.healthy() && s.nodes().size() == 4
        && s.node(follower).orElseThrow().membership() == Membership.VOTER);
    try (KeelClient client = KeelClient.connect(cluster.address(follower))) {
      assertTrue(client.exists("/while-removed").isPresent());
    }
  }

  @Test
  void removingTheLeaderHandsLeadershipOverFirst() throws Exception {
    int leader = cluster.awaitLeader(Duration.ofSeconds(30));
    admin.removeNode(leader);
    awaitStatus(s -> s.node(leader).isEmpty() && s.leader().isPresent());
    assertTrue(admin.status().leader().orElseThrow().id() != leader);
    try (KeelClient client = KeelClient.connect(cluster.connectString())) {
      client.create("/after-leader-removed", null, CreateMode.PERSISTENT);
    }
    // The old leader's process still serves its group, so it can simply be added back.
    assertTrue(cluster.server(leader).isAlive());
    admin.addNode(leader, cluster.address(leader), Membership.VOTER);
    awaitStatus(s -> s.healthy() && s.nodes().size() == 4);
    try (KeelClient client = KeelClient.connect(cluster.address(leader))) {
      assertTrue(client.exists("/after-leader-removed").isPresent());
    }
  }

  @Test
  void changesThatMakeNoSenseAreRefusedAndChangeNothing() {
    assertRefused(() -> admin.addNode(1, "127.0.0.1:1", Membership.VOTER),
        KeelException.Code.BADARGUMENTS, "node 1 is already a member");
    assertRefused(() -> admin.addNode(7, cluster.address(2), Membership.VOTER),
        KeelException.Code.BADARGUMENTS, "already belongs to node 2");
    assertRefused(() -> admin.addNode(7, "no-port", Membership.VOTER),
        KeelException.Code.BADARGUMENTS, "not host:port");
    assertRefused(() -> admin.removeNode(9), KeelException.Code.BADARGUMENTS, "node 9 is not a member");
    assertRefused(() -> admin.promote(1), KeelException.Code.BADARGUMENTS, "already a voter");
    assertRefused(() -> admin.demote(4), KeelException.Code.BADARGUMENTS, "already an observer");
    assertRefused(() -> admin.removeNode(0), KeelException.Code.BADARGUMENTS, "positive");
    assertEquals(List.of(1, 2, 3, 4), admin.status().nodes().stream().map(NodeStatus::id).toList());
  }

  @Test
  void addingANodeThatIsNotRunningFailsAndLeavesTheMembership() {
    try (KeelAdmin quick = KeelAdmin.connect(cluster.connectString(), Duration.ofSeconds(5))) {
      KeelException e = assertThrows(KeelException.class,
          () -> quick.addNode(6, cluster.address(6), Membership.VOTER));
      assertTrue(e.getMessage().contains("add node 6 failed"), e.getMessage());
    }
    awaitStatus(s -> !s.changing());
    assertEquals(List.of(1, 2, 3, 4), admin.status().nodes().stream().map(NodeStatus::id).toList());
  }

  private static void assertRefused(Runnable change, KeelException.Code code, String message) {
    KeelException e = assertThrows(KeelException.class, change::run);
    assertEquals(code, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  private static void removeIfMember(int id) {
    if (admin.status().node(id).isPresent()) {
      admin.removeNode(id);
    }
  }

  private static void awaitStatus(Predicate<ClusterStatus> condition) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(admin::status, condition::test);
  }
}
