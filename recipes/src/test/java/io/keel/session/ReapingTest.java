package io.keel.session;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.CreateMode;
import io.keel.client.CreateOptions;
import io.keel.client.KeelClient;
import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Containers and TTL nodes are deleted by the leader through the log, as ZooKeeper does. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReapingTest {

  @Test
  void emptiedContainersAndExpiredTtlNodesAreReaped() throws Exception {
    // The test cluster checks every second (containerCheckIntervalMs=1000).
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      try (KeelClient client = KeelClient.connect(cluster.connectString())) {
        client.create("/locks", null, CreateMode.CONTAINER);
        client.create("/locks/a", null, CreateMode.PERSISTENT);
        client.create("/unused", null, CreateMode.CONTAINER);
        client.create("/ttl", null, CreateMode.PERSISTENT_WITH_TTL, CreateOptions.ttl(Duration.ofMillis(500)));
        client.create("/ttl-parent", null, CreateMode.PERSISTENT_WITH_TTL,
            CreateOptions.ttl(Duration.ofMillis(500)));
        client.create("/ttl-parent/child", null, CreateMode.PERSISTENT);

        await().atMost(Duration.ofSeconds(30)).until(() -> client.exists("/ttl").isEmpty());
        client.delete("/locks/a", -1);
        await().atMost(Duration.ofSeconds(30)).until(() -> client.exists("/locks").isEmpty());

        // Two more check intervals: what must stay, stays.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        await().atMost(Duration.ofSeconds(10)).until(() -> System.nanoTime() > until);
        assertTrue(client.exists("/unused").isPresent(), "a never-used container is kept");
        assertTrue(client.exists("/ttl-parent").isPresent(), "a TTL node with children is kept");
      }
    }
  }
}
