package io.keel.recipes.barrier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Barrier}: set, wait and remove across clients; timeouts; nothing left behind. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class BarrierTest {
  static KeelTestCluster cluster;
  static KeelClient coordinator;

  @BeforeAll
  static void start() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).build();
    cluster.awaitLeader(Duration.ofSeconds(60));
    coordinator = connect();
  }

  @AfterAll
  static void stop() {
    if (coordinator != null) {
      coordinator.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  static KeelClient connect() {
    return KeelClient.builder(cluster.connectString())
        .sessionTimeout(Duration.ofSeconds(4)).build();
  }

  @Test
  void waitersOnOtherClientsPassOnlyOnceTheBarrierIsRemoved() throws Exception {
    String path = "/barrier/gate/a";
    Barrier gate = new Barrier(coordinator, path);
    gate.setBarrier();
    gate.setBarrier();  // idempotent
    List<KeelClient> clients = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<Boolean>> waits = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        KeelClient c = connect();
        clients.add(c);
        Barrier mine = new Barrier(c, path);
        // A waiter that gives up while the barrier is up says so, and can wait again.
        assertFalse(mine.waitOnBarrier(Duration.ofMillis(200)));
        assertTrue(mine.isSet());
        waits.add(pool.submit(() -> {
          mine.waitOnBarrier();
          return true;
        }));
      }
      for (Future<Boolean> w : waits) {
        assertFalse(w.isDone(), "a waiter passed a barrier that is up");
      }
      gate.removeBarrier();
      for (Future<Boolean> w : waits) {
        assertTrue(w.get(30, TimeUnit.SECONDS));
      }
      assertFalse(gate.isSet());
      gate.removeBarrier();  // idempotent
      assertTrue(new Barrier(clients.get(0), path).waitOnBarrier(Duration.ZERO));
    } finally {
      pool.shutdownNow();
      clients.forEach(KeelClient::close);
    }
    // The parents were made as containers: with the barrier gone, the server removes them.
    await().atMost(Duration.ofSeconds(20))
        .until(() -> coordinator.exists("/barrier/gate").isEmpty());
  }

  @Test
  void aWaiterSeesABarrierSetByAnotherClientJustBefore() throws Exception {
    String path = "/barrier/fresh";
    try (KeelClient other = connect()) {
      new Barrier(other, path).setBarrier();
      Barrier mine = new Barrier(coordinator, path);
      assertFalse(mine.waitOnBarrier(Duration.ofMillis(100)));
      CompletableFuture<Boolean> passed = new CompletableFuture<>();
      Thread waiter = new Thread(() -> {
        try {
          passed.complete(mine.waitOnBarrier(Duration.ofSeconds(60)));
        } catch (Throwable t) {
          passed.completeExceptionally(t);
        }
      });
      waiter.start();
      new Barrier(other, path).removeBarrier();
      assertTrue(passed.get(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void aWaiterWhoseSessionEndsFailsClearly() throws Exception {
    String path = "/barrier/expired";
    new Barrier(coordinator, path).setBarrier();
    KeelClient doomed = connect();
    try {
      Barrier mine = new Barrier(doomed, path);
      CompletableFuture<Object> outcome = new CompletableFuture<>();
      Thread waiter = new Thread(() -> {
        try {
          outcome.complete(mine.waitOnBarrier(Duration.ofSeconds(60)));
        } catch (Throwable t) {
          outcome.complete(t);
        }
      });
      waiter.start();
      cluster.expireSession(doomed.sessionId(), Duration.ofSeconds(30));
      Object result = outcome.get(30, TimeUnit.SECONDS);
      assertTrue(result instanceof KeelException.SessionExpiredException, "got " + result);
    } finally {
      doomed.close();
      new Barrier(coordinator, path).removeBarrier();
    }
  }

  @Test
  void badArgumentsAreRefused() {
    KeelException e = assertThrows(KeelException.class, () -> new Barrier(coordinator, "relative"));
    assertEquals(KeelException.Code.BADARGUMENTS, e.code());
    assertThrows(KeelException.class, () -> new Barrier(null, "/x"));
  }
}
