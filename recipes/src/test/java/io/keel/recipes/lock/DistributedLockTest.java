package io.keel.recipes.lock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.ConnectionState;
import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Op;
import io.keel.testing.KeelTestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The mutex against a real three-node cluster: exclusion under faults, hand-over, no herd. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DistributedLockTest {
  static KeelTestCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).build();
    cluster.awaitLeader(Duration.ofSeconds(60));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static KeelClient client() {
    return KeelClient.builder(cluster.connectString()).sessionTimeout(Duration.ofSeconds(10)).build();
  }

  @Test
  void eightClientsNeverHoldTogetherWhileTheLeaderIsKilled() throws Exception {
    String lockPath = "/locks/exclusion";
    int clients = 8;
    int perClient = 30;
    List<KeelClient> all = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try (KeelClient setup = client()) {
      setup.create("/counter", "0".getBytes(StandardCharsets.UTF_8), CreateMode.PERSISTENT);
      AtomicInteger holders = new AtomicInteger();
      AtomicInteger overlaps = new AtomicInteger();
      AtomicInteger acquisitions = new AtomicInteger();
      ConcurrentLinkedQueue<Long> tokens = new ConcurrentLinkedQueue<>();
      List<Future<?>> work = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        KeelClient client = client();
        all.add(client);
        DistributedLock lock = new DistributedLock(client, lockPath);
        work.add(pool.submit(() -> {
          for (int i = 0; i < perClient; i++) {
            try (Lease lease = lock.acquire()) {
              if (holders.incrementAndGet() != 1) {
                overlaps.incrementAndGet();
              }
              tokens.add(lease.fencingToken());
              // Read-modify-write guarded by the lease: a second holder would hit BADVERSION.
              client.sync("/counter");
              var current = client.getData("/counter");
              long next = Long.parseLong(new String(current.data(), StandardCharsets.UTF_8)) + 1;
              lease.guardedMulti(List.of(Op.setData("/counter",
                  Long.toString(next).getBytes(StandardCharsets.UTF_8), current.stat().version())));
              acquisitions.incrementAndGet();
              holders.decrementAndGet();
            }
          }
          return null;
        }));
      }
      await().atMost(Duration.ofMinutes(1)).until(() -> acquisitions.get() >= 40);
      int leader = cluster.leaderId();
      cluster.stop(leader);
      await().atMost(Duration.ofMinutes(1)).until(() -> acquisitions.get() >= 120);
      cluster.start(leader);
      for (Future<?> f : work) {
        f.get(3, TimeUnit.MINUTES);
      }
      assertEquals(0, overlaps.get(), "two clients held the lock at once");
      assertEquals(clients * perClient, acquisitions.get());
      setup.sync("/counter");
      assertEquals(Integer.toString(clients * perClient),
          new String(setup.getData("/counter").data(), StandardCharsets.UTF_8));
      List<Long> order = new ArrayList<>(tokens);
      for (int i = 1; i < order.size(); i++) {
        assertTrue(order.get(i) > order.get(i - 1), "fencing token went down at acquisition " + i);
      }
    } finally {
      pool.shutdownNow();
      all.forEach(KeelClient::close);
    }
    try (KeelClient check = client()) {
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        check.sync("/locks");
        return check.exists("/locks").isEmpty();
      });
    }
  }

  @Test
  void aHolderWhoseSessionDiesPassesTheLockOnWithALargerToken() throws Exception {
    String lockPath = "/locks/expiry";
    try (KeelClient a = client(); KeelClient b = client()) {
      Lease held = new DistributedLock(a, lockPath).acquire();
      DistributedLock lockB = new DistributedLock(b, lockPath);
      CompletableFuture<Lease> next = CompletableFuture.supplyAsync(() -> {
        try {
          return lockB.acquire();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        b.sync(lockPath);
        return b.getChildren(lockPath).size() == 2;
      });
      assertFalse(next.isDone(), "B got the lock while A held it");
      cluster.expireSession(a.sessionId(), Duration.ofSeconds(30));
      try (Lease taken = next.get(30, TimeUnit.SECONDS)) {
        assertTrue(taken.fencingToken() > held.fencingToken(),
            taken.fencingToken() + " is not larger than " + held.fencingToken());
        assertThrows(KeelException.class, () -> held.guardedMulti(
            List.of(Op.create("/written-by-a", null, CreateMode.PERSISTENT))));
        assertTrue(b.exists("/written-by-a").isEmpty());
      }
      held.close();  // harmless after the session is gone
    }
  }

  @Test
  void eachReleaseWakesExactlyOneWaiter() throws Exception {
    String lockPath = "/locks/herd";
    int waiters = 6;
    List<KeelClient> clients = new ArrayList<>();
    List<DistributedLock> locks = new ArrayList<>();
    List<CompletableFuture<Lease>> acquired = new ArrayList<>();
    try (KeelClient holderClient = client()) {
      Lease first = new DistributedLock(holderClient, lockPath).acquire();
      for (int i = 0; i < waiters; i++) {
        KeelClient c = client();
        clients.add(c);
        DistributedLock lock = new DistributedLock(c, lockPath);
        locks.add(lock);
        acquired.add(CompletableFuture.supplyAsync(() -> {
          try {
            return lock.acquire();
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        }));
        int expected = i + 2;
        // Queue them one after another so the order of hand-over is known.
        await().atMost(Duration.ofSeconds(30)).until(() -> {
          holderClient.sync(lockPath);
          return holderClient.getChildren(lockPath).size() == expected;
        });
      }
      Lease current = first;
      for (int i = 0; i < waiters; i++) {
        current.close();
        Lease next = acquired.get(i).get(30, TimeUnit.SECONDS);
        for (int j = i + 1; j < waiters; j++) {
          assertFalse(acquired.get(j).isDone(), "waiter " + j + " got the lock out of turn");
        }
        current = next;
      }
      current.close();
      for (int i = 0; i < waiters; i++) {
        assertEquals(1, locks.get(i).wakeups(), "waiter " + i + " was woken "
            + locks.get(i).wakeups() + " times");
      }
    } finally {
      clients.forEach(KeelClient::close);
    }
  }

  @Test
  void tryAcquireTimesOutAndLeavesNoNode() throws Exception {
    String lockPath = "/locks/timeout";
    try (KeelClient a = client(); KeelClient b = client()) {
      DistributedLock lockA = new DistributedLock(a, lockPath);
      try (Lease held = lockA.acquire()) {
        long start = System.nanoTime();
        Optional<Lease> none = new DistributedLock(b, lockPath).tryAcquire(Duration.ofMillis(500));
        assertTrue(none.isEmpty());
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(500));
        b.sync(lockPath);
        assertEquals(1, b.getChildren(lockPath).size(), "the timed-out contender left its node");
        assertTrue(held.isOpen());
      }
    }
  }

  @Test
  void theLockIsReentrantPerThread() throws Exception {
    String lockPath = "/locks/reentrant";
    try (KeelClient a = client(); KeelClient b = client()) {
      DistributedLock lock = new DistributedLock(a, lockPath);
      Lease outer = lock.acquire();
      Lease inner = lock.acquire();
      assertEquals(outer.fencingToken(), inner.fencingToken());
      assertEquals(1, a.getChildren(lockPath).size());
      inner.close();
      assertTrue(lock.isHeldByCurrentThread());
      assertTrue(new DistributedLock(b, lockPath).tryAcquire(Duration.ofMillis(200)).isEmpty());
      outer.close();
      outer.close();  // idempotent
      assertFalse(lock.isHeldByCurrentThread());
      try (Lease l = new DistributedLock(b, lockPath).tryAcquire(Duration.ofSeconds(30)).orElseThrow()) {
        assertTrue(l.fencingToken() > outer.fencingToken());
      }
    }
  }

  @Test
  void anInterruptedWaiterGivesUpAndRemovesItsNode() throws Exception {
    String lockPath = "/locks/interrupt";
    try (KeelClient a = client(); KeelClient b = client()) {
      try (Lease held = new DistributedLock(a, lockPath).acquire()) {
        DistributedLock lockB = new DistributedLock(b, lockPath);
        AtomicLong outcome = new AtomicLong();
        Thread waiter = new Thread(() -> {
          try {
            lockB.acquire();
            outcome.set(1);
          } catch (InterruptedException e) {
            outcome.set(2);
          }
        });
        waiter.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
          a.sync(lockPath);
          return a.getChildren(lockPath).size() == 2;
        });
        waiter.interrupt();
        waiter.join(TimeUnit.SECONDS.toMillis(30));
        assertEquals(2, outcome.get(), "acquire did not end with InterruptedException");
        a.sync(lockPath);
        assertEquals(1, a.getChildren(lockPath).size());
        assertTrue(held.isOpen());
      }
    }
  }

  @Test
  void aContenderCutOffDuringItsCreateEndsUpWithOneNode() throws Exception {
    String lockPath = "/locks/cutoff";
    KeelClient a = KeelClient.builder(cluster.connectString())
        .sessionTimeout(Duration.ofSeconds(30)).requestTimeout(Duration.ofSeconds(2)).build();
    try (a) {
      int leader = cluster.awaitLeader(Duration.ofSeconds(30));
      List<Integer> stopped = new ArrayList<>();
      for (int id : cluster.nodeIds()) {
        if (id != leader && stopped.isEmpty()) {
          stopped.add(id);
        }
      }
      stopped.add(leader);
      // Without a majority no create commits: the first tries time out with unknown outcome.
      stopped.forEach(cluster::stop);
      DistributedLock lock = new DistributedLock(a, lockPath);
      CompletableFuture<Lease> got = CompletableFuture.supplyAsync(() -> {
        try {
          return lock.acquire();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      // The create's first try timed out: its outcome is unknown to the contender.
      await().atMost(Duration.ofSeconds(30))
          .until(() -> a.connectionState() == ConnectionState.SUSPENDED);
      for (int id : stopped) {
        cluster.start(id);
      }
      try (Lease lease = got.get(90, TimeUnit.SECONDS)) {
        a.sync(lockPath);
        assertEquals(List.of(io.keel.recipes.internal.ZNodes.name(lease.path())),
            a.getChildren(lockPath));
      }
    }
  }

  @Test
  void contendersInterruptedWhileJoiningLeaveNothingBehind() throws Exception {
    String lockPath = "/locks/interrupted-joins";
    try (KeelClient a = client(); KeelClient b = client(); KeelClient c = client()) {
      Lease held = new DistributedLock(a, lockPath).acquire();
      DistributedLock lockB = new DistributedLock(b, lockPath);
      for (int i = 0; i < 20; i++) {
        Thread t = new Thread(() -> {
          try {
            lockB.acquire().close();
          } catch (InterruptedException | KeelException e) {
            // expected: interrupted at some point of its join or wait
          }
        });
        t.start();
        // Fault injection, not a wait: spread the interrupts over the join's create and wait.
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(700L * i));
        t.interrupt();
        t.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(t.isAlive());
      }
      held.close();
      try (Lease lease = new DistributedLock(c, lockPath).tryAcquire(Duration.ofSeconds(30)).orElseThrow()) {
        await().atMost(Duration.ofSeconds(30)).until(() -> {
          c.sync(lockPath);
          return c.getChildren(lockPath).size() == 1;
        });
        assertTrue(lease.isOpen());
      }
    }
  }

  @Test
  void closingTheClientWakesAWaiterWithoutATimeout() throws Exception {
    String lockPath = "/locks/closed-client";
    try (KeelClient a = client()) {
      KeelClient b = client();
      try (Lease held = new DistributedLock(a, lockPath).acquire()) {
        DistributedLock lockB = new DistributedLock(b, lockPath);
        CompletableFuture<Lease> waiting = CompletableFuture.supplyAsync(() -> {
          try {
            return lockB.acquire();
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
        awaitChildren(a, lockPath, 2);
        b.close();
        var failure = assertThrows(java.util.concurrent.ExecutionException.class,
            () -> waiting.get(30, TimeUnit.SECONDS));
        assertTrue(failure.getCause() instanceof KeelException, String.valueOf(failure.getCause()));
        awaitChildren(a, lockPath, 1);  // its node went with its session
        assertTrue(held.isOpen());
      }
    }
  }

  static void awaitChildren(KeelClient c, String path, int n) {
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      c.sync(path);
      return c.getChildren(path).size() == n;
    });
  }
}
