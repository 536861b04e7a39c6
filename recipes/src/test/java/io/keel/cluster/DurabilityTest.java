package io.keel.cluster;

import static io.keel.cluster.ClusterAsserts.assertReplicasEqual;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.NodeData;
import io.keel.testing.KeelTestCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every acknowledged write survives stopping and restarting every node, with and without snapshots. */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DurabilityTest {

  @Test
  void acknowledgedWritesSurviveAFullRestartFromTheLog() throws Exception {
    // No snapshot at all, not even on stop: the restart replays the whole log.
    runRestart(KeelTestCluster.builder().voters(3).snapshotOnStop(false), false);
  }

  @Test
  void acknowledgedWritesSurviveAFullRestartFromSnapshotsAndLog() throws Exception {
    // A snapshot every 40 entries: the restart loads a snapshot and replays the log after it.
    runRestart(KeelTestCluster.builder().voters(3).snapCount(40), true);
  }

  private void runRestart(KeelTestCluster.Builder builder, boolean expectSnapshots) throws Exception {
    Map<String, byte[]> written = new LinkedHashMap<>();
    long lastZxid;
    try (KeelTestCluster cluster = builder.build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      try (KeelClient client = KeelClient.connect(cluster.connectString())) {
        client.create("/d", null, CreateMode.PERSISTENT);
        for (int i = 0; i < 150; i++) {
          byte[] data = ("value-" + i).getBytes(StandardCharsets.UTF_8);
          written.put(client.create("/d/n-", data, CreateMode.PERSISTENT_SEQUENTIAL), data);
        }
        client.setData("/d", "parent".getBytes(StandardCharsets.UTF_8), 0);
        lastZxid = client.lastZxid();
        cluster.awaitApplied(lastZxid, Duration.ofSeconds(60));
      }
      Path dir = cluster.dataDir(1).getParent();
      cluster.stopAll();
      try (Stream<Path> files = Files.walk(dir)) {
        assertEquals(expectSnapshots,
            files.anyMatch(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+")),
            "snapshot files under " + dir);
      }

      cluster.startAll();
      cluster.awaitLeader(Duration.ofSeconds(60));
      try (KeelClient client = KeelClient.connect(cluster.connectString())) {
        assertEquals(written.size(), client.getChildren("/d").size());
        for (Map.Entry<String, byte[]> e : written.entrySet()) {
          NodeData d = client.getData(e.getKey());
          assertArrayEquals(e.getValue(), d.data(), e.getKey());
        }
        assertEquals(1, client.getData("/d").stat().version());
        // Sequential numbering continues where it stopped.
        assertEquals("/d/n-" + String.format("%010d", 150),
            client.create("/d/n-", null, CreateMode.PERSISTENT_SEQUENTIAL));
        assertTrue(client.lastZxid() > lastZxid, "zxids keep growing across the restart");
        assertReplicasEqual(cluster, client.lastZxid());
      }
      for (int id : cluster.nodeIds()) {
        assertTrue(cluster.server(id).stateMachine().refusedSnapshots().isEmpty());
      }
    }
  }
}
