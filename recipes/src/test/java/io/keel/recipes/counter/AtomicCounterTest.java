package io.keel.recipes.counter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Stat;
import io.keel.testing.KeelTestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** AtomicCounter against a real 3-voter cluster: no update lost or doubled, one CAS winner. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AtomicCounterTest {
  static KeelTestCluster cluster;
  final List<KeelClient> clients = new ArrayList<>();
  final ExecutorService pool = Executors.newCachedThreadPool();

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

  @AfterEach
  void closeClients() throws InterruptedException {
    pool.shutdownNow();
    pool.awaitTermination(1, TimeUnit.MINUTES);
    clients.forEach(KeelClient::close);
  }

  KeelClient client() {
    KeelClient c = KeelClient.builder(cluster.connectString())
        .sessionTimeout(Duration.ofSeconds(4)).requestTimeout(Duration.ofSeconds(30)).build();
    clients.add(c);
    return c;
  }

  /** Runs {@code task(client, thread)} on {@code threads} threads of each of {@code n} clients. */
  void onClients(int n, int threads, ClientTask task) throws Exception {
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      KeelClient client = client();
      for (int t = 0; t < threads; t++) {
        running.add(pool.submit(() -> {
          task.run(client);
          return null;
        }));
      }
    }
    for (Future<?> f : running) {
      f.get(2, TimeUnit.MINUTES);
    }
  }

  @FunctionalInterface
  interface ClientTask {
    void run(KeelClient client) throws Exception;
  }

  @Test
  void concurrentIncrementsEndAtTheExactTotal() throws Exception {
    String path = "/counters/total";
    Set<Long> returned = ConcurrentHashMap.newKeySet();
    onClients(3, 3, client -> {
      AtomicCounter counter = new AtomicCounter(client, path);
      for (int i = 0; i < 25; i++) {
        assertTrue(returned.add(counter.increment()), "an increment's new value was returned twice");
      }
    });
    assertEquals(225, new AtomicCounter(client(), path).get());
    // Every increment was applied exactly once, in some order: the new values are 1..225.
    assertEquals(LongStream.rangeClosed(1, 225).boxed().collect(Collectors.toSet()), returned);
  }

  @Test
  void compareAndSetHasExactlyOneWinnerPerValue() throws Exception {
    String path = "/counters/cas";
    Map<Long, AtomicInteger> winners = new ConcurrentHashMap<>();
    AtomicInteger losses = new AtomicInteger();
    onClients(3, 2, client -> {
      AtomicCounter counter = new AtomicCounter(client, path);
      while (true) {
        long seen = counter.get();
        if (seen >= 40) {
          return;
        }
        if (counter.compareAndSet(seen, seen + 1)) {
          winners.computeIfAbsent(seen, v -> new AtomicInteger()).incrementAndGet();
        } else {
          losses.incrementAndGet();
        }
      }
    });
    assertEquals(40, new AtomicCounter(client(), path).get());
    for (long v = 0; v < 40; v++) {
      AtomicInteger w = winners.get(v);
      assertEquals(1, w == null ? 0 : w.get(), "winners of the step from " + v);
    }
    assertTrue(losses.get() > 0, "the racers never collided: the test proved nothing");
  }

  @Test
  void theNodeIsReplacedBeforeItsVersionWrapsAndNothingIsLost() throws Exception {
    // One writer: with a replacement every 4 writes, racing writers could meet the ABA that the
    // real bound (2^31 writes between a read and its write) rules out.
    String path = "/counters/replaced";
    KeelClient client = client();
    AtomicCounter counter = new AtomicCounter(client, path, 3);
    long firstCzxid = -1;
    for (int i = 1; i <= 10; i++) {
      assertEquals(2L * i, counter.add(2));
      Stat stat = client.exists(path).orElseThrow();
      assertTrue(stat.version() >= 0 && stat.version() <= 3, "version " + stat.version());
      firstCzxid = firstCzxid < 0 ? stat.czxid() : firstCzxid;
    }
    assertTrue(client.exists(path).orElseThrow().czxid() > firstCzxid, "the node was replaced");
    assertTrue(counter.compareAndSet(20, 21));
    assertEquals(21, new AtomicCounter(client(), path).get());
  }

  @Test
  void valuesAreDecimalTextAndAbsentIsZero() throws Exception {
    KeelClient client = client();
    AtomicCounter counter = new AtomicCounter(client, "/counters/basics/a/b");
    assertEquals(0, counter.get());
    assertTrue(client.exists("/counters/basics/a/b").isEmpty(), "reading creates nothing");
    assertTrue(counter.initialize(41));
    assertFalse(counter.initialize(7), "initialize leaves an existing node alone");
    assertEquals(42, counter.increment());
    assertEquals("42", new String(client.getData("/counters/basics/a/b").data(), StandardCharsets.US_ASCII));
    assertEquals(-58, counter.add(-100));
    assertEquals(-58, counter.set(5));
    assertEquals(4, counter.decrement());
    assertFalse(counter.compareAndSet(3, 10));
    assertTrue(counter.compareAndSet(4, 10));
    assertEquals(OptionalLong.of(11), counter.tryIncrement(Duration.ofSeconds(30)));
    assertEquals(Optional.of(true), counter.tryCompareAndSet(11, 0, Duration.ofSeconds(30)));
    assertEquals(OptionalLong.of(0), counter.trySet(Long.MAX_VALUE, Duration.ofSeconds(30)));

    KeelException overflow = assertThrows(KeelException.class, counter::increment);
    assertEquals(KeelException.Code.BADARGUMENTS, overflow.code());
    assertEquals(OptionalLong.of(Long.MAX_VALUE), counter.tryGet(Duration.ofSeconds(30)));

    // Written by hand, with keel set or any client: decimal text, blanks ignored, empty is 0.
    client.setData("/counters/basics/a/b", " 17\n".getBytes(StandardCharsets.US_ASCII), -1);
    assertEquals(18, counter.increment());
    client.setData("/counters/basics/a/b", new byte[0], -1);
    assertEquals(0, counter.get());
    client.setData("/counters/basics/a/b", "seventeen".getBytes(StandardCharsets.US_ASCII), -1);
    KeelException notACounter = assertThrows(KeelException.class, counter::increment);
    assertEquals(KeelException.Code.MARSHALLINGERROR, notACounter.code());
    assertTrue(notACounter.getMessage().contains("'seventeen', not a counter"), notACounter.getMessage());

    // A deadline already due writes nothing.
    client.setData("/counters/basics/a/b", "1".getBytes(StandardCharsets.US_ASCII), -1);
    assertEquals(OptionalLong.empty(), counter.tryAdd(5, Duration.ZERO));
    assertEquals(1, counter.get());

    KeelException bad = assertThrows(KeelException.class, () -> new AtomicCounter(client, "/"));
    assertEquals(KeelException.Code.BADARGUMENTS, bad.code());

    // The ancestors it made are containers: they go once the counter node is deleted.
    client.delete("/counters/basics/a/b", -1);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
        .until(() -> client.exists("/counters/basics").isEmpty());
  }

  @Test
  void incrementsRideOutALeaderKill() throws Exception {
    String path = "/counters/failover";
    KeelClient setup = client();
    AtomicInteger acknowledged = new AtomicInteger();
    AtomicInteger unknown = new AtomicInteger();
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < 3; c++) {
      AtomicCounter counter = new AtomicCounter(client(), path);
      for (int t = 0; t < 2; t++) {
        running.add(pool.submit(() -> {
          for (int i = 0; i < 40; i++) {
            try {
              counter.increment();
              acknowledged.incrementAndGet();
            } catch (KeelException e) {
              if (e.code() != KeelException.Code.CONNECTIONLOSS
                  && e.code() != KeelException.Code.OPERATIONTIMEOUT) {
                throw e;
              }
              unknown.incrementAndGet();  // outcome unknown, as documented
            }
          }
          return null;
        }));
      }
    }
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
        .until(() -> acknowledged.get() >= 40);
    int leader = cluster.leaderId();
    cluster.stop(leader);
    cluster.awaitNewLeader(leader, Duration.ofSeconds(60));
    cluster.start(leader);
    for (Future<?> f : running) {
      f.get(2, TimeUnit.MINUTES);
    }
    long total = new AtomicCounter(setup, path).get();
    assertTrue(total >= acknowledged.get() && total <= acknowledged.get() + unknown.get(),
        "total " + total + ", acknowledged " + acknowledged + ", unknown " + unknown);
    assertEquals(240, acknowledged.get() + unknown.get());
  }
}
