package io.keel.recipes.id;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Stat;
import io.keel.testing.KeelTestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Both id generators against a real 3-voter cluster: no id twice across clients and threads, each
 * thread's ids strictly increasing, also across a cluster leader kill.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class IdGeneratorTest {
  static KeelTestCluster cluster;
  final List<KeelClient> clients = new ArrayList<>();
  final List<AutoCloseable> generators = new ArrayList<>();
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
  void closeAll() throws Exception {
    pool.shutdownNow();
    pool.awaitTermination(1, TimeUnit.MINUTES);
    for (AutoCloseable g : generators) {
      g.close();
    }
    clients.forEach(KeelClient::close);
  }

  KeelClient client() {
    KeelClient c = KeelClient.builder(cluster.connectString())
        .sessionTimeout(Duration.ofSeconds(4)).requestTimeout(Duration.ofSeconds(30)).build();
    clients.add(c);
    return c;
  }

  <G extends AutoCloseable> G track(G generator) {
    generators.add(generator);
    return generator;
  }

  /** Something that hands out ids: either generator's {@code next}. */
  @FunctionalInterface
  interface Source {
    long next() throws InterruptedException;
  }

  /** Per id space (generator path): each thread's ids, in the order it got them. */
  final Map<String, Queue<List<Long>>> perThread = new ConcurrentHashMap<>();

  /**
   * Starts {@code threads} threads taking ids of the space {@code path} from {@code source} until
   * {@code more} is false.
   */
  List<Future<?>> take(String path, Source source, int threads, Keep more) {
    List<Future<?>> running = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      List<Long> mine = new ArrayList<>();
      perThread.computeIfAbsent(path, p -> new ConcurrentLinkedQueue<>()).add(mine);
      running.add(pool.submit(() -> {
        while (more.keep(mine.size())) {
          long id = source.next();
          synchronized (mine) {
            mine.add(id);
          }
        }
        return null;
      }));
    }
    return running;
  }

  @FunctionalInterface
  interface Keep {
    boolean keep(int taken);
  }

  static void awaitAll(List<Future<?>> running) throws Exception {
    for (Future<?> f : running) {
      f.get(2, TimeUnit.MINUTES);
    }
  }

  /**
   * No id twice in any space; every thread's ids strictly increasing. Returns how many in all.
   */
  int assertUniqueAndIncreasing() {
    int total = 0;
    for (Map.Entry<String, Queue<List<Long>>> space : perThread.entrySet()) {
      total += assertUniqueAndIncreasing(space.getKey(), space.getValue());
    }
    return total;
  }

  static int assertUniqueAndIncreasing(String path, Queue<List<Long>> threads) {
    Set<Long> all = new HashSet<>();
    int count = 0;
    for (List<Long> ids : threads) {
      synchronized (ids) {
        for (int i = 0; i < ids.size(); i++) {
          if (i > 0) {
            assertTrue(ids.get(i) > ids.get(i - 1), "a thread's ids went " + ids.get(i - 1) + " -> " + ids.get(i));
          }
          assertTrue(ids.get(i) >= 0, "negative id " + ids.get(i));
        }
        all.addAll(ids);
        count += ids.size();
      }
    }
    assertEquals(count, all.size(), "duplicate ids from " + path);
    return count;
  }

  @Test
  void sequentialIdsAreUniqueAcrossClientsAndIncreasePerThread() throws Exception {
    String dir = "/ids/sequential";
    List<Future<?>> running = new ArrayList<>();
    List<SequentialIdGenerator> gens = new ArrayList<>();
    for (int c = 0; c < 3; c++) {
      SequentialIdGenerator gen = track(new SequentialIdGenerator(client(), dir));
      gens.add(gen);
      running.addAll(take(dir, gen::next, 3, taken -> taken < 20));
    }
    awaitAll(running);
    assertEquals(180, assertUniqueAndIncreasing());
    // One write per id: each generator keeps just its last node, until it is closed.
    KeelClient observer = client();
    observer.sync(dir);
    assertEquals(3, observer.getChildren(dir).size());
    for (SequentialIdGenerator g : gens) {
      g.close();
    }
    observer.sync(dir);
    assertEquals(List.of(), observer.getChildren(dir));
    assertTrue(observer.exists(dir).isPresent(), "the directory (and its counter) stays");
    assertThrows(IllegalStateException.class, gens.get(0)::next);
  }

  @Test
  void blockIdsAreUniqueAcrossClientsAndIncreasePerThread() throws Exception {
    String path = "/ids/blocks";
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < 3; c++) {
      KeelClient client = client();
      // Different block sizes, with and without prefetch, on the same counter.
      BlockIdGenerator prefetching = track(new BlockIdGenerator(client, path, 50));
      running.addAll(take(path, prefetching::next, 3, taken -> taken < 400));
      BlockIdGenerator plain = track(new BlockIdGenerator(client, path, 7, false));
      running.addAll(take(path, plain::next, 1, taken -> taken < 100));
    }
    awaitAll(running);
    assertEquals(3 * (3 * 400 + 100), assertUniqueAndIncreasing());
  }

  @Test
  void oneGeneratorsIdsIncreaseInCallOrder() throws Exception {
    BlockIdGenerator gen = track(new BlockIdGenerator(client(), "/ids/order", 3));
    // A call that starts after another returned gets a larger id, whichever thread makes it.
    List<Long> inOrder = new ArrayList<>();
    Object turn = new Object();
    List<Future<?>> running = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      running.add(pool.submit(() -> {
        for (int i = 0; i < 50; i++) {
          synchronized (turn) {
            inOrder.add(gen.next());
          }
        }
        return null;
      }));
    }
    awaitAll(running);
    for (int i = 1; i < inOrder.size(); i++) {
      assertTrue(inOrder.get(i) > inOrder.get(i - 1), inOrder.get(i - 1) + " then " + inOrder.get(i));
    }
  }

  @Test
  void noDuplicatesAcrossALeaderKill() throws Exception {
    AtomicBoolean killed = new AtomicBoolean();
    AtomicInteger afterKill = new AtomicInteger();
    AtomicInteger total = new AtomicInteger();
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < 3; c++) {
      KeelClient client = client();
      BlockIdGenerator blocks = track(new BlockIdGenerator(client, "/ids/failover-blocks", 5));
      SequentialIdGenerator single = track(new SequentialIdGenerator(client, "/ids/failover-seq"));
      for (Map.Entry<String, Source> e : Map.<String, Source>of(
          blocks.path(), blocks::next, single.path(), single::next).entrySet()) {
        Source source = e.getValue();
        running.addAll(take(e.getKey(), () -> {
          long id = source.next();
          total.incrementAndGet();
          if (killed.get()) {
            afterKill.incrementAndGet();
          }
          return id;
        }, 2, taken -> taken < 5000 && afterKill.get() < 150));
      }
    }
    await("ids before the kill").atMost(Duration.ofSeconds(60)).until(() -> total.get() >= 150);
    int leader = cluster.leaderId();
    cluster.stop(leader);
    killed.set(true);
    cluster.awaitNewLeader(leader, Duration.ofSeconds(60));
    cluster.start(leader);
    awaitAll(running);
    assertTrue(afterKill.get() >= 150, "ids after the kill: " + afterKill);
    assertUniqueAndIncreasing();
  }

  @Test
  void writesWithUnknownOutcomesAreRiddenOut() throws Exception {
    KeelClient client = client();
    SequentialIdGenerator seq = track(new SequentialIdGenerator(client, "/ids/unknown-seq"));
    BlockIdGenerator blocks = track(new BlockIdGenerator(client, "/ids/unknown-blocks", 1, false));
    long seqBefore = seq.next();
    long blockBefore = blocks.next();
    // No quorum: the writes time out with their outcome unknown, and the calls give up empty.
    List<Integer> stopped = cluster.nodeIds().subList(0, 2);
    stopped.forEach(cluster::stop);
    try {
      assertEquals(OptionalLong.empty(), seq.tryNext(Duration.ofSeconds(2)));
      assertEquals(OptionalLong.empty(), blocks.tryNext(Duration.ofSeconds(2)));
    } finally {
      for (int id : stopped) {
        cluster.start(id);
      }
    }
    cluster.awaitLeader(Duration.ofSeconds(60));
    long seqAfter = seq.next();
    long blockAfter = blocks.next();
    assertTrue(seqAfter > seqBefore, seqBefore + " then " + seqAfter);
    assertTrue(blockAfter > blockBefore, blockBefore + " then " + blockAfter);
    // Whatever the lost create made was found or deleted: one node left, then none.
    client.sync("/ids/unknown-seq");
    assertEquals(1, client.getChildren("/ids/unknown-seq").size());
    seq.close();
    client.sync("/ids/unknown-seq");
    assertEquals(List.of(), client.getChildren("/ids/unknown-seq"));
  }

  @Test
  void closedGeneratorsLeaveGapsNeverRepeats() throws Exception {
    KeelClient client = client();
    BlockIdGenerator first = track(new BlockIdGenerator(client, "/ids/gaps", 100, false));
    assertEquals(0, first.next());
    assertEquals(1, first.next());
    first.close();
    assertThrows(IllegalStateException.class, first::next);
    BlockIdGenerator second = track(new BlockIdGenerator(client, "/ids/gaps", 10));
    assertEquals(OptionalLong.of(100), second.tryNext(Duration.ofSeconds(30)));
    // The node holds the next unreserved id as text: the second block is reserved ahead.
    client.sync("/ids/gaps");
    long next = Long.parseLong(new String(client.getData("/ids/gaps").data(), StandardCharsets.US_ASCII));
    assertTrue(next == 110 || next == 120, "next unreserved " + next);

    SequentialIdGenerator seq = track(new SequentialIdGenerator(client, "/ids/gaps-seq"));
    long a = seq.next();
    long b = seq.tryNext(Duration.ofSeconds(30)).orElseThrow();
    assertTrue(b > a, a + " then " + b);
  }

  @Test
  void aCounterThatWentBackIsRefusedNotRepeated() throws Exception {
    KeelClient client = client();
    BlockIdGenerator blocks = track(new BlockIdGenerator(client, "/ids/reset", 2, false));
    blocks.next();
    blocks.next();
    client.delete("/ids/reset", -1);  // what the Javadoc says never to do
    KeelException e = assertThrows(KeelException.class, blocks::next);
    assertEquals(KeelException.Code.RUNTIMEINCONSISTENCY, e.code());

    SequentialIdGenerator seq = track(new SequentialIdGenerator(client, "/ids/reset-seq"));
    for (int i = 0; i < 3; i++) {
      seq.next();
    }
    // Its one node goes, then the directory: the counter starts again at 0.
    for (String child : client.getChildren("/ids/reset-seq")) {
      client.delete("/ids/reset-seq/" + child, -1);
    }
    client.delete("/ids/reset-seq", -1);
    KeelException s = assertThrows(KeelException.class, seq::next);
    assertEquals(KeelException.Code.RUNTIMEINCONSISTENCY, s.code());
  }

  @Test
  void theBlockNodeIsReplacedBeforeItsVersionWraps() throws Exception {
    // One writer: with a replacement every 3 writes, racing writers could meet the ABA that the
    // real bound (2^31 writes between a read and its write) rules out.
    String path = "/ids/replaced";
    BlockIdGenerator gen = track(new BlockIdGenerator(client(), path, 1, false, 2));
    for (long expected = 0; expected < 12; expected++) {
      assertEquals(expected, gen.next());
    }
    KeelClient observer = client();
    observer.sync(path);
    Stat stat = observer.exists(path).orElseThrow();
    assertTrue(stat.version() >= 0 && stat.version() <= 2, "version " + stat.version());
    assertEquals(12, Long.parseLong(new String(observer.getData(path).data(), StandardCharsets.US_ASCII)));
  }

  @Test
  void badArgumentsAreRefused() {
    KeelClient client = client();
    assertEquals(KeelException.Code.BADARGUMENTS,
        assertThrows(KeelException.class, () -> new BlockIdGenerator(client, "/ids/x", 0)).code());
    assertEquals(KeelException.Code.BADARGUMENTS,
        assertThrows(KeelException.class, () -> new SequentialIdGenerator(client, "/")).code());
    assertEquals(KeelException.Code.BADARGUMENTS,
        assertThrows(KeelException.class, () -> new SequentialIdGenerator(null, "/ids/y")).code());
    client.create("/ids-text", "not a number".getBytes(StandardCharsets.US_ASCII), CreateMode.PERSISTENT);
    BlockIdGenerator onText = track(new BlockIdGenerator(client, "/ids-text", 10));
    assertEquals(KeelException.Code.MARSHALLINGERROR, assertThrows(KeelException.class, onText::next).code());
  }
}
