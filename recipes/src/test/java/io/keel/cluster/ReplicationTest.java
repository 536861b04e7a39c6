package io.keel.cluster;

import static io.keel.cluster.ClusterAsserts.assertReplicasEqual;
import static io.keel.cluster.ClusterAsserts.readAt;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.proto.Code;
import io.keel.proto.Response;
import io.keel.testing.KeelTestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Writes through the client are applied, identically, by every node. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReplicationTest {

  @Test
  void everyNodeServesTheSameDataAfterWrites() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).observers(1).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      try (KeelClient client = KeelClient.connect(cluster.connectString())) {
        client.create("/r", null, CreateMode.PERSISTENT);
        for (int i = 0; i < 50; i++) {
          client.create("/r/n" + i, ("v" + i).getBytes(StandardCharsets.UTF_8), CreateMode.PERSISTENT);
        }
        client.setData("/r/n7", "changed".getBytes(StandardCharsets.UTF_8), 0);
        client.delete("/r/n8", 0);
        long zxid = client.lastZxid();

        assertReplicasEqual(cluster, zxid);
        for (int id : cluster.nodeIds()) {
          Response r = readAt(cluster, id, "/r/n7");
          assertEquals(Code.OK, r.getErr(), "node " + id);
          assertEquals("changed", r.getData().getData().toStringUtf8(), "node " + id);
          assertEquals(1, r.getData().getStat().getVersion(), "node " + id);
          assertEquals(Code.NONODE, readAt(cluster, id, "/r/n8").getErr(), "node " + id);
        }
      }
    }
  }

  @Test
  void aClientConnectedThroughOneNodeReachesTheWholeCluster() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).build()) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(60));
      int follower = cluster.nodeIds().stream().filter(i -> i != leader).findFirst().orElseThrow();
      try (KeelClient client = KeelClient.connect(cluster.address(follower))) {
        client.create("/via-follower", null, CreateMode.PERSISTENT);
        assertReplicasEqual(cluster, client.lastZxid());
      }
    }
  }
}
