package io.keel.watches;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.AddWatchMode;
import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.WatchedEvent;
import io.keel.client.WatcherType;
import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Watches set, used up and removed while writes race them. */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class WatchRacesTest {

  @Test
  void aOneShotWatcherFiresAtMostOnceWhileTheNodeKeepsChanging() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      try (KeelClient writer = KeelClient.connect(cluster.connectString());
           KeelClient client = KeelClient.connect(cluster.connectString())) {
        writer.create("/busy", null, CreateMode.PERSISTENT);
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> writes = CompletableFuture.runAsync(() -> {
          for (int i = 0; !stop.get() && i < 100_000; i++) {
            writer.setData("/busy", ("v" + i).getBytes(), -1);
          }
        });
        List<AtomicInteger> fired = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          AtomicInteger n = new AtomicInteger();
          fired.add(n);
          client.getData("/busy", e -> n.incrementAndGet());
        }
        stop.set(true);
        writes.get(2, TimeUnit.MINUTES);
        // One more change uses up every watch still set; after a sync and a read, all have fired.
        writer.setData("/busy", "last".getBytes(), -1);
        client.sync("/busy");
        client.getData("/busy");
        for (int i = 0; i < fired.size(); i++) {
          assertEquals(1, fired.get(i).get(), "watcher " + i + " fired " + fired.get(i).get() + " times");
        }
      }
    }
  }

  @Test
  void aWatchRemovedAndAddedAgainAtOnceStaysSet() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      try (KeelClient writer = KeelClient.connect(cluster.connectString());
           KeelClient client = KeelClient.connect(cluster.connectString())) {
        for (int i = 0; i < 30; i++) {
          String path = "/again-" + i;
          writer.create(path, null, CreateMode.PERSISTENT);
          client.sync(path);  // else the creation may come after the watch, and be reported
          Recorder first = new Recorder();
          Recorder second = new Recorder();
          client.addWatch(path, first, AddWatchMode.PERSISTENT);
          // The removal and the new registration travel separately: either may arrive first.
          CompletableFuture<Void> removed = client.removeWatchesAsync(path, first, WatcherType.PERSISTENT);
          client.addWatchAsync(path, second, AddWatchMode.PERSISTENT).get(30, TimeUnit.SECONDS);
          removed.get(30, TimeUnit.SECONDS);
          long zxid = writer.setData(path, "x".getBytes(), -1).mzxid();
          WatchedEvent e = second.next();
          assertEquals(WatchedEvent.Type.NODE_DATA_CHANGED, e.type(), path);
          assertEquals(zxid, e.zxid(), path);
        }
      }
    }
  }

  @Test
  void aQuietWatchIsNotToldOfAGapAfterFailover() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).watchHistory(50).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      try (KeelClient writer = KeelClient.connect(cluster.connectString())) {
        writer.create("/quiet", null, CreateMode.PERSISTENT);
        List<Integer> followers = cluster.nodeIds().stream().filter(i -> i != cluster.leaderId()).toList();
        try (KeelClient client = KeelClient.connect(
            cluster.address(followers.get(0)) + "," + cluster.address(followers.get(1)))) {
          Recorder rec = new Recorder();
          client.addWatch("/quiet", rec, AddWatchMode.PERSISTENT);
          for (int i = 0; i < 200; i++) {
            writer.create("/elsewhere-" + i, null, CreateMode.PERSISTENT);
          }
          // A read at the newest state tells the client it has every event up to it.
          client.sync("/quiet");
          client.exists("/quiet");
          cluster.stop(WatchFailoverTest.idOf(cluster, client.attachedServer()));
          long zxid = writer.setData("/quiet", "x".getBytes(), -1).mzxid();
          WatchedEvent e = rec.next();
          assertEquals(WatchedEvent.Type.NODE_DATA_CHANGED, e.type(),
              "the history covers what the client missed; got " + e);
          assertEquals(zxid, e.zxid());
          assertTrue(rec.events.isEmpty());
        }
      }
    }
  }
}
