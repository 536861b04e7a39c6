package io.keel.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.testing.KeelTestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The client's operations against a real 3-node cluster: what a user's first program does. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ClientBasicsTest {
  static KeelTestCluster cluster;
  static KeelClient client;

  @BeforeAll
  static void start() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).build();
    cluster.awaitLeader(Duration.ofSeconds(60));
    client = KeelClient.connect(cluster.connectString());
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void createReadUpdateDelete() {
    String path = client.create("/crud", b("v1"), CreateMode.PERSISTENT);
    assertEquals("/crud", path);
    NodeData d = client.getData("/crud");
    assertArrayEquals(b("v1"), d.data());
    assertEquals(0, d.stat().version());

    Stat s = client.setData("/crud", b("v2"), 0);
    assertEquals(1, s.version());
    assertThrows(KeelException.BadVersionException.class, () -> client.setData("/crud", b("v3"), 0));
    assertArrayEquals(b("v2"), client.getData("/crud").data());

    assertThrows(KeelException.BadVersionException.class, () -> client.delete("/crud", 0));
    client.delete("/crud", 1);
    assertTrue(client.exists("/crud").isEmpty());
    KeelException.NoNodeException e =
        assertThrows(KeelException.NoNodeException.class, () -> client.getData("/crud"));
    assertEquals("/crud", e.path());
  }

  @Test
  void sequentialAndChildren() {
    client.create("/seq", null, CreateMode.PERSISTENT);
    String a = client.create("/seq/n-", null, CreateMode.PERSISTENT_SEQUENTIAL);
    String c = client.create("/seq/n-", null, CreateMode.PERSISTENT_SEQUENTIAL);
    assertEquals("/seq/n-0000000000", a);
    assertEquals("/seq/n-0000000001", c);
    assertEquals(List.of("n-0000000000", "n-0000000001"), client.getChildren("/seq"));
    assertEquals(2, client.getAllChildrenNumber("/seq"));
  }

  @Test
  void ephemeralsBelongToTheSessionAndGoWithIt() throws Exception {
    client.create("/eph", null, CreateMode.PERSISTENT);
    try (KeelClient other = KeelClient.connect(cluster.connectString())) {
      String p = other.create("/eph/mine", b("x"), CreateMode.EPHEMERAL);
      // Another client's write: sync first, as with ZooKeeper (reads are sequentially consistent).
      client.sync(p);
      assertEquals(other.sessionId(), client.exists(p).orElseThrow().ephemeralOwner());
      assertEquals(List.of("/eph/mine"), other.getEphemerals("/eph"));
      assertThrows(KeelException.NoChildrenForEphemeralsException.class,
          () -> other.create("/eph/mine/child", null, CreateMode.PERSISTENT));
    }
    client.sync("/eph/mine");
    assertTrue(client.exists("/eph/mine").isEmpty(), "closing the client removes its ephemerals");
  }

  @Test
  void multiIsAllOrNothing() {
    client.create("/m", null, CreateMode.PERSISTENT);
    List<OpResult> ok = client.multi(List.of(
        Op.create("/m/a", b("1"), CreateMode.PERSISTENT),
        Op.setData("/m", b("p"), 0),
        Op.check("/m/a", 0)));
    assertEquals(3, ok.size());
    assertTrue(ok.get(0) instanceof OpResult.CreateResult);

    KeelException e = assertThrows(KeelException.NodeExistsException.class, () -> client.multi(List.of(
        Op.create("/m/b", null, CreateMode.PERSISTENT),
        Op.create("/m/a", null, CreateMode.PERSISTENT),
        Op.delete("/m/a", -1))));
    assertEquals(List.of(
        new OpResult.ErrorResult(KeelException.Code.OK),
        new OpResult.ErrorResult(KeelException.Code.NODEEXISTS),
        new OpResult.ErrorResult(KeelException.Code.RUNTIMEINCONSISTENCY)), e.results());
    assertTrue(client.exists("/m/b").isEmpty(), "a failed multi changes nothing");
  }

  @Test
  void asyncCallsPipeline() throws Exception {
    client.create("/async", null, CreateMode.PERSISTENT);
    var futures = new java.util.ArrayList<java.util.concurrent.CompletableFuture<String>>();
    for (int i = 0; i < 200; i++) {
      futures.add(client.createAsync("/async/n" + i, b("d" + i), CreateMode.PERSISTENT));
    }
    for (var f : futures) {
      f.get(30, TimeUnit.SECONDS);
    }
    assertEquals(200, client.getChildren("/async").size());
  }
}
