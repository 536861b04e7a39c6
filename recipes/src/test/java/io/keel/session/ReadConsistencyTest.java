package io.keel.session;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.NodeData;
import io.keel.client.ReadConsistency;
import io.keel.testing.KeelTestCluster;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Reads at the client's own server: never back in time, always the client's own writes. */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ReadConsistencyTest {
  static final int OBSERVER = 4;

  static byte[] n(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  static long n(byte[] b) {
    return ByteBuffer.wrap(b).getLong();
  }

  @Test
  void readYourWritesAndMonotonicReadsWhileMovingBetweenServersIncludingALaggingObserver()
      throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).observers(1).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      try (KeelClient writer = KeelClient.connect(cluster.connectString())) {
        writer.create("/counter", n(0), CreateMode.PERSISTENT);
        // The observer misses a stretch of the log and must catch up while we read from it.
        cluster.stop(OBSERVER);
        for (int i = 1; i <= 300; i++) {
          writer.setData("/counter", n(i), -1);
        }
      }
      cluster.start(OBSERVER);
      // Attached to the observer: the connect string names only it.
      try (KeelClient client = KeelClient.connect(cluster.address(OBSERVER))) {
        assertEquals(cluster.address(OBSERVER), client.attachedServer());
        long seen = n(client.getData("/counter").data());
        assertTrue(seen >= 0);
        for (int i = 301; i <= 400; i++) {
          client.setData("/counter", n(i), -1);
          NodeData d = client.getData("/counter");
          assertEquals(i, n(d.data()), "the observer served a read older than the client's write");
        }
      }
      // A client spread over every member, whose server dies under it: reads never go back.
      try (KeelClient client = KeelClient.connect(cluster.connectString())) {
        long last = -1;
        long lastZxid = -1;
        for (int round = 0; round < 3; round++) {
          for (int i = 0; i < 20; i++) {
            client.setData("/counter", n(1000 + round * 100 + i), -1);
            NodeData d = client.getData("/counter");
            assertTrue(n(d.data()) >= last && d.stat().mzxid() >= lastZxid, "a read went back in time");
            last = n(d.data());
            lastZxid = d.stat().mzxid();
          }
          String attached = client.attachedServer();
          int id = cluster.nodeIds().stream().filter(i -> cluster.address(i).equals(attached))
              .findFirst().orElseThrow();
          if (id == cluster.leaderId()) {
            continue;   // keep the leader: writes need a quorum and this loop kills a member each round
          }
          cluster.stop(id);
          NodeData d = client.getData("/counter");
          assertTrue(n(d.data()) >= last, "after moving servers a read went back in time");
          assertTrue(!client.attachedServer().equals(attached), "reads did not move off the dead server");
          cluster.start(id);
        }
      }
    }
  }

  @Test
  void anObserverServesReadsEvenWithoutALeader() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).observers(1).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      long zxid;
      try (KeelClient writer = KeelClient.connect(cluster.connectString())) {
        writer.create("/seen-by-observer", "yes".getBytes(), CreateMode.PERSISTENT);
        zxid = writer.lastZxid();
      }
      cluster.awaitApplied(zxid, Duration.ofSeconds(60));
      try (KeelClient reader = KeelClient.connect(cluster.address(OBSERVER))) {
        // The observer must know the reader's own session entry is committed before the voters go.
        cluster.awaitApplied(reader.lastZxid(), Duration.ofSeconds(60));
        for (int id = 1; id <= 3; id++) {
          cluster.stop(id);
        }
        // No voter is up, so only the observer can have answered.
        assertArrayEquals("yes".getBytes(), reader.getData("/seen-by-observer").data());
      }
    }
  }

  @Test
  void syncThenReadSeesAnotherClientsWrite() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).observers(1).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      try (KeelClient writer = KeelClient.connect(cluster.connectString());
           KeelClient reader = KeelClient.connect(cluster.address(OBSERVER));
           KeelClient linear = KeelClient.builder(cluster.address(OBSERVER))
               .readConsistency(ReadConsistency.LINEARIZABLE).build()) {
        for (int i = 0; i < 50; i++) {
          writer.create("/s" + i, null, CreateMode.PERSISTENT);
          reader.sync("/s" + i);
          assertTrue(reader.exists("/s" + i).isPresent(), "sync did not bring the observer up to date");
          assertTrue(linear.exists("/s" + i).isPresent(), "a linearizable read missed a committed write");
        }
      }
    }
  }
}
