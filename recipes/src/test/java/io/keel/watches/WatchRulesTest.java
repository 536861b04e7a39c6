package io.keel.watches;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.AddWatchMode;
import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Op;
import io.keel.client.WatchedEvent;
import io.keel.client.WatchedEvent.Type;
import io.keel.client.Watcher;
import io.keel.client.WatcherType;
import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ZooKeeper's watch rules through the client, one row per (watch, trigger): which op leaves which
 * watch, which change fires it, with which type, path and zxid, and that a one-shot watch fires
 * exactly once while a persistent one fires once per change.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class WatchRulesTest {
  static KeelTestCluster cluster;
  static KeelClient watching;
  static KeelClient writer;

  @BeforeAll
  static void start() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).build();
    cluster.awaitLeader(Duration.ofSeconds(60));
    watching = KeelClient.connect(cluster.connectString());
    writer = KeelClient.connect(cluster.connectString());
  }

  @AfterAll
  static void stop() throws Exception {
    if (watching != null) {
      watching.close();
    }
    if (writer != null) {
      writer.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /** One row: set up nodes, leave a watch, make a change, expect an event (or none). */
  record Row(String name, Consumer<String> setup, WatchOp watch, Trigger trigger,
             Type expected, String expectedPath, boolean persistent) {
    @Override
    public String toString() {
      return name;
    }
  }

  interface WatchOp {
    void set(KeelClient c, String base, Watcher w);
  }

  /** Makes the change and returns the zxid it was applied at. */
  interface Trigger {
    long fire(KeelClient c, String base);
  }

  static void node(String path) {
    writer.create(path, "v".getBytes(), CreateMode.PERSISTENT);
  }

  static long set(KeelClient c, String path) {
    return c.setData(path, "x".getBytes(), -1).mzxid();
  }

  static long create(KeelClient c, String path) {
    return c.create(path, null, CreateMode.PERSISTENT, io.keel.client.CreateOptions.DEFAULT).stat().czxid();
  }

  static long delete(KeelClient c, String path) {
    c.delete(path, -1);
    return c.lastZxid();
  }

  static Stream<Row> rows() {
    WatchOp getData = (c, b, w) -> c.getData(b + "/n", w);
    WatchOp exists = (c, b, w) -> c.exists(b + "/n", w);
    WatchOp children = (c, b, w) -> c.getChildren(b + "/n", w);
    WatchOp persistent = (c, b, w) -> c.addWatch(b + "/n", w, AddWatchMode.PERSISTENT);
    WatchOp recursive = (c, b, w) -> c.addWatch(b + "/n", w, AddWatchMode.PERSISTENT_RECURSIVE);
    Consumer<String> n = b -> node(b + "/n");
    Consumer<String> nc = b -> {
      node(b + "/n");
      node(b + "/n/c");
    };
    Consumer<String> none = b -> { };
    return Stream.of(
        new Row("getData, setData", n, getData, (c, b) -> set(c, b + "/n"),
            Type.NODE_DATA_CHANGED, "/n", false),
        new Row("getData, delete", n, getData, (c, b) -> delete(c, b + "/n"),
            Type.NODE_DELETED, "/n", false),
        new Row("exists on a node, setData", n, exists, (c, b) -> set(c, b + "/n"),
            Type.NODE_DATA_CHANGED, "/n", false),
        new Row("exists on a node, delete", n, exists, (c, b) -> delete(c, b + "/n"),
            Type.NODE_DELETED, "/n", false),
        new Row("exists on no node, create", none, exists, (c, b) -> create(c, b + "/n"),
            Type.NODE_CREATED, "/n", false),
        new Row("getChildren, create child", n, children, (c, b) -> create(c, b + "/n/c"),
            Type.NODE_CHILDREN_CHANGED, "/n", false),
        new Row("getChildren, delete child", nc, children, (c, b) -> delete(c, b + "/n/c"),
            Type.NODE_CHILDREN_CHANGED, "/n", false),
        new Row("getChildren, delete node", n, children, (c, b) -> delete(c, b + "/n"),
            Type.NODE_DELETED, "/n", false),
        new Row("getChildren, setData of the node: no event", n, children, (c, b) -> set(c, b + "/n"),
            null, null, false),
        new Row("getData, create child: no event", n, getData, (c, b) -> create(c, b + "/n/c"),
            null, null, false),
        new Row("getData, setData of a child: no event", nc, getData, (c, b) -> set(c, b + "/n/c"),
            null, null, false),
        new Row("persistent, setData", n, persistent, (c, b) -> set(c, b + "/n"),
            Type.NODE_DATA_CHANGED, "/n", true),
        new Row("persistent, create child", n, persistent, (c, b) -> create(c, b + "/n/c"),
            Type.NODE_CHILDREN_CHANGED, "/n", true),
        new Row("persistent, create of the missing node", none, persistent,
            (c, b) -> create(c, b + "/n"), Type.NODE_CREATED, "/n", true),
        new Row("persistent, setData of a child: no event", nc, persistent,
            (c, b) -> set(c, b + "/n/c"), null, null, true),
        new Row("recursive, create child", n, recursive, (c, b) -> create(c, b + "/n/c"),
            Type.NODE_CREATED, "/n/c", true),
        new Row("recursive, setData of a child", nc, recursive, (c, b) -> set(c, b + "/n/c"),
            Type.NODE_DATA_CHANGED, "/n/c", true),
        new Row("recursive, delete of a child", nc, recursive, (c, b) -> delete(c, b + "/n/c"),
            Type.NODE_DELETED, "/n/c", true),
        new Row("recursive, setData of the node", n, recursive, (c, b) -> set(c, b + "/n"),
            Type.NODE_DATA_CHANGED, "/n", true));
  }

  static int cases;

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void firesAsZooKeeperDoes(Row row) throws Exception {
    String base = "/rules-" + (++cases);
    node(base);
    row.setup().accept(base);
    watching.sync(base);
    Recorder rec = new Recorder();
    row.watch().set(watching, base, rec);
    long zxid = row.trigger().fire(writer, base);
    if (row.expected() == null) {
      rec.assertQuiet(watching, base);
      return;
    }
    WatchedEvent e = rec.next();
    assertEquals(row.expected(), e.type(), row.name());
    assertEquals(base + row.expectedPath(), e.path(), row.name());
    assertEquals(zxid, e.zxid(), row.name() + ": the event carries the change's zxid");
    rec.assertQuiet(watching, base);
    // A second change of the same kind: a one-shot watch is used up, a persistent one fires again.
    if (row.expected() == Type.NODE_DATA_CHANGED) {
      long again = set(writer, base + row.expectedPath());
      if (row.persistent()) {
        WatchedEvent second = rec.next();
        assertEquals(Type.NODE_DATA_CHANGED, second.type());
        assertEquals(again, second.zxid());
      }
      rec.assertQuiet(watching, base);
    }
  }

  @Test
  void anEventComesBeforeAnyReadResultAtOrAfterItsZxid() throws Exception {
    node("/order");
    node("/order/n");
    watching.sync("/order");
    for (int i = 0; i < 20; i++) {
      List<WatchedEvent> seen = new ArrayList<>();
      watching.getData("/order/n", e -> {
        synchronized (seen) {
          seen.add(e);
        }
      });
      long zxid = set(writer, "/order/n");
      // Once this client can read the change, its watcher has run.
      while (watching.getData("/order/n").stat().mzxid() < zxid) {
        watching.sync("/order/n");
      }
      synchronized (seen) {
        assertEquals(1, seen.size(), "read the change before its event");
        assertEquals(zxid, seen.get(0).zxid());
      }
    }
  }

  @Test
  void oneWatcherSetTwiceHearsOnceAndEveryWatcherHears() throws Exception {
    node("/twice");
    watching.sync("/twice");
    Recorder a = new Recorder();
    Recorder b = new Recorder();
    watching.getData("/twice", a);
    watching.exists("/twice", a);
    watching.getData("/twice", b);
    set(writer, "/twice");
    assertEquals(Type.NODE_DATA_CHANGED, a.next().type());
    assertEquals(Type.NODE_DATA_CHANGED, b.next().type());
    a.assertQuiet(watching, "/twice");
    b.assertQuiet(watching, "/twice");
  }

  @Test
  void aMultiFiresOncePerChangeInOrder() throws Exception {
    node("/multi");
    watching.sync("/multi");
    Recorder rec = new Recorder();
    watching.addWatch("/multi", rec, AddWatchMode.PERSISTENT_RECURSIVE);
    writer.multi(List.of(
        Op.create("/multi/a", null, CreateMode.PERSISTENT),
        Op.setData("/multi/a", "1".getBytes(), -1),
        Op.delete("/multi/a", -1)));
    long zxid = writer.lastZxid();
    WatchedEvent created = rec.next();
    WatchedEvent changed = rec.next();
    WatchedEvent deleted = rec.next();
    assertEquals(List.of(Type.NODE_CREATED, Type.NODE_DATA_CHANGED, Type.NODE_DELETED),
        List.of(created.type(), changed.type(), deleted.type()));
    for (WatchedEvent e : List.of(created, changed, deleted)) {
      assertEquals("/multi/a", e.path());
      assertEquals(zxid, e.zxid());
    }
    rec.assertQuiet(watching, "/multi");
  }

  @Test
  void removedWatchesTellTheirWatcherAndFireNoMore() throws Exception {
    node("/removed");
    watching.sync("/removed");
    Recorder data = new Recorder();
    Recorder child = new Recorder();
    Recorder persistent = new Recorder();
    watching.getData("/removed", data);
    watching.getChildren("/removed", child);
    watching.addWatch("/removed", persistent, AddWatchMode.PERSISTENT);
    watching.removeWatches("/removed", data, WatcherType.DATA);
    assertEquals(Type.DATA_WATCH_REMOVED, data.next().type());
    watching.removeAllWatches("/removed", WatcherType.ANY);
    assertEquals(Type.CHILD_WATCH_REMOVED, child.next().type());
    assertEquals(Type.PERSISTENT_WATCH_REMOVED, persistent.next().type());
    set(writer, "/removed");
    create(writer, "/removed/c");
    for (Recorder r : List.of(data, child, persistent)) {
      r.assertQuiet(watching, "/removed");
    }
    KeelException none = assertThrows(KeelException.class,
        () -> watching.removeWatches("/removed", data, WatcherType.CHILDREN));
    assertEquals(KeelException.Code.NOWATCHER, none.code());
  }

  @Test
  void anEphemeralOfAClosedSessionFiresItsWatchers() throws Exception {
    node("/eph");
    Recorder rec = new Recorder();
    try (KeelClient owner = KeelClient.connect(cluster.connectString())) {
      owner.create("/eph/e", null, CreateMode.EPHEMERAL);
      watching.sync("/eph");
      assertTrue(watching.exists("/eph/e", rec).isPresent());
    }
    WatchedEvent e = rec.next();
    assertEquals(Type.NODE_DELETED, e.type());
    assertEquals("/eph/e", e.path());
  }

  @Test
  void badWatchRequestsAreRefusedAndLeaveNothing() {
    KeelException bad = assertThrows(KeelException.class,
        () -> watching.addWatch("no-slash", e -> { }, AddWatchMode.PERSISTENT));
    assertEquals(KeelException.Code.BADARGUMENTS, bad.code());
    KeelException nonode = assertThrows(KeelException.class,
        () -> watching.getData("/does-not-exist", e -> { }));
    assertEquals(KeelException.Code.NONODE, nonode.code());
    assertThrows(KeelException.class, () -> watching.getData("/x", (Watcher) null));
    assertFalse(watching.exists("/does-not-exist").isPresent());
  }
}
