package io.keel.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * ZooKeeper clients writing through the fronts while the leader is stopped: writes go on after the
 * election, and forwarding is at most once (no write applied twice, every acknowledged one there).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@SuppressWarnings("try")  // ZooKeeper.close() declares InterruptedException
class FrontFailoverTest {

  @Test
  void writesGoOnAfterTheLeaderStopsAndNoneIsAppliedTwice() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).build()) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(60));
      int follower = leader % 3 + 1;
      List<String> acknowledged = new ArrayList<>();
      int unknown = 0;
      // Two clients: one on a follower (its front forwards), one on the leader (its front dies).
      try (ZooKeeper viaFollower = ZooKeeperClientTest.connect(cluster.clientAddress(follower), null);
           ZooKeeper anywhere = ZooKeeperClientTest.connect(cluster.clientConnectString(), null)) {
        viaFollower.create("/fo", null, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        long stopAt = 60;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        int afterStop = 0;
        for (int i = 0; afterStop < 40; i++) {
          assertTrue(System.nanoTime() < deadline, "writes did not resume after the leader stopped");
          if (i == stopAt) {
            cluster.stop(leader);
          }
          ZooKeeper zk = i % 2 == 0 ? viaFollower : anywhere;
          try {
            acknowledged.add(zk.create("/fo/n-", null, ZooDefs.Ids.OPEN_ACL_UNSAFE,
                CreateMode.PERSISTENT_SEQUENTIAL));
            if (i > stopAt) {
              afterStop++;
            }
          } catch (KeeperException.ConnectionLossException e) {
            unknown++;  // the client reconnects on its own; the next create goes on
          }
        }
        viaFollower.sync("/fo", (rc, path, ctx) -> { }, null);
        List<String> children = viaFollower.getChildren("/fo", false);
        for (String path : acknowledged) {
          assertTrue(children.contains(path.substring("/fo/".length())), path + " was acknowledged");
        }
        assertTrue(children.size() >= acknowledged.size()
                && children.size() <= acknowledged.size() + unknown,
            children.size() + " nodes for " + acknowledged.size() + " acknowledged and " + unknown
                + " unknown creates: a forwarded write was applied twice");
        assertEquals(acknowledged.size(), acknowledged.stream().distinct().count());
      } finally {
        cluster.start(leader);
      }
    }
  }
}
