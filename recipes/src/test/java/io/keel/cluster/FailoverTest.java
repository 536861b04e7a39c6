package io.keel.cluster;

import static io.keel.cluster.ClusterAsserts.assertReplicasEqual;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The leader dies under load: writes go on after the election and nothing acknowledged is lost. */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class FailoverTest {

  @Test
  void writesContinueAfterTheLeaderIsKilledMidLoad() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).build()) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(60));
      Set<String> acknowledged = ConcurrentHashMap.newKeySet();
      AtomicInteger failures = new AtomicInteger();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger afterKill = new AtomicInteger();
      AtomicBoolean killed = new AtomicBoolean();
      ExecutorService writers = Executors.newFixedThreadPool(3);
      try (KeelClient client = KeelClient.builder(cluster.connectString())
          .requestTimeout(Duration.ofSeconds(30)).build()) {
        client.create("/load", null, CreateMode.PERSISTENT);
        List<Future<?>> running = new java.util.ArrayList<>();
        for (int w = 0; w < 3; w++) {
          int writer = w;
          running.add(writers.submit(() -> {
            // Bounded: each writer stops after 2,000 writes even if the test misbehaves.
            for (int i = 0; i < 2000 && !stop.get(); i++) {
              String path = "/load/w" + writer + "-" + i;
              try {
                client.create(path, null, CreateMode.PERSISTENT);
                acknowledged.add(path);
                if (killed.get()) {
                  afterKill.incrementAndGet();
                }
              } catch (KeelException e) {
                // Outcome unknown (connection loss during the election): not acknowledged.
                failures.incrementAndGet();
              }
            }
          }));
        }
        await("writes before the kill").atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= 100);
        cluster.stop(leader);
        killed.set(true);
        int newLeader = cluster.awaitNewLeader(leader, Duration.ofSeconds(60));
        await("writes after the election").atMost(Duration.ofSeconds(90)).until(() -> afterKill.get() >= 100);
        stop.set(true);
        for (Future<?> f : running) {
          f.get(2, TimeUnit.MINUTES);
        }
        assertTrue(newLeader != leader);

        // Every acknowledged write is there, on every surviving node.
        List<String> children = client.getChildren("/load");
        assertTrue(children.size() >= acknowledged.size());
        for (String p : acknowledged) {
          assertTrue(children.contains(p.substring("/load/".length())), "lost acknowledged " + p);
        }
        assertReplicasEqual(cluster, client.lastZxid());

        // The old leader comes back and catches up.
        cluster.start(leader);
        assertReplicasEqual(cluster, client.lastZxid());
        assertEquals(children.size(), client.getChildren("/load").size());
      } finally {
        stop.set(true);
        writers.shutdownNow();
        writers.awaitTermination(1, TimeUnit.MINUTES);
      }
    }
  }

}
