package io.keel.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.NodeStatus.Membership;
import io.keel.client.NodeStatus.Role;
import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Status, snapshots and leadership transfer against a 3-voter + 1-observer cluster. Every test
 * leaves the cluster as it found it: 4 running members, node 4 the observer.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class KeelAdminTest {
  private static KeelTestCluster cluster;
  private static KeelAdmin admin;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).observers(1).build();
    cluster.awaitLeader(Duration.ofSeconds(60));
    admin = KeelAdmin.connect(cluster.address(1), Duration.ofSeconds(20));
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
  void statusShowsEveryNodeItsRoleAndHowFarItHasApplied() {
    long written;
    try (KeelClient client = KeelClient.connect(cluster.connectString())) {
      written = client.setData("/", "status".getBytes(), -1).mzxid() >>> 16;
    }
    int leader = cluster.awaitLeader(Duration.ofSeconds(30));
    await().atMost(Duration.ofSeconds(30)).until(() -> admin.status().nodes().stream()
        .allMatch(n -> n.appliedIndex() >= written));
    ClusterStatus s = admin.status();
    assertEquals(List.of(1, 2, 3, 4), s.nodes().stream().map(NodeStatus::id).toList());
    assertEquals(leader, s.leader().orElseThrow().id());
    assertTrue(s.healthy());
    assertFalse(s.changing());
    for (NodeStatus n : s.nodes()) {
      assertTrue(n.reachable(), n.toString());
      assertNull(n.error());
      assertEquals(cluster.address(n.id()), n.address());
      assertEquals(n.id() == 4 ? Membership.OBSERVER : Membership.VOTER, n.membership());
      Role expected = n.id() == leader ? Role.LEADER : n.id() == 4 ? Role.OBSERVER : Role.FOLLOWER;
      assertEquals(expected, n.role(), n.toString());
      assertEquals(leader, n.leaderId(), n.toString());
      assertEquals(s.leader().get().term(), n.term(), n.toString());
      assertTrue(n.committedIndex() >= n.appliedIndex() - 1 && n.lastIndex() >= n.committedIndex(),
          n.toString());
    }
  }

  @Test
  void aStoppedNodeIsUnreachableAndTheRestStillAnswer() throws Exception {
    int leader = cluster.awaitLeader(Duration.ofSeconds(30));
    int follower = leader == 1 ? 2 : 1;
    cluster.stop(follower);
    try {
      ClusterStatus s = admin.status();
      NodeStatus down = s.node(follower).orElseThrow();
      assertEquals(Role.UNREACHABLE, down.role());
      assertFalse(down.reachable());
      assertTrue(down.error() != null && !down.error().isBlank(), down.toString());
      assertEquals(-1, down.appliedIndex());
      assertEquals(leader, s.leader().orElseThrow().id());
      assertFalse(s.healthy());
      assertEquals(4, s.nodes().size());
    } finally {
      cluster.start(follower);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> admin.status().healthy());
  }

  @Test
  void snapshotOfANodeCoversItsAppliedEntries() {
    long written;
    try (KeelClient client = KeelClient.connect(cluster.connectString())) {
      written = client.setData("/", "snapshot".getBytes(), -1).mzxid() >>> 16;
    }
    for (int id : List.of(2, 4)) {
      await().atMost(Duration.ofSeconds(30))
          .until(() -> admin.status().node(id).orElseThrow().appliedIndex() >= written);
      long index = admin.snapshot(id);
      assertTrue(index >= written, "snapshot index " + index + ", written " + written);
      assertEquals(index, admin.status().node(id).orElseThrow().snapshotIndex());
    }
    var e = assertThrows(KeelException.class, () -> admin.snapshot(9));
    assertEquals(KeelException.Code.BADARGUMENTS, e.code());
    assertTrue(e.getMessage().contains("node 9 is not a member"), e.getMessage());
  }

  @Test
  void aNodeSnapshotsWithoutALeader() throws Exception {
    long written;
    try (KeelClient client = KeelClient.connect(cluster.connectString())) {
      written = client.setData("/", "before-quorum-loss".getBytes(), -1).mzxid() >>> 16;
    }
    int leader = cluster.awaitLeader(Duration.ofSeconds(30));
    int follower = leader % 3 + 1;
    int survivor = 6 - leader - follower;
    await().atMost(Duration.ofSeconds(30)).until(() -> admin.status().nodes().stream()
        .allMatch(n -> n.appliedIndex() >= written));
    cluster.stop(leader);
    cluster.stop(follower);
    try {
      assertTrue(admin.status().leader().isEmpty());
      for (int id : List.of(survivor, 4)) {
        assertTrue(admin.snapshot(id) >= written, "node " + id);
      }
    } finally {
      cluster.start(leader);
      cluster.start(follower);
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> admin.status().healthy());
  }

  @Test
  void leadershipMovesToTheNodeAskedForAndStaysThere() {
    int leader = cluster.awaitLeader(Duration.ofSeconds(30));
    for (int round = 0; round < 2; round++) {
      int target = leader % 3 + 1;
      admin.transferLeadership(target);
      await().atMost(Duration.ofSeconds(30))
          .until(() -> admin.status().leader().map(NodeStatus::id).orElse(-1) == target);
      leader = target;
    }
    var e = assertThrows(KeelException.class, () -> admin.transferLeadership(4));
    assertEquals(KeelException.Code.BADARGUMENTS, e.code());
    assertTrue(e.getMessage().contains("observer"), e.getMessage());
  }
}
