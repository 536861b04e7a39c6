package io.keel.recipes.lock;

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
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Shared and counted locks against a real three-node cluster. */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ReadWriteLockAndSemaphoreTest {
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

  static CompletableFuture<Lease> acquireAsync(DistributedLock lock) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return lock.acquire();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  static void awaitNodes(KeelClient c, String path, int n) {
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      c.sync(path);
      return c.exists(path).isPresent() && c.getChildren(path).size() == n;
    });
  }

  @Test
  void readersShareAWaitingWriterBlocksLaterReaders() throws Exception {
    String path = "/rw/fair";
    try (KeelClient a = client(); KeelClient b = client(); KeelClient w = client();
         KeelClient late = client()) {
      Lease readA = new ReadWriteLock(a, path).readLock().acquire();
      Lease readB = new ReadWriteLock(b, path).readLock().tryAcquire(Duration.ofSeconds(30)).orElseThrow();
      CompletableFuture<Lease> write = acquireAsync(new ReadWriteLock(w, path).writeLock());
      awaitNodes(a, path, 3);
      CompletableFuture<Lease> lateRead = acquireAsync(new ReadWriteLock(late, path).readLock());
      awaitNodes(a, path, 4);
      assertFalse(write.isDone(), "the writer got in while readers held");
      readA.close();
      assertFalse(write.isDone());
      readB.close();
      try (Lease writeLease = write.get(30, TimeUnit.SECONDS)) {
        assertFalse(lateRead.isDone(), "a reader that came after the waiting writer got in first");
        assertTrue(writeLease.fencingToken() > readB.fencingToken());
      }
      lateRead.get(30, TimeUnit.SECONDS).close();
    }
  }

  @Test
  void aWriterMayTakeTheReadLockEvenWithAnotherWriterQueued() throws Exception {
    String path = "/rw/downgrade";
    try (KeelClient a = client(); KeelClient b = client()) {
      ReadWriteLock rw = new ReadWriteLock(a, path);
      Lease write = rw.writeLock().acquire();
      CompletableFuture<Lease> otherWrite = acquireAsync(new ReadWriteLock(b, path).writeLock());
      awaitNodes(a, path, 2);
      // Queued behind the other writer, this read would wait for it while it waits for us.
      Lease read = rw.readLock().tryAcquire(Duration.ofSeconds(10)).orElseThrow();
      write.close();
      a.sync(path);
      assertEquals(2, a.getChildren(path).size(), "the write node went while its read share is open");
      assertFalse(otherWrite.isDone(), "another writer got in while we still read");
      assertTrue(new ReadWriteLock(b, path).readLock().tryAcquire(Duration.ofMillis(300)).isEmpty());
      read.close();
      try (Lease theirs = otherWrite.get(30, TimeUnit.SECONDS)) {
        assertTrue(theirs.fencingToken() > write.fencingToken());
      }
    }
  }

  @Test
  void aSemaphoreNeverGrantsMoreThanItsLeases() throws Exception {
    String path = "/sem/three";
    int clients = 8;
    int perClient = 8;
    List<KeelClient> all = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      AtomicInteger holding = new AtomicInteger();
      AtomicInteger most = new AtomicInteger();
      AtomicInteger granted = new AtomicInteger();
      List<Future<?>> work = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        KeelClient client = client();
        all.add(client);
        Semaphore sem = new Semaphore(client, path, 3);
        work.add(pool.submit(() -> {
          for (int i = 0; i < perClient; i++) {
            try (Lease lease = sem.acquire()) {
              int now = holding.incrementAndGet();
              most.accumulateAndGet(now, Math::max);
              client.sync(path);  // holds the lease across a round trip
              granted.incrementAndGet();
              holding.decrementAndGet();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : work) {
        f.get(3, TimeUnit.MINUTES);
      }
      assertEquals(clients * perClient, granted.get());
      assertTrue(most.get() <= 3, most.get() + " leases held at once");
    } finally {
      pool.shutdownNow();
      all.forEach(KeelClient::close);
    }
  }

  @Test
  void allLeasesAreGrantedAtOnceAndTheNextWaitsForARelease() throws Exception {
    String path = "/sem/all";
    List<KeelClient> all = new ArrayList<>();
    try {
      List<Lease> leases = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        KeelClient c = client();
        all.add(c);
        leases.add(new Semaphore(c, path, 3).tryAcquire(Duration.ofSeconds(30)).orElseThrow());
      }
      KeelClient fourth = client();
      all.add(fourth);
      Semaphore sem = new Semaphore(fourth, path, 3);
      assertEquals(3, sem.leaseHolders().size());
      CompletableFuture<Optional<Lease>> waiting = CompletableFuture.supplyAsync(() -> {
        try {
          return sem.tryAcquire(Duration.ofSeconds(60));
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      awaitNodes(fourth, path + "/leases", 4);  // its lease node exists, beyond the limit
      assertFalse(waiting.isDone());
      leases.get(1).close();
      waiting.get(60, TimeUnit.SECONDS).orElseThrow().close();
      leases.forEach(Lease::close);
    } finally {
      all.forEach(KeelClient::close);
    }
  }

  @Test
  void aLeaseOfADeadSessionComesBackAndTimeoutsReturnEmpty() throws Exception {
    String path = "/sem/one";
    try (KeelClient a = client(); KeelClient b = client()) {
      Semaphore semA = new Semaphore(a, path, 1);
      Semaphore semB = new Semaphore(b, path, 1);
      Lease held = semA.acquire();
      assertEquals(1, semB.leaseHolders().size());
      Optional<Lease> none = semB.tryAcquire(Duration.ofMillis(300));
      assertTrue(none.isEmpty());
      b.sync(path);
      assertEquals(1, b.getChildren(path + "/leases").size(), "a timed-out contender left a lease");
      CompletableFuture<Optional<Lease>> waiting = CompletableFuture.supplyAsync(() -> {
        try {
          return semB.tryAcquire(Duration.ofSeconds(60));
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      awaitNodes(a, path + "/lock", 1);
      cluster.expireSession(a.sessionId(), Duration.ofSeconds(30));
      try (Lease lease = waiting.get(60, TimeUnit.SECONDS).orElseThrow()) {
        assertTrue(lease.fencingToken() > held.fencingToken());
      }
      held.close();
    }
    try (KeelClient c = client()) {
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        c.sync("/sem");
        return c.exists("/sem/one").isEmpty();
      });
    }
  }

  @Test
  void badArgumentsAreRefused() {
    try (KeelClient a = client()) {
      KeelException e = assertThrows(KeelException.class, () -> new Semaphore(a, "/sem/zero", 0));
      assertEquals(KeelException.Code.BADARGUMENTS, e.code());
      assertThrows(KeelException.class,
          () -> new DistributedLock(a, "no-slash").tryAcquire(Duration.ofSeconds(5)));
    }
  }
}
