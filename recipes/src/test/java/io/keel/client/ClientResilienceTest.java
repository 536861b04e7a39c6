package io.keel.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The client keeps its promises under pipelining, reentrant callbacks and a full outage. */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ClientResilienceTest {

  @Test
  void pipelinedReadsSeeTheClientsEarlierWrites() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      try (KeelClient client = KeelClient.connect(cluster.connectString())) {
        client.create("/fifo", null, CreateMode.PERSISTENT);
        List<CompletableFuture<NodeData>> reads = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
          client.createAsync("/fifo/n" + i, new byte[] {(byte) i}, CreateMode.PERSISTENT);
          reads.add(client.getDataAsync("/fifo/n" + i));
        }
        for (int i = 0; i < reads.size(); i++) {
          assertArrayEquals(new byte[] {(byte) i}, reads.get(i).get(30, TimeUnit.SECONDS).data());
        }
      }
    }
  }

  @Test
  void aCallbackMayCallTheClientAgainBlocking() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      try (KeelClient client = KeelClient.connect(cluster.connectString())) {
        String created = client.createAsync("/outer", null, CreateMode.PERSISTENT)
            .thenApply(path -> client.create(path + "-inner", null, CreateMode.PERSISTENT))
            .get(30, TimeUnit.SECONDS);
        assertEquals("/outer-inner", created);
      }
    }
  }

  @Test
  void asyncFailuresAreKeelExceptions() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      try (KeelClient client = KeelClient.connect(cluster.connectString())) {
        var e = assertThrows(java.util.concurrent.ExecutionException.class,
            () -> client.getDataAsync("/missing").get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof KeelException.NoNodeException, String.valueOf(e.getCause()));
        assertThrows(KeelException.BadArgumentsException.class,
            () -> client.create(null, null, CreateMode.PERSISTENT));
        assertThrows(KeelException.BadArgumentsException.class, () -> client.create("/x", null, null));
      }
    }
  }

  @Test
  void theClientWorksAgainAfterAnOutageLongerThanItsTimeout() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      try (KeelClient client = KeelClient.builder(cluster.connectString())
          .requestTimeout(Duration.ofSeconds(3)).build()) {
        client.create("/before", null, CreateMode.PERSISTENT);
        cluster.stopAll();
        KeelException e = assertThrows(KeelException.class,
            () -> client.create("/during", null, CreateMode.PERSISTENT));
        assertTrue(e.code() == KeelException.Code.CONNECTIONLOSS
            || e.code() == KeelException.Code.OPERATIONTIMEOUT, e.toString());

        cluster.startAll();
        cluster.awaitLeader(Duration.ofSeconds(60));
        // The first call after the outage may still meet the election; the client must recover.
        org.awaitility.Awaitility.await("the client recovers").atMost(Duration.ofSeconds(60))
            .ignoreExceptionsInstanceOf(KeelException.class)
            .until(() -> client.exists("/before").isPresent());
        client.create("/after", null, CreateMode.PERSISTENT);
        assertTrue(client.exists("/after").isPresent());
      }
    }
  }
}
