package io.keel.session;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.ConnectionState;
import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.proto.CloseSessionOp;
import io.keel.proto.WriteRequest;
import io.keel.testing.KeelTestCluster;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Sessions: kept alive by pings, expired by the leader through the log, told to the client. */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SessionTest {
  /** The test cluster's tickTime: the leader checks for expired sessions this often. */
  static final int TICK_MS = 500;

  @Test
  void aKilledClientProcessLosesItsEphemeralsWithinTheTimeoutAndATick() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).tickTime(TICK_MS).build();
         KeelClient observer = connect(cluster)) {
      int timeoutMs = 2000;
      Process holder = new ProcessBuilder(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"),
          EphemeralHolder.class.getName(), cluster.connectString(), String.valueOf(timeoutMs),
          "/held").redirectErrorStream(true).start();
      try {
        BufferedReader out = new BufferedReader(
            new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        String line;
        do {
          line = out.readLine();
        } while (line != null && !line.startsWith("READY"));
        assertTrue(line != null, "the holder JVM died before creating its node");
        long owner = Long.parseLong(line.substring("READY ".length()));
        observer.sync("/held");  // another client's write: catch up first (sequential consistency)
        java.util.concurrent.CompletableFuture<io.keel.client.WatchedEvent> deleted =
            new java.util.concurrent.CompletableFuture<>();
        assertEquals(owner, observer.exists("/held", deleted::complete).orElseThrow().ephemeralOwner());

        holder.destroyForcibly().waitFor(30, TimeUnit.SECONDS);  // SIGKILL: no close, no goodbye
        long killedAt = System.nanoTime();
        io.keel.client.WatchedEvent event = deleted.get(30, TimeUnit.SECONDS);
        assertEquals(io.keel.client.WatchedEvent.Type.NODE_DELETED, event.type());
        assertEquals("/held", event.path());
        assertTrue(observer.exists("/held").isEmpty());
        long goneAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        // The leader last heard from it at most a ping interval before the kill.
        assertTrue(goneAfterMs <= timeoutMs + TICK_MS + 1000,
            "ephemeral vanished " + goneAfterMs + " ms after the kill");
        System.out.println("ephemeral of a killed client vanished after " + goneAfterMs + " ms");
      } finally {
        holder.destroyForcibly();
      }
    }
  }

  @Test
  void idleSessionsSurviveTheLeadersDeath() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).tickTime(TICK_MS).build()) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(60));
      List<KeelClient> clients = new ArrayList<>();
      List<ConnectionState> seen = new CopyOnWriteArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          KeelClient c = KeelClient.builder(cluster.connectString())
              .sessionTimeout(Duration.ofSeconds(4)).build();
          c.addConnectionStateListener(seen::add);
          c.create("/idle-" + i, null, CreateMode.EPHEMERAL);
          clients.add(c);
        }
        cluster.stop(leader);
        cluster.awaitNewLeader(leader, Duration.ofSeconds(60));
        // Two full session timeouts after the election: an expiry would have happened by now.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
        await().atMost(Duration.ofSeconds(30)).until(() -> System.nanoTime() > until);
        try (KeelClient checker = connect(cluster)) {
          for (int i = 0; i < 3; i++) {
            assertTrue(checker.exists("/idle-" + i).isPresent(), "ephemeral /idle-" + i + " vanished");
          }
        }
        for (KeelClient c : clients) {
          assertTrue(c.connectionState().isConnected(), c + " is " + c.connectionState());
        }
        assertTrue(!seen.contains(ConnectionState.LOST), "states seen: " + seen);
      } finally {
        clients.forEach(KeelClient::close);
      }
    }
  }

  @Test
  void aClientWhoseSessionIsClosedElsewhereIsToldLost() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).tickTime(TICK_MS).build();
         KeelClient client = KeelClient.builder(cluster.connectString())
             .sessionTimeout(Duration.ofSeconds(2)).build()) {
      List<ConnectionState> seen = new CopyOnWriteArrayList<>();
      client.addConnectionStateListener(seen::add);
      client.create("/mine", null, CreateMode.EPHEMERAL);
      List<io.keel.client.WatchedEvent> events = new CopyOnWriteArrayList<>();
      // A watch nothing else fires: only the session's end can reach it.
      client.addWatch("/elsewhere", events::add, io.keel.client.AddWatchMode.PERSISTENT);

      // What the leader proposes when a session times out, sent by hand.
      try (RaftClient raw = RaftClient.newBuilder().setRaftGroup(cluster.server(1).group())
          .setProperties(new RaftProperties())
          .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(20,
              org.apache.ratis.util.TimeDuration.valueOf(200, TimeUnit.MILLISECONDS)))
          .build()) {
        raw.io().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(WriteRequest.newBuilder()
            .setCloseSession(CloseSessionOp.newBuilder().setSessionId(client.sessionId())
                .setExpired(true)).build().toByteArray())));
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> client.connectionState() == ConnectionState.LOST);
      await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains(ConnectionState.LOST));
      // Its watches are gone, and its watchers are told so rather than left waiting.
      await().atMost(Duration.ofSeconds(5)).until(() -> events.stream()
          .anyMatch(e -> e.type() == io.keel.client.WatchedEvent.Type.SESSION_EXPIRED));
      assertThrows(KeelException.SessionExpiredException.class,
          () -> client.create("/after", null, CreateMode.PERSISTENT));
      try (KeelClient other = connect(cluster)) {
        assertTrue(other.exists("/mine").isEmpty());
      }
    }
  }

  static KeelClient connect(KeelTestCluster cluster) {
    cluster.awaitLeader(Duration.ofSeconds(60));
    return KeelClient.connect(cluster.connectString());
  }

  @Test
  void aClientOfALeaderCutOffFromItsFollowersGoesSuspended() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).build()) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(60));
      List<ConnectionState> states = new CopyOnWriteArrayList<>();
      try (KeelClient client = KeelClient.builder(cluster.connectString())
          .sessionTimeout(Duration.ofSeconds(3)).build()) {
        client.addConnectionStateListener(states::add);
        client.create("/cut-off", null, CreateMode.EPHEMERAL);
        // The leader alone can no longer prove it leads: the other side may elect a new leader and
        // expire this session, so its client must stop trusting the session (SUSPENDED).
        for (int id : cluster.nodeIds()) {
          if (id != leader) {
            cluster.stop(id);
          }
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> states.contains(ConnectionState.SUSPENDED));
        for (int id : cluster.nodeIds()) {
          if (id != leader) {
            cluster.start(id);
          }
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> client.connectionState().isConnected());
      }
    }
  }

  @Test
  void readsAndWatchesOfAnExpiredSessionAreRefused() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      List<ConnectionState> states = new CopyOnWriteArrayList<>();
      try (KeelClient client = KeelClient.connect(cluster.connectString())) {
        client.addConnectionStateListener(states::add);
        client.create("/after-expiry", null, CreateMode.PERSISTENT);
        cluster.expireSession(client.sessionId(), Duration.ofSeconds(30));
        // Once the client's server has applied the expiry, it answers nothing but SESSIONEXPIRED:
        // a watch set now would never fire, so the client must learn that it is LOST instead.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
            assertThrows(KeelException.SessionExpiredException.class, () -> client.getData("/after-expiry")));
        assertThrows(KeelException.SessionExpiredException.class,
            () -> client.exists("/after-expiry", event -> { }));
        assertThrows(KeelException.SessionExpiredException.class,
            () -> client.addWatch("/after-expiry", event -> { }, io.keel.client.AddWatchMode.PERSISTENT));
        await().atMost(Duration.ofSeconds(30)).until(() -> states.contains(ConnectionState.LOST));
      }
    }
  }
}
