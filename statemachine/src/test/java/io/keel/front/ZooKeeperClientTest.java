package io.keel.front;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.testing.KeelTestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * ZooKeeper's own Java client (3.9) against Keel's session fronts: it connects to a follower's or
 * an observer's client port, and everything it does goes through the front, the forwarding to the
 * leader and the local tree.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@SuppressWarnings("try")  // ZooKeeper.close() declares InterruptedException
class ZooKeeperClientTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static KeelTestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).observers(1).build();
    cluster.awaitLeader(Duration.ofSeconds(60));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** A follower (not the leader), so that writes are forwarded. */
  private static int follower() {
    int leader = cluster.awaitLeader(WAIT);
    return cluster.nodeIds().stream().filter(id -> id != leader && id <= 3).findFirst().orElseThrow();
  }

  static ZooKeeper connect(String connectString, Watcher watcher) throws Exception {
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk = new ZooKeeper(connectString, 10_000, event -> {
      if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
        connected.countDown();
      }
      if (watcher != null) {
        watcher.process(event);
      }
    });
    if (!connected.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
      zk.close();
      throw new AssertionError("no session with " + connectString + " within " + WAIT);
    }
    return zk;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void createReadUpdateDeleteThroughAFollower() throws Exception {
    try (ZooKeeper zk = connect(cluster.clientAddress(follower()), null)) {
      assertEquals("/crud", zk.create("/crud", utf8("one"), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
      Stat stat = new Stat();
      assertArrayEquals(utf8("one"), zk.getData("/crud", false, stat));
      assertEquals(0, stat.getVersion());
      assertEquals(3, stat.getDataLength());
      assertTrue(stat.getCzxid() > 0 && stat.getCzxid() == stat.getMzxid());

      Stat updated = zk.setData("/crud", utf8("two"), 0);
      assertEquals(1, updated.getVersion());
      assertTrue(updated.getMzxid() > stat.getMzxid());
      assertArrayEquals(utf8("two"), zk.getData("/crud", false, null));
      assertThrows(KeeperException.BadVersionException.class, () -> zk.setData("/crud", utf8("x"), 0));

      Stat created = new Stat();
      String seq = zk.create("/crud/s-", null, ZooDefs.Ids.OPEN_ACL_UNSAFE,
          CreateMode.PERSISTENT_SEQUENTIAL, created);
      assertTrue(seq.matches("/crud/s-\\d{10}"), seq);
      assertTrue(created.getCzxid() > updated.getMzxid());
      assertEquals(List.of(seq.substring("/crud/".length())), zk.getChildren("/crud", false));
      Stat parent = new Stat();
      zk.getChildren("/crud", false, parent);
      assertEquals(1, parent.getNumChildren());

      assertThrows(KeeperException.NodeExistsException.class,
          () -> zk.create("/crud", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
      assertThrows(KeeperException.NotEmptyException.class, () -> zk.delete("/crud", -1));
      assertThrows(KeeperException.NoNodeException.class, () -> zk.getData("/crud/none", false, null));
      assertNull(zk.exists("/crud/none", false));

      zk.delete(seq, -1);
      zk.delete("/crud", 1);
      assertNull(zk.exists("/crud", false));
    }
  }

  @Test
  void aclsTtlAndContainers() throws Exception {
    try (ZooKeeper zk = connect(cluster.clientAddress(follower()), null)) {
      zk.create("/acl", null, ZooDefs.Ids.READ_ACL_UNSAFE, CreateMode.PERSISTENT);
      Stat stat = new Stat();
      assertEquals(ZooDefs.Ids.READ_ACL_UNSAFE, zk.getACL("/acl", stat));
      zk.setACL("/acl", ZooDefs.Ids.OPEN_ACL_UNSAFE, 0);
      assertEquals(ZooDefs.Ids.OPEN_ACL_UNSAFE, zk.getACL("/acl", stat));
      assertEquals(1, stat.getAversion());
      assertThrows(KeeperException.InvalidACLException.class,
          () -> zk.create("/noacl", null, new ArrayList<>(), CreateMode.PERSISTENT));

      Stat ttl = new Stat();
      zk.create("/ttl", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_WITH_TTL, ttl, 60_000);
      assertNotNull(zk.exists("/ttl", false));
      zk.create("/box", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.CONTAINER);
      assertNotNull(zk.exists("/box", false));
      for (String p : List.of("/acl", "/ttl", "/box")) {
        zk.delete(p, -1);
      }
    }
  }

  @Test
  void watchesFireOnceInOrderBeforeTheReadThatSeesTheChange() throws Exception {
    BlockingQueue<WatchedEvent> events = new LinkedBlockingQueue<>();
    try (ZooKeeper watcher = connect(cluster.clientAddress(4), null);
         ZooKeeper writer = connect(cluster.clientAddress(follower()), null)) {
      writer.create("/w", utf8("0"), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
      watcher.sync("/w", (rc, path, ctx) -> { }, null);
      watcher.getData("/w", events::add, null);
      assertNull(watcher.exists("/w/kid", events::add));
      watcher.getChildren("/w", events::add);

      writer.setData("/w", utf8("1"), -1);
      writer.create("/w/kid", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
      // Catch the observer up, then read: ZooKeeper promises the events come before the data.
      CountDownLatch synced = new CountDownLatch(1);
      watcher.sync("/w", (rc, path, ctx) -> synced.countDown(), null);
      assertTrue(synced.await(WAIT.toSeconds(), TimeUnit.SECONDS));
      assertNotNull(watcher.exists("/w/kid", false));
      assertEquals(3, events.size(), "every event arrived before the read that sees its change: " + events);
      WatchedEvent first = events.poll();
      assertEquals(EventType.NodeDataChanged, first.getType());
      assertEquals("/w", first.getPath());
      List<EventType> rest = List.of(events.poll().getType(), events.poll().getType());
      assertTrue(rest.containsAll(List.of(EventType.NodeCreated, EventType.NodeChildrenChanged)), rest.toString());

      // One-shot: a second change fires nothing.
      writer.setData("/w", utf8("2"), -1);
      assertNull(events.poll(500, TimeUnit.MILLISECONDS));
      writer.delete("/w/kid", -1);
      writer.delete("/w", -1);
    }
  }

  @Test
  void persistentRecursiveWatchAndRemoval() throws Exception {
    BlockingQueue<WatchedEvent> events = new LinkedBlockingQueue<>();
    Watcher w = events::add;
    try (ZooKeeper zk = connect(cluster.clientAddress(follower()), null)) {
      zk.create("/tree", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
      zk.addWatch("/tree", w, AddWatchMode.PERSISTENT_RECURSIVE);
      zk.create("/tree/a", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
      zk.create("/tree/a/b", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
      zk.setData("/tree/a/b", utf8("x"), -1);
      zk.delete("/tree/a/b", -1);
      List<String> seen = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        WatchedEvent e = events.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(e, "event " + i + " after " + seen);
        seen.add(e.getType() + " " + e.getPath());
      }
      assertEquals(List.of("NodeCreated /tree/a", "NodeCreated /tree/a/b",
          "NodeDataChanged /tree/a/b", "NodeDeleted /tree/a/b"), seen);

      zk.removeWatches("/tree", w, Watcher.WatcherType.Any, false);
      assertEquals(EventType.PersistentWatchRemoved, events.poll(WAIT.toSeconds(), TimeUnit.SECONDS).getType());
      zk.delete("/tree/a", -1);
      assertNull(events.poll(500, TimeUnit.MILLISECONDS), "no events after the watch is removed");
      assertThrows(KeeperException.NoWatcherException.class,
          () -> zk.removeWatches("/tree", w, Watcher.WatcherType.Any, false));
      zk.delete("/tree", -1);
    }
  }

  @Test
  void multiCommitsAllOrNothing() throws Exception {
    try (ZooKeeper zk = connect(cluster.clientAddress(follower()), null)) {
      List<OpResult> ok = zk.multi(List.of(
          Op.create("/m", utf8("a"), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
          Op.setData("/m", utf8("b"), 0),
          Op.check("/m", 1),
          Op.create("/m/c-", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL)));
      assertEquals("/m", ((OpResult.CreateResult) ok.get(0)).getPath());
      assertEquals(1, ((OpResult.SetDataResult) ok.get(1)).getStat().getVersion());
      assertInstanceOf(OpResult.CheckResult.class, ok.get(2));
      assertTrue(((OpResult.CreateResult) ok.get(3)).getPath().startsWith("/m/c-"));

      KeeperException failed = assertThrows(KeeperException.class, () -> zk.multi(List.of(
          Op.setData("/m", utf8("c"), -1),
          Op.check("/m", 7),
          Op.create("/m/never", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT))));
      assertEquals(KeeperException.Code.BADVERSION, failed.code());
      List<OpResult> results = failed.getResults();
      assertEquals(3, results.size());
      assertEquals(0, ((OpResult.ErrorResult) results.get(0)).getErr());
      assertEquals(KeeperException.Code.BADVERSION.intValue(), ((OpResult.ErrorResult) results.get(1)).getErr());
      assertEquals(KeeperException.Code.RUNTIMEINCONSISTENCY.intValue(),
          ((OpResult.ErrorResult) results.get(2)).getErr());
      assertArrayEquals(utf8("b"), zk.getData("/m", false, null), "the failed multi changed nothing");
      assertNull(zk.exists("/m/never", false));

      List<OpResult> reads = zk.multi(List.of(Op.getData("/m"), Op.getChildren("/m"), Op.getData("/none")));
      assertArrayEquals(utf8("b"), ((OpResult.GetDataResult) reads.get(0)).getData());
      assertEquals(1, ((OpResult.GetChildrenResult) reads.get(1)).getChildren().size());
      assertEquals(KeeperException.Code.NONODE.intValue(), ((OpResult.ErrorResult) reads.get(2)).getErr());
      zk.delete(((OpResult.CreateResult) ok.get(3)).getPath(), -1);
      zk.delete("/m", -1);
    }
  }

  @Test
  void ephemeralsLiveWithTheSessionAndGoWithItsClose() throws Exception {
    try (ZooKeeper reader = connect(cluster.clientAddress(follower()), null)) {
      ZooKeeper owner = connect(cluster.clientAddress(4), null);
      owner.create("/eph", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
      assertEquals(List.of("/eph"), owner.getEphemerals("/"));
      reader.sync("/", (rc, path, ctx) -> { }, null);
      Stat stat = reader.exists("/eph", false);
      assertNotNull(stat);
      assertEquals(owner.getSessionId(), stat.getEphemeralOwner());
      assertThrows(KeeperException.NoChildrenForEphemeralsException.class,
          () -> owner.create("/eph/kid", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
      owner.close();
      reader.sync("/", (rc, path, ctx) -> { }, null);
      assertNull(reader.exists("/eph", false), "closing the session deleted its ephemeral");
    }
  }

  @Test
  void aSessionMovesToAnotherServerWithItsWatchesAndEphemerals() throws Exception {
    int first = follower();
    int second = cluster.nodeIds().stream().filter(id -> id != first && id <= 3).findFirst().orElseThrow();
    BlockingQueue<WatchedEvent> events = new LinkedBlockingQueue<>();
    ZooKeeper zk = connect(cluster.clientAddress(first), e -> {
      if (e.getType() == EventType.None) {
        events.add(e);
      }
    });
    try (ZooKeeper writer = connect(cluster.clientAddress(second), null)) {
      zk.create("/moving", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
      zk.create("/watched", utf8("0"), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
      BlockingQueue<WatchedEvent> fired = new LinkedBlockingQueue<>();
      zk.getData("/watched", fired::add, null);
      long session = zk.getSessionId();
      // The client may only go where it is told: point it at the second server, then cut the first.
      zk.updateServerList(cluster.clientAddress(second));
      cluster.stop(first);
      try {
        WatchedEvent state;
        do {
          state = events.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
          assertNotNull(state, "the client reconnected");
        } while (state.getState() != Watcher.Event.KeeperState.SyncConnected);
        assertEquals(session, zk.getSessionId());
        assertNotNull(writer.exists("/moving", false), "the session and its ephemeral survived the move");
        writer.setData("/watched", utf8("1"), -1);
        WatchedEvent e;
        do {
          // A watcher also hears the connection's states (Disconnected, SyncConnected).
          e = fired.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
          assertNotNull(e, "the watch set at the first server fires at the second");
        } while (e.getType() == EventType.None);
        assertEquals(EventType.NodeDataChanged, e.getType());
      } finally {
        zk.close();
        cluster.start(first);
        writer.delete("/watched", -1);
      }
      writer.sync("/", (rc, path, ctx) -> { }, null);
      assertNull(writer.exists("/moving", false));
    }
  }

  @Test
  void aClientAtTheLeaderAndOneAtAnObserverSeeEachOther() throws Exception {
    int leader = cluster.awaitLeader(WAIT);
    try (ZooKeeper a = connect(cluster.clientAddress(leader), null);
         ZooKeeper b = connect(cluster.clientAddress(4), null)) {
      for (int i = 0; i < 20; i++) {
        a.create("/both-" + i, utf8("v" + i), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
      }
      CountDownLatch synced = new CountDownLatch(1);
      b.sync("/", (rc, path, ctx) -> synced.countDown(), null);
      assertTrue(synced.await(WAIT.toSeconds(), TimeUnit.SECONDS));
      for (int i = 0; i < 20; i++) {
        assertArrayEquals(utf8("v" + i), b.getData("/both-" + i, false, null));
        b.delete("/both-" + i, 0);
      }
    }
  }
}
