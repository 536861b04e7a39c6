package io.keel.recipes.config;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.AddWatchMode;
import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Stat;
import io.keel.client.WatchedEvent;
import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * SharedValue and ConfigTree against a real cluster: every subscriber converges on the last value
 * of a burst, exactly one compare-and-set wins per version, trees follow nodes that come, change
 * and go, and a subscriber whose server stops catches up (through a HISTORY_GAP re-read: the
 * cluster keeps a short change history).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SharedValueTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static KeelTestCluster cluster;
  static final List<KeelClient> clients = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).watchHistory(16).build();
    cluster.awaitLeader(WAIT);
    for (int i = 0; i < 4; i++) {
      clients.add(connect());
    }
  }

  @AfterAll
  static void stop() {
    clients.forEach(KeelClient::close);
    if (cluster != null) {
      cluster.close();
    }
  }

  static KeelClient connect() {
    return KeelClient.builder(cluster.connectString()).sessionTimeout(Duration.ofSeconds(4)).build();
  }

  static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  @Test
  void everySubscriberConvergesOnTheLastValueOfABurst() throws Exception {
    String path = "/burst/value";
    KeelClient writer = clients.get(0);
    writer.create("/burst", null, CreateMode.PERSISTENT);
    writer.create(path, bytes("start"), CreateMode.PERSISTENT);
    List<SharedValue> subscribers = new ArrayList<>();
    List<List<Versioned>> seen = new ArrayList<>();
    try {
      for (KeelClient c : clients) {
        SharedValue v = new SharedValue(c, path).start();
        List<Versioned> mine = new CopyOnWriteArrayList<>();
        v.addListener(mine::add);
        subscribers.add(v);
        seen.add(mine);
      }
      List<CompletableFuture<Stat>> writes = new ArrayList<>();
      for (int i = 1; i <= 300; i++) {
        writes.add(writer.setDataAsync(path, bytes("v" + i), KeelClient.ANY_VERSION));
      }
      CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

      for (int i = 0; i < subscribers.size(); i++) {
        SharedValue v = subscribers.get(i);
        List<Versioned> mine = seen.get(i);
        await().atMost(WAIT).until(() -> v.get().version() == 300);
        assertEquals("v300", v.get().text());
        await().atMost(WAIT).until(() -> !mine.isEmpty() && mine.get(mine.size() - 1).version() == 300);
        assertEquals("v300", mine.get(mine.size() - 1).text(), "the last value a listener got");
        for (int k = 1; k < mine.size(); k++) {
          assertTrue(mine.get(k - 1).stat().mzxid() < mine.get(k).stat().mzxid(),
              "listener values out of zxid order: " + mine);
        }
      }
    } finally {
      subscribers.forEach(SharedValue::close);
    }
  }

  @Test
  void concurrentCompareAndSetHasExactlyOneWinnerPerVersion() throws Exception {
    String path = "/cas/value";
    int target = 60;
    Map<Integer, List<Integer>> wins = new ConcurrentHashMap<>();
    AtomicInteger losses = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(clients.size());
    List<SharedValue> values = new ArrayList<>();
    try {
      for (KeelClient c : clients) {
        values.add(new SharedValue(c, path).start());
      }
      List<Future<?>> done = new ArrayList<>();
      for (int id = 0; id < values.size(); id++) {
        int me = id;
        SharedValue v = values.get(id);
        done.add(pool.submit(() -> {
          while (true) {
            Versioned now = v.get();
            if (now.version() >= target - 1) {
              return null;
            }
            // Every client starts at NO_NODE: exactly one of them creates the node.
            Optional<Stat> won = v.trySet(now.version(), bytes(me + "@" + now.version()));
            if (won.isPresent()) {
              wins.computeIfAbsent(now.version(), k -> new CopyOnWriteArrayList<>()).add(me);
              assertEquals(now.version() + 1, won.get().version());
            } else {
              losses.incrementAndGet();
            }
          }
        }));
      }
      for (Future<?> f : done) {
        f.get(120, TimeUnit.SECONDS);
      }
      // Versions NO_NODE (the create), 0, 1, ... each had exactly one winner, and no other won.
      assertEquals(target, wins.size(), "versions with a winner: " + new TreeMap<>(wins));
      for (int version = Versioned.NO_NODE; version < target - 1; version++) {
        assertEquals(1, wins.getOrDefault(version, List.of()).size(),
            "winners of version " + version + ": " + wins.get(version));
      }
      int lastWinner = wins.get(target - 2).get(0);
      for (SharedValue v : values) {
        await().atMost(WAIT).until(() -> v.get().version() == target - 1);
        assertEquals(lastWinner + "@" + (target - 2), v.get().text());
      }
      System.out.println("CAS: " + target + " wins, " + losses.get() + " lost races");
    } finally {
      pool.shutdownNow();
      values.forEach(SharedValue::close);
    }
  }

  @Test
  void aDeletedNodeReadsAbsentAndEveryoneSeesItComeBack() throws Exception {
    String path = "/absent/value";
    try (SharedValue a = new SharedValue(clients.get(0), path).start();
         SharedValue b = new SharedValue(clients.get(1), path).start()) {
      assertEquals(Versioned.ABSENT, a.get());
      assertFalse(a.trySet(3, bytes("x")).isPresent(), "no node: no version matches");
      Stat made = a.set(bytes("one"));
      assertEquals(0, made.version());
      assertEquals("one", a.get().text(), "get() shows our own write once set returns");
      await().atMost(WAIT).until(() -> "one".equals(b.get().text()));
      assertFalse(b.trySet(Versioned.NO_NODE, bytes("two")).isPresent(), "it exists already");

      clients.get(2).delete(path, KeelClient.ANY_VERSION);
      await().atMost(WAIT).until(() -> !a.get().exists() && !b.get().exists());
      assertTrue(b.trySet(Versioned.NO_NODE, bytes("again")).isPresent());
      await().atMost(WAIT).until(() -> "again".equals(a.get().text()));
      assertThrows(KeelException.BadArgumentsException.class, () -> a.trySet(-2, bytes("x")));
    }
  }

  @Test
  void closeRemovesTheWatchAndTheListeners() throws Exception {
    KeelClient c = clients.get(0);
    AtomicInteger closedOnes = new AtomicInteger();
    List<Versioned> open = new CopyOnWriteArrayList<>();
    try (SharedValue other = new SharedValue(c, "/closing/b").start()) {
      other.addListener(open::add);
      SharedValue closing = new SharedValue(c, "/closing/a").start();
      closing.addListener(v -> closedOnes.incrementAndGet());
      closing.set(bytes("1"));
      await().atMost(WAIT).until(() -> closedOnes.get() >= 1);
      int before = closedOnes.get();
      closing.close();
      closing.close();  // idempotent

      clients.get(1).setData("/closing/a", bytes("2"), KeelClient.ANY_VERSION);
      clients.get(1).create("/closing/b", bytes("after"), CreateMode.PERSISTENT);
      // Events reach one client in zxid order: once the later change is seen, so was the first.
      await().atMost(WAIT).until(() -> !open.isEmpty());
      assertEquals(before, closedOnes.get(), "a closed value's listener was called");
    }
  }

  @Test
  void aTreeFollowsNodesThatComeChangeAndGo() throws Exception {
    String root = "/tree";
    KeelClient writer = clients.get(0);
    writer.create(root, bytes("root"), CreateMode.PERSISTENT);
    writer.create(root + "/before", bytes("b"), CreateMode.PERSISTENT);
    try (ConfigTree t1 = new ConfigTree(clients.get(1), root).start();
         ConfigTree t2 = new ConfigTree(clients.get(2), root).start()) {
      assertEquals(List.of(root, root + "/before"), List.copyOf(t1.snapshot().keySet()));
      List<Map<String, Versioned>> told = new CopyOnWriteArrayList<>();
      t2.addListener(told::add);

      writer.create(root + "/a", bytes("1"), CreateMode.PERSISTENT);
      writer.create(root + "/a/b", bytes("2"), CreateMode.PERSISTENT);
      writer.create(root + "/a/b/c", bytes("3"), CreateMode.PERSISTENT);
      writer.setData(root + "/a/b", bytes("22"), KeelClient.ANY_VERSION);
      writer.delete(root + "/before", KeelClient.ANY_VERSION);
      Map<String, String> expected = new TreeMap<>(Map.of(
          root, "root", root + "/a", "1", root + "/a/b", "22", root + "/a/b/c", "3"));
      for (ConfigTree t : List.of(t1, t2)) {
        await().atMost(WAIT).until(() -> texts(t).equals(expected));
      }
      await().atMost(WAIT).until(() -> !told.isEmpty() && texts(told.get(told.size() - 1)).equals(expected));

      // Our own compare-and-set is visible at once; a stale one loses.
      Versioned b = t1.get(root + "/a/b");
      assertTrue(t1.trySet(root + "/a/b", b.version(), bytes("mine")).isPresent());
      assertEquals("mine", t1.get(root + "/a/b").text());
      assertFalse(t1.trySet(root + "/a/b", b.version(), bytes("stale")).isPresent());
      assertThrows(KeelException.BadArgumentsException.class, () -> t1.get("/elsewhere"));

      writer.delete(root + "/a/b/c", KeelClient.ANY_VERSION);
      writer.delete(root + "/a/b", KeelClient.ANY_VERSION);
      await().atMost(WAIT).until(() -> texts(t2).equals(Map.of(root, "root", root + "/a", "1")));
    }
  }

  @Test
  void aSubscriberWhoseServerStopsCatchesUpThroughAHistoryGap() throws Exception {
    String path = "/failover/value";
    KeelClient writer = clients.get(0);
    writer.create("/failover", null, CreateMode.PERSISTENT);
    writer.create(path, bytes("w0"), CreateMode.PERSISTENT);
    int attached = cluster.nodeIds().stream().filter(id -> id != cluster.leaderId()).findFirst()
        .orElseThrow();
    // Connected to that one server only, so it must wait for the same server to come back.
    try (KeelClient watcher = KeelClient.builder(cluster.address(attached))
             .sessionTimeout(Duration.ofSeconds(30)).build();
         SharedValue v = new SharedValue(watcher, path).start()) {
      List<WatchedEvent> raw = new CopyOnWriteArrayList<>();
      watcher.addWatch(path, raw::add, AddWatchMode.PERSISTENT);
      cluster.stop(attached);
      try {
        // More changes than the servers' 16-change history holds.
        for (int i = 1; i <= 40; i++) {
          writer.setData(path, bytes("w" + i), KeelClient.ANY_VERSION);
        }
        // The watcher's own write: its server must catch up past it before restoring the watch.
        watcher.create("/failover/mine", null, CreateMode.PERSISTENT);
      } finally {
        cluster.start(attached);
      }
      await().atMost(WAIT).until(() -> "w40".equals(v.get().text()));
      await().atMost(WAIT).until(() -> raw.stream().anyMatch(e -> e.type() == WatchedEvent.Type.HISTORY_GAP));
    }
  }

  static Map<String, String> texts(ConfigTree t) {
    return texts(t.snapshot());
  }

  static Map<String, String> texts(Map<String, Versioned> tree) {
    Map<String, String> out = new TreeMap<>();
    tree.forEach((k, v) -> out.put(k, v.text()));
    return out;
  }
}
