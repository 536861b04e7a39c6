package io.keel.recipes.queue;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Op;
import io.keel.testing.KeelTestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link DistributedQueue}: exactly one consumer per element under concurrency and a consumer's
 * death, order, priorities, timeouts, and nothing left behind.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DistributedQueueTest {
  static final Duration LONG = Duration.ofSeconds(60);
  static KeelTestCluster cluster;
  static KeelClient observer;
  final List<KeelClient> clients = new ArrayList<>();
  final Map<DistributedQueue<?>, KeelClient> clientOf = new IdentityHashMap<>();
  ExecutorService pool;

  @BeforeAll
  static void start() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).build();
    cluster.awaitLeader(Duration.ofSeconds(60));
    observer = connect();
  }

  @AfterAll
  static void stop() {
    if (observer != null) {
      observer.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @BeforeEach
  void pool() {
    pool = Executors.newCachedThreadPool();
  }

  @AfterEach
  void closeAll() {
    pool.shutdownNow();
    clients.forEach(KeelClient::close);
    clients.clear();
    clientOf.clear();
  }

  static KeelClient connect() {
    return KeelClient.builder(cluster.connectString())
        .sessionTimeout(Duration.ofSeconds(4)).build();
  }

  /** A queue on a client of its own. */
  DistributedQueue<String> queue(String path) {
    KeelClient c = connect();
    clients.add(c);
    DistributedQueue<String> q = new DistributedQueue<>(c, path, Serializer.utf8());
    clientOf.put(q, c);
    return q;
  }

  void awaitGone(String path) {
    await().atMost(Duration.ofSeconds(20)).until(() -> observer.exists(path).isEmpty());
  }

  @Test
  void everyElementIsConsumedExactlyOnceEvenWhenAConsumerDiesMidTake() throws Exception {
    String path = "/queue/exactly-once";
    int producers = 3;
    int consumers = 3;
    int perProducer = 100;
    int total = producers * perProducer;
    Map<String, Integer> acked = new ConcurrentHashMap<>();
    Map<Integer, List<String>> takenBy = new ConcurrentHashMap<>();
    AtomicInteger done = new AtomicInteger();
    List<Future<?>> runs = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      DistributedQueue<String> q = queue(path);
      int me = p;
      runs.add(pool.submit((Callable<Void>) () -> {
        for (int k = 0; k < perProducer; k++) {
          q.offer(String.format("p%d-%03d", me, k));
        }
        return null;
      }));
    }
    // A consumer that claims an element and dies before acking it.
    DistributedQueue<String> doomed = queue(path);
    Claim<String> orphan = doomed.claim(LONG).orElseThrow();
    for (int c = 0; c < consumers; c++) {
      DistributedQueue<String> q = queue(path);
      List<String> mine = new ArrayList<>();
      takenBy.put(c, mine);
      int me = c;
      runs.add(pool.submit((Callable<Void>) () -> {
        while (done.get() < total) {
          Optional<Claim<String>> got = q.claim(Duration.ofMillis(500));
          if (got.isEmpty()) {
            continue;
          }
          try (Claim<String> claim = got.get()) {
            String value = claim.value();
            mine.add(value);
            if (me == 0) {
              q.poll().ifPresent(v -> {  // the at-most-once form, mixed in
                mine.add(v);
                acked.merge(v, 1, Integer::sum);
                done.incrementAndGet();
              });
            }
            claim.ack();
            acked.merge(value, 1, Integer::sum);
            done.incrementAndGet();
          }
        }
        return null;
      }));
    }
    cluster.expireSession(clientOf.get(doomed).sessionId(), Duration.ofSeconds(30));
    assertThrows(KeelException.class, orphan::ack, "a dead consumer acked");
    for (Future<?> r : runs) {
      r.get(120, TimeUnit.SECONDS);
    }
    assertEquals(total, acked.size(), "elements lost");
    acked.forEach((v, n) -> assertEquals(1, n, v + " consumed " + n + " times"));
    assertTrue(acked.containsKey(orphan.value()), "the dead consumer's element was lost");
    // One consumer alone sees each producer's elements in offer order.
    for (List<String> mine : takenBy.values()) {
      for (int p = 0; p < producers; p++) {
        String head = "p" + p + "-";
        List<String> fromP = mine.stream().filter(v -> v.startsWith(head))
            .filter(v -> !v.equals(orphan.value())).toList();
        assertEquals(fromP.stream().sorted().toList(), fromP, "out of order: " + fromP);
      }
    }
    awaitGone(path);
  }

  @Test
  void aClaimThatIsReleasedOrWhoseConsumerDiesGoesBackToTheHead() throws Exception {
    String path = "/queue/killed";
    DistributedQueue<String> producer = queue(path);
    for (String v : List.of("a", "b", "c")) {
      producer.offer(v);
    }
    DistributedQueue<String> killed = queue(path);
    Claim<String> held = killed.claim(LONG).orElseThrow();
    assertEquals("a", held.value());
    DistributedQueue<String> survivor = queue(path);
    Claim<String> b = survivor.claim(LONG).orElseThrow();
    assertEquals("b", b.value(), "a claimed element went to a second consumer");
    b.release();
    b.close();
    assertFalse(b.isOpen());
    cluster.expireSession(clientOf.get(killed).sessionId(), Duration.ofSeconds(30));
    clientOf.get(survivor).sync(path);  // the expiry was the leader's write: catch up with it
    List<String> after = List.of(survivor.take(), survivor.take(), survivor.take());
    assertEquals(List.of("a", "b", "c"), after);
    KeelException late = assertThrows(KeelException.class, held::ack);
    assertTrue(late.code() == KeelException.Code.SESSIONEXPIRED
        || late.code() == KeelException.Code.NONODE, "got " + late);
    awaitGone(path);
  }

  @Test
  void oneConsumerTakesInOfferOrder() throws Exception {
    String path = "/queue/fifo";
    DistributedQueue<String> producer = queue(path);
    List<String> offered = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      offered.add("e" + i);
      producer.offer("e" + i);
    }
    DistributedQueue<String> consumer = queue(path);
    assertEquals(30, consumer.size());
    List<String> taken = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      taken.add(i % 2 == 0 ? consumer.take() : consumer.poll().orElseThrow());
    }
    assertEquals(offered, taken);
    assertTrue(consumer.poll().isEmpty());
    awaitGone(path);
  }

  @Test
  void lowerPriorityValuesComeFirstFifoWithinAPriority() throws Exception {
    String path = "/queue/priority";
    DistributedQueue<String> q = queue(path);
    int[] priorities = {5, -1, 5, 0, Integer.MAX_VALUE, -1, Integer.MIN_VALUE, 0, 5};
    for (int i = 0; i < priorities.length; i++) {
      q.offer(priorities[i] + "/" + i, priorities[i]);
    }
    q.offer("default");  // priority 0, after the other zeros
    List<String> expected = List.of(Integer.MIN_VALUE + "/6", "-1/1", "-1/5", "0/3", "0/7",
        "default", "5/0", "5/2", "5/8", Integer.MAX_VALUE + "/4");
    List<String> taken = new ArrayList<>();
    for (int i = 0; i < expected.size(); i++) {
      try (Claim<String> c = q.claim(LONG).orElseThrow()) {
        taken.add(c.value());
        assertEquals(Integer.parseInt(c.value().split("/")[0].replace("default", "0")),
            c.priority());
        c.ack();
      }
    }
    assertEquals(expected, taken);
    awaitGone(path);
  }

  @Test
  void takeTimesOutEmptyAndAWaitingTakeWakesOnAnOffer() throws Exception {
    String path = "/queue/timeout";
    DistributedQueue<String> consumer = queue(path);
    assertTrue(consumer.take(Duration.ofMillis(300)).isEmpty());
    assertTrue(consumer.claim(Duration.ofMillis(300)).isEmpty());
    assertTrue(consumer.poll().isEmpty());
    assertEquals(0, consumer.size());
    Future<Optional<String>> waiting = pool.submit(() -> consumer.take(LONG));
    queue(path).offer("late");
    assertEquals(Optional.of("late"), waiting.get(30, TimeUnit.SECONDS));
    awaitGone(path);
  }

  @Test
  void anAckCommitsTheConsumersWritesWithTheRemovalOrNothing() throws Exception {
    String path = "/queue/ack-ops";
    String results = "/queue-results";
    observer.create(results, null, CreateMode.PERSISTENT);
    DistributedQueue<String> q = queue(path);
    q.offer("job");
    Claim<String> c = q.claim(LONG).orElseThrow();
    observer.create(results + "/job", null, CreateMode.PERSISTENT);
    byte[] out = "done".getBytes(StandardCharsets.UTF_8);
    // The consumer's own write fails: nothing is applied and the claim still holds.
    assertThrows(KeelException.NodeExistsException.class,
        () -> c.ack(List.of(Op.create(results + "/job", out, CreateMode.PERSISTENT))));
    assertTrue(c.isOpen());
    assertEquals(1, q.size());
    observer.delete(results + "/job", -1);
    c.ack(List.of(c.guard(), Op.create(results + "/job", out, CreateMode.PERSISTENT)));
    assertFalse(c.isOpen());
    clientOf.get(q).sync(results);
    assertEquals("done", new String(clientOf.get(q).getData(results + "/job").data(),
        StandardCharsets.UTF_8));
    assertEquals(0, q.size());
    assertThrows(IllegalStateException.class, c::ack);
    observer.delete(results + "/job", -1);
    observer.delete(results, -1);
    awaitGone(path);
  }

  @Test
  void closeReleasesOpenClaimsAndWakesWaiters() throws Exception {
    String path = "/queue/close";
    DistributedQueue<String> q = queue(path);
    q.offer("x");
    Claim<String> held = q.claim(LONG).orElseThrow();
    DistributedQueue<String> other = queue(path);
    Future<Optional<String>> waiting = pool.submit(() -> other.take(LONG));
    q.close();
    q.close();
    assertFalse(held.isOpen());
    assertThrows(IllegalStateException.class, () -> q.offer("y"));
    assertEquals(Optional.of("x"), waiting.get(30, TimeUnit.SECONDS));
    DistributedQueue<String> idle = queue(path);
    AtomicReference<Thread> taker = new AtomicReference<>();
    Future<Optional<String>> blocked = pool.submit(() -> {
      taker.set(Thread.currentThread());
      return idle.take(LONG);
    });
    // Most likely blocked in the take by then; if close() came first, take refuses to start.
    await().atMost(Duration.ofSeconds(20)).until(() -> taker.get() != null
        && taker.get().getState() == Thread.State.TIMED_WAITING);
    idle.close();
    try {
      assertEquals(Optional.empty(), blocked.get(30, TimeUnit.SECONDS));
    } catch (ExecutionException e) {
      assertTrue(e.getCause() instanceof IllegalStateException, "got " + e.getCause());
    }
    awaitGone(path);
  }

  @Test
  void exactlyOnceAcrossTheClusterLeadersDeath() throws Exception {
    String path = "/queue/failover";
    int perProducer = 60;
    int total = 2 * perProducer;
    Map<String, Integer> acked = new ConcurrentHashMap<>();
    AtomicInteger done = new AtomicInteger();
    List<Future<?>> runs = new ArrayList<>();
    for (int p = 0; p < 2; p++) {
      DistributedQueue<String> q = queue(path);
      int me = p;
      runs.add(pool.submit((Callable<Void>) () -> {
        for (int k = 0; k < perProducer; k++) {
          q.offer(String.format("p%d-%03d", me, k));
        }
        return null;
      }));
    }
    for (int c = 0; c < 2; c++) {
      DistributedQueue<String> q = queue(path);
      runs.add(pool.submit((Callable<Void>) () -> {
        while (done.get() < total) {
          Optional<Claim<String>> got;
          try {
            got = q.claim(Duration.ofSeconds(1));
          } catch (KeelException.ConnectionLossException
                   | KeelException.OperationTimeoutException e) {
            continue;  // the cluster was unreachable for the whole wait: try again
          }
          if (got.isPresent()) {
            ackUntilKnown(got.get(), acked, done);
          }
        }
        return null;
      }));
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> done.get() >= total / 3);
    int leader = cluster.leaderId();
    cluster.stop(leader);
    try {
      for (Future<?> r : runs) {
        r.get(120, TimeUnit.SECONDS);
      }
    } finally {
      cluster.start(leader);
    }
    assertEquals(total, acked.size(), "elements lost");
    acked.forEach((v, n) -> assertEquals(1, n, v + " consumed " + n + " times"));
    awaitGone(path);
  }

  /** Acks, again after an unknown outcome; counts the element only if this ack removed it. */
  static void ackUntilKnown(Claim<String> claim, Map<String, Integer> acked, AtomicInteger done)
      throws InterruptedException {
    while (true) {
      try {
        claim.ack();
        acked.merge(claim.value(), 1, Integer::sum);
        done.incrementAndGet();
        return;
      } catch (KeelException.ConnectionLossException | KeelException.OperationTimeoutException e) {
        // Outcome unknown: the next ack finds out.
      } catch (KeelException.NoNodeException e) {
        return;  // the claim was lost: another consumer gets the element
      }
    }
  }

  @Test
  void badArgumentsAreRefused() {
    assertEquals(KeelException.Code.BADARGUMENTS, assertThrows(KeelException.class,
        () -> new DistributedQueue<>(observer, "q", Serializer.utf8())).code());
    assertThrows(KeelException.class, () -> new DistributedQueue<>(observer, "/q", null));
    DistributedQueue<String> q = new DistributedQueue<>(observer, "/q", Serializer.utf8());
    assertThrows(KeelException.class, () -> q.offer(null));
  }
}
