package io.keel.cluster;

import static io.keel.cluster.ClusterAsserts.assertReplicasEqual;
import static io.keel.cluster.ClusterAsserts.readAt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.proto.Code;
import io.keel.testing.KeelTestCluster;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Snapshots: a lagging follower is brought up to date by the leader's, a corrupt one is refused. */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SnapshotTest {

  private static KeelTestCluster smallSnapshots() throws IOException {
    // A snapshot every 30 entries; 80 KiB segments hold a few hundred entries, so closed segments
    // before a snapshot are purged while the test runs.
    return KeelTestCluster.builder().voters(3).snapCount(30).snapRetainCount(2)
        .maxDataBytes(1024).logSegmentSizeBytes(80 * 1024).build();
  }

  private static void writeMany(KeelClient client, String parent, int n) {
    client.create(parent, null, CreateMode.PERSISTENT);
    for (int i = 0; i < n; i++) {
      client.create(parent + "/n" + i, ("v" + i).getBytes(), CreateMode.PERSISTENT);
    }
  }

  @Test
  void aFollowerThatMissedPurgedEntriesCatchesUpFromTheLeadersSnapshot() throws Exception {
    try (KeelTestCluster cluster = smallSnapshots()) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(60));
      int lagging = cluster.nodeIds().stream().filter(i -> i != leader).findFirst().orElseThrow();
      cluster.stop(lagging);
      try (KeelClient client = KeelClient.connect(cluster.connectString())) {
        writeMany(client, "/snap", 1500);
        cluster.start(lagging);
        assertReplicasEqual(cluster, client.lastZxid());
      }
      assertTrue(cluster.server(lagging).stateMachine().snapshotsInstalled() >= 1,
          "node " + lagging + " should have needed the leader's snapshot");
      assertEquals("v1499", readAt(cluster, lagging, "/snap/n1499").getData().getData().toStringUtf8());
      // Retention is bounded: snapRetainCount (2) snapshots at most, on every node.
      for (int id : cluster.nodeIds()) {
        List<Path> kept = snapshots(cluster.dataDir(id));
        assertTrue(kept.size() <= 2, "node " + id + " keeps " + kept);
      }
    }
  }

  @Test
  void aNodeWhoseSnapshotsAreAllCorruptRefusesToStartUntilOneIsRestored() throws Exception {
    try (KeelTestCluster cluster = smallSnapshots()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      long zxid;
      try (KeelClient client = KeelClient.connect(cluster.connectString())) {
        writeMany(client, "/c", 1500);
        zxid = client.lastZxid();
      }
      cluster.awaitApplied(zxid, Duration.ofSeconds(60));
      int victim = cluster.nodeIds().stream().filter(i -> i != cluster.leaderId()).findFirst().orElseThrow();
      cluster.stop(victim);
      Path newest = newestSnapshot(cluster.dataDir(victim));
      Path backup = Files.createTempDirectory("keel-backup-");
      Files.copy(newest, backup.resolve(newest.getFileName()));
      for (Path snapshot : snapshots(cluster.dataDir(victim))) {
        flipByteInTheMiddle(snapshot);
      }

      // Every snapshot is bad and the log before them is purged: no older state can stand in.
      Exception refused = assertThrows(Exception.class, () -> cluster.start(victim));
      String why = messages(refused);
      assertTrue(why.contains("checksum mismatch"), why);
      assertTrue(why.contains(newest.getFileName().toString()), why);
      assertTrue(why.contains("cannot recover"), why);
      assertFalse(cluster.isRunning(victim));

      // The others serve on; the operator restores the backup and the node catches up.
      try (KeelClient client = KeelClient.connect(cluster.address(cluster.leaderId()))) {
        client.create("/c/while-down", null, CreateMode.PERSISTENT);
        zxid = client.lastZxid();
      }
      Files.copy(backup.resolve(newest.getFileName()), newest);
      deleteTree(backup);
      cluster.start(victim);
      assertReplicasEqual(cluster, zxid);
      assertEquals(Code.OK, readAt(cluster, victim, "/c/while-down").getErr());
    }
  }

  @Test
  void aCorruptSnapshotIsRefusedAndAnOlderOneWithTheLogStandsIn() throws Exception {
    // Large snapCount: the only snapshot is the one taken on demand, and the log is complete.
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      long zxid;
      try (KeelClient client = KeelClient.connect(cluster.connectString())) {
        writeMany(client, "/o", 40);
        zxid = client.lastZxid();
      }
      cluster.awaitApplied(zxid, Duration.ofSeconds(60));
      int victim = cluster.nodeIds().stream().filter(i -> i != cluster.leaderId()).findFirst().orElseThrow();
      cluster.server(victim).takeSnapshot(Duration.ofSeconds(30));
      cluster.stop(victim);
      Path snapshot = newestSnapshot(cluster.dataDir(victim));
      flipByteInTheMiddle(snapshot);

      cluster.start(victim);
      List<String> refusals = cluster.server(victim).stateMachine().refusedSnapshots();
      assertEquals(1, refusals.size(), refusals.toString());
      assertTrue(refusals.get(0).contains("checksum mismatch"), refusals.get(0));
      assertTrue(Files.exists(snapshot.resolveSibling(snapshot.getFileName() + ".corrupt")));
      // Rebuilt from the whole log instead: same data as everyone else.
      assertReplicasEqual(cluster, zxid);
      assertEquals("v39", readAt(cluster, victim, "/o/n39").getData().getData().toStringUtf8());
    }
  }

  static List<Path> snapshots(Path dataDir) throws IOException {
    try (Stream<Path> files = Files.walk(dataDir)) {
      return files.filter(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+")).toList();
    }
  }

  static Path newestSnapshot(Path dataDir) throws IOException {
    try (Stream<Path> files = Files.walk(dataDir)) {
      return files.filter(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+"))
          .max(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().replaceAll(".*_", ""))))
          .orElseThrow(() -> new AssertionError("no snapshot under " + dataDir));
    }
  }

  static void flipByteInTheMiddle(Path file) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      long at = raf.length() / 2;
      raf.seek(at);
      int b = raf.read();
      raf.seek(at);
      raf.write(b ^ 0xFF);
    }
  }

  static String messages(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable e = t; e != null; e = e.getCause() == e ? null : e.getCause()) {
      sb.append(e).append(" | ");
    }
    return sb.toString();
  }

  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
