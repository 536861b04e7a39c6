package io.keel.watches;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.AddWatchMode;
import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.WatchedEvent;
import io.keel.client.WatchedEvent.Type;
import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Watches across the death of the server a client is attached to: the client restores its watches
 * at the next server and gets every change it missed (from the server's history), or an explicit
 * HISTORY_GAP when the history no longer reaches back; never silence.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class WatchFailoverTest {

  /** The node id whose address is {@code address}. */
  static int idOf(KeelTestCluster cluster, String address) {
    return cluster.nodeIds().stream().filter(i -> cluster.address(i).equals(address))
        .findFirst().orElseThrow();
  }

  @Test
  void changesMadeWhileTheAttachedServerIsDownAreReplayedOnceInOrder() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      try (KeelClient writer = KeelClient.connect(cluster.connectString())) {
        writer.create("/fo", null, CreateMode.PERSISTENT);
        writer.create("/fo/one", null, CreateMode.PERSISTENT);
        // The client reads from one of the two followers, so writes go on while it is down.
        List<Integer> followers = cluster.nodeIds().stream().filter(i -> i != cluster.leaderId()).toList();
        try (KeelClient client = KeelClient.connect(
            cluster.address(followers.get(0)) + "," + cluster.address(followers.get(1)))) {
          Recorder persistent = new Recorder();
          Recorder oneShot = new Recorder();
          client.sync("/fo");
          client.addWatch("/fo", persistent, AddWatchMode.PERSISTENT_RECURSIVE);
          client.getData("/fo/one", oneShot);
          writer.create("/fo/before", null, CreateMode.PERSISTENT);
          List<Long> expected = new ArrayList<>(List.of(writer.lastZxid()));
          assertEquals(expected.get(0), persistent.next().zxid());

          int attached = idOf(cluster, client.attachedServer());
          cluster.stop(attached);
          for (int i = 0; i < 20; i++) {
            expected.add(writer.create("/fo/k-" + i, null, CreateMode.PERSISTENT,
                io.keel.client.CreateOptions.DEFAULT).stat().czxid());
          }
          long oneChanged = writer.setData("/fo/one", "x".getBytes(), -1).mzxid();
          expected.add(oneChanged);

          WatchedEvent e = oneShot.next();
          assertEquals(Type.NODE_DATA_CHANGED, e.type(), "the one-shot watch fired after failover");
          assertEquals("/fo/one", e.path());
          List<Long> got = new ArrayList<>(List.of(expected.get(0)));
          for (int i = 1; i < expected.size(); i++) {
            WatchedEvent p = persistent.next();
            assertTrue(p.type() != Type.HISTORY_GAP, "the history reaches back; got " + p);
            got.add(p.zxid());
          }
          assertEquals(expected, got, "every missed change, once, in order");
          persistent.assertQuiet(client, "/fo");
          oneShot.assertQuiet(client, "/fo");
          assertTrue(!client.attachedServer().equals(cluster.address(attached)));
        }
      }
    }
  }

  @Test
  void aHistoryThatNoLongerReachesBackIsSaidExplicitly() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).watchHistory(5).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      try (KeelClient writer = KeelClient.connect(cluster.connectString())) {
        writer.create("/gap", null, CreateMode.PERSISTENT);
        writer.create("/gap/one", null, CreateMode.PERSISTENT);
        writer.create("/gap/untouched", null, CreateMode.PERSISTENT);
        int attached = cluster.nodeIds().stream().filter(i -> i != cluster.leaderId()).findFirst()
            .orElseThrow();
        try (KeelClient client = KeelClient.connect(cluster.address(attached))) {
          Recorder persistent = new Recorder();
          Recorder oneShot = new Recorder();
          Recorder untouched = new Recorder();
          client.sync("/gap");
          client.addWatch("/gap", persistent, AddWatchMode.PERSISTENT_RECURSIVE);
          client.getData("/gap/one", oneShot);
          client.getData("/gap/untouched", untouched);
          cluster.stop(attached);
          long changed = writer.setData("/gap/one", "x".getBytes(), -1).mzxid();
          for (int i = 0; i < 20; i++) {
            writer.create("/gap/k-" + i, null, CreateMode.PERSISTENT);
          }
          // The client's own write: its server must catch up past it before restoring its
          // watches, by which time the 5-change history has moved past what the client saw.
          client.setData("/gap", "mine".getBytes(), -1);
          cluster.start(attached);

          // The one-shot's event also reaches the recursive watcher above it; then the gap.
          WatchedEvent gap = persistent.next();
          for (int i = 0; i < 3 && gap.type() != Type.HISTORY_GAP; i++) {
            gap = persistent.next();
          }
          assertEquals(Type.HISTORY_GAP, gap.type());
          assertEquals("/gap", gap.path());
          // One-shot watches are judged by the node's own stamps: changed fires, untouched not.
          WatchedEvent e = oneShot.next();
          assertEquals(Type.NODE_DATA_CHANGED, e.type());
          assertEquals(changed, e.zxid());
          untouched.assertQuiet(client, "/gap");
          // The persistent watch is still there for what comes next.
          long next = writer.setData("/gap/one", "y".getBytes(), -1).mzxid();
          WatchedEvent after = persistent.next();
          while (after.type() == Type.HISTORY_GAP) {
            after = persistent.next();
          }
          assertEquals(next, after.zxid());
        }
      }
    }
  }

  @Test
  void aRecursiveWatchSeesEveryChangeInOrderUnderConcurrentWriters() throws Exception {
    int writers = 4;
    int perWriter = 40;
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).observers(1).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      try (KeelClient client = KeelClient.connect(cluster.connectString())) {
        client.create("/conc", null, CreateMode.PERSISTENT);
        Recorder rec = new Recorder();
        client.addWatch("/conc", rec, AddWatchMode.PERSISTENT_RECURSIVE);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
          String dir = "/conc/w" + w;
          threads.add(new Thread(() -> {
            try (KeelClient c = KeelClient.connect(cluster.connectString())) {
              c.create(dir, null, CreateMode.PERSISTENT);
              for (int i = 0; i < perWriter; i++) {
                c.setData(dir, ("" + i).getBytes(), -1);
              }
            } catch (Throwable t) {
              synchronized (failures) {
                failures.add(t);
              }
            }
          }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
          t.join(TimeUnit.MINUTES.toMillis(2));
        }
        assertTrue(failures.isEmpty(), "writers failed: " + failures);
        long lastZxid = 0;
        Set<Long> zxids = new HashSet<>();
        int[] perDir = new int[writers];
        for (int n = 0; n < writers * (perWriter + 1); n++) {
          WatchedEvent e = rec.next();
          assertTrue(e.zxid() > lastZxid, "events in zxid order, each once: " + e);
          lastZxid = e.zxid();
          assertTrue(zxids.add(e.zxid()));
          int w = Integer.parseInt(e.path().substring("/conc/w".length()));
          assertEquals(perDir[w] == 0 ? Type.NODE_CREATED : Type.NODE_DATA_CHANGED, e.type());
          perDir[w]++;
        }
        rec.assertQuiet(client, "/conc");
      }
    }
  }

  @Test
  void anObserverServesWatches() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).observers(1).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      int observer = 4;
      try (KeelClient writer = KeelClient.connect(cluster.address(1));
           KeelClient client = KeelClient.connect(cluster.address(observer))) {
        assertEquals(cluster.address(observer), client.attachedServer());
        Recorder rec = new Recorder();
        assertTrue(client.exists("/obs", rec).isEmpty());
        long created = writer.create("/obs", null, CreateMode.PERSISTENT,
            io.keel.client.CreateOptions.DEFAULT).stat().czxid();
        WatchedEvent e = rec.next();
        assertEquals(Type.NODE_CREATED, e.type());
        assertEquals(created, e.zxid());
        assertEquals(cluster.address(observer), client.attachedServer());
      }
    }
  }
}
