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
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link DoubleBarrier} on a shared history: every member records, on one global counter, when it
 * called and when it returned from enter and leave; no return may come before the last call.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DoubleBarrierTest {
  static final Duration LONG = Duration.ofSeconds(60);
  static KeelTestCluster cluster;
  static KeelClient observer;
  final List<KeelClient> clients = new ArrayList<>();
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
  }

  static KeelClient connect() {
    return KeelClient.builder(cluster.connectString())
        .sessionTimeout(Duration.ofSeconds(4)).build();
  }

  /** Members on clients of their own. */
  List<DoubleBarrier> members(String path, int count, int memberCount) {
    List<DoubleBarrier> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      KeelClient c = connect();
      clients.add(c);
      out.add(new DoubleBarrier(c, path, memberCount, "m" + i));
    }
    return out;
  }

  /** The ticks of one member's calls and returns, on the shared counter. */
  static final class Trace {
    volatile long enterCalled;
    volatile long entered;
    volatile long leaveCalled;
    volatile long left;
  }

  static void assertBarrierHeld(List<Trace> traces) {
    long lastEnterCall = traces.stream().mapToLong(t -> t.enterCalled).max().orElseThrow();
    long firstEntered = traces.stream().mapToLong(t -> t.entered).min().orElseThrow();
    long lastLeaveCall = traces.stream().mapToLong(t -> t.leaveCalled).max().orElseThrow();
    long firstLeft = traces.stream().mapToLong(t -> t.left).min().orElseThrow();
    assertTrue(lastEnterCall < firstEntered,
        "a member passed enter (tick " + firstEntered + ") before the last one called it ("
            + lastEnterCall + ")");
    assertTrue(lastLeaveCall < firstLeft,
        "a member passed leave (tick " + firstLeft + ") before the last one called it ("
            + lastLeaveCall + ")");
  }

  void awaitGone(String path) {
    await().atMost(Duration.ofSeconds(20)).until(() -> observer.exists(path).isEmpty());
  }

  @Test
  void nobodyPassesEnterBeforeAllArriveNorLeaveBeforeAllLeave() throws Exception {
    String path = "/double/history";
    int n = 5;
    List<DoubleBarrier> members = members(path, n, n);
    AtomicLong clock = new AtomicLong();
    // Members arrive one after the other, and leave in another order (the lowest name, m0, in the
    // middle), each once the one before has made its call: the early ones really wait.
    int[] arrivals = {0, 1, 2, 3, 4};
    int[] departures = {3, 1, 0, 4, 2};
    List<CountDownLatch> mayEnter = latches(n);
    List<CountDownLatch> mayLeave = latches(n);
    List<Trace> traces = new ArrayList<>();
    List<Future<?>> runs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      DoubleBarrier m = members.get(i);
      Trace t = new Trace();
      traces.add(t);
      int arrival = indexOf(arrivals, i);
      int departure = indexOf(departures, i);
      runs.add(pool.submit((Callable<Void>) () -> {
        mayEnter.get(arrival).await();
        t.enterCalled = clock.incrementAndGet();
        if (arrival + 1 < n) {
          mayEnter.get(arrival + 1).countDown();
        }
        m.enter();
        t.entered = clock.incrementAndGet();
        mayLeave.get(departure).await();
        t.leaveCalled = clock.incrementAndGet();
        if (departure + 1 < n) {
          mayLeave.get(departure + 1).countDown();
        }
        m.leave();
        t.left = clock.incrementAndGet();
        return null;
      }));
    }
    mayEnter.get(0).countDown();
    // Everyone is in before anyone starts to leave, so the leave order is the one chosen above.
    await().atMost(Duration.ofSeconds(60))
        .until(() -> traces.stream().allMatch(t -> t.entered > 0));
    mayLeave.get(0).countDown();
    for (Future<?> r : runs) {
      r.get(60, TimeUnit.SECONDS);
    }
    assertBarrierHeld(traces);
    awaitGone(path);
  }

  static List<CountDownLatch> latches(int n) {
    List<CountDownLatch> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new CountDownLatch(1));
    }
    return out;
  }

  static int indexOf(int[] order, int member) {
    for (int i = 0; i < order.length; i++) {
      if (order[i] == member) {
        return i;
      }
    }
    throw new IllegalArgumentException("member " + member);
  }

  @Test
  void earlyMembersWaitAndArrivalsWakeNobody() throws Exception {
    String path = "/double/herd";
    int n = 4;
    List<DoubleBarrier> members = members(path, n, n);
    List<Future<Boolean>> entering = new ArrayList<>();
    for (int i = 0; i < n - 1; i++) {
      DoubleBarrier m = members.get(i);
      entering.add(pool.submit(() -> m.enter(LONG)));
      await().atMost(Duration.ofSeconds(20)).until(() -> {
        observer.sync(path);
        return observer.exists(path + "/" + m.nodeName()).isPresent();
      });
    }
    for (int i = 0; i < n - 1; i++) {
      assertFalse(entering.get(i).isDone(), "entered with too few members");
      assertEquals(0, members.get(i).wakeups(), "an arrival woke a waiting member");
    }
    assertTrue(members.get(n - 1).enter(LONG));
    for (Future<Boolean> e : entering) {
      assertTrue(e.get(30, TimeUnit.SECONDS));
    }
    for (int i = 0; i < n - 1; i++) {
      assertTrue(members.get(i).wakeups() <= 1, "woken " + members.get(i).wakeups() + " times");
    }
    List<Future<Boolean>> leaving = new ArrayList<>();
    for (DoubleBarrier m : members) {
      leaving.add(pool.submit(() -> m.leave(LONG)));
    }
    for (Future<Boolean> l : leaving) {
      assertTrue(l.get(30, TimeUnit.SECONDS));
    }
    awaitGone(path);
  }

  @Test
  void thePathServesRoundAfterRound() throws Exception {
    String path = "/double/rounds";
    int n = 3;
    int rounds = 4;
    List<DoubleBarrier> members = members(path, n, n);
    AtomicLong clock = new AtomicLong();
    List<List<Trace>> history = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      List<Trace> round = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        round.add(new Trace());
      }
      history.add(round);
    }
    List<Future<?>> runs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      DoubleBarrier m = members.get(i);
      int me = i;
      runs.add(pool.submit((Callable<Void>) () -> {
        for (int r = 0; r < rounds; r++) {
          Trace t = history.get(r).get(me);
          t.enterCalled = clock.incrementAndGet();
          assertTrue(m.enter(LONG), "round " + r);
          t.entered = clock.incrementAndGet();
          t.leaveCalled = clock.incrementAndGet();
          assertTrue(m.leave(LONG), "round " + r);
          t.left = clock.incrementAndGet();
        }
        return null;
      }));
    }
    for (Future<?> r : runs) {
      r.get(90, TimeUnit.SECONDS);
    }
    for (List<Trace> round : history) {
      assertBarrierHeld(round);
    }
    awaitGone(path);
  }

  @Test
  void timeoutsReturnFalseAndTheMemberLeaves() throws Exception {
    String path = "/double/timeouts";
    List<DoubleBarrier> members = members(path, 2, 2);
    DoubleBarrier a = members.get(0);
    DoubleBarrier b = members.get(1);
    assertFalse(a.enter(Duration.ofMillis(300)));
    assertFalse(a.isEntered());
    observer.sync(path);
    assertTrue(observer.exists(path + "/" + a.nodeName()).isEmpty(),
        "a timed-out member left its node");
    assertThrows(IllegalStateException.class, () -> a.leave(LONG));

    Future<Boolean> aEnters = pool.submit(() -> a.enter(LONG));
    assertTrue(b.enter(LONG));
    assertTrue(aEnters.get(30, TimeUnit.SECONDS));
    // b gives up on leaving while a is still in: false, and b is out.
    assertFalse(b.leave(Duration.ofMillis(300)));
    observer.sync(path);
    assertTrue(observer.exists(path + "/" + b.nodeName()).isEmpty());
    // a no longer waits for b.
    assertTrue(a.leave(LONG));
    awaitGone(path);
  }

  @Test
  void aMemberThatDiesBetweenEnterAndLeaveCountsAsLeft() throws Exception {
    String path = "/double/death";
    int n = 3;
    List<DoubleBarrier> members = members(path, n, n);
    List<Future<Boolean>> entering = new ArrayList<>();
    for (DoubleBarrier m : members) {
      entering.add(pool.submit(() -> m.enter(LONG)));
    }
    for (Future<Boolean> e : entering) {
      assertTrue(e.get(30, TimeUnit.SECONDS));
    }
    cluster.expireSession(clients.get(2).sessionId(), Duration.ofSeconds(30));
    List<Future<Boolean>> leaving = new ArrayList<>();
    for (int i = 0; i < n - 1; i++) {
      DoubleBarrier m = members.get(i);
      leaving.add(pool.submit(() -> m.leave(LONG)));
    }
    for (Future<Boolean> l : leaving) {
      assertTrue(l.get(30, TimeUnit.SECONDS));
    }
    assertThrows(KeelException.class, () -> members.get(2).leave(LONG));
    awaitGone(path);
  }

  @Test
  void aMemberThatDiesBeforeTheRoundOpensDoesNotCount() throws Exception {
    String path = "/double/early-death";
    List<DoubleBarrier> members = members(path, 4, 3);
    Future<Boolean> first = pool.submit(() -> members.get(0).enter(LONG));
    Future<Boolean> doomed = pool.submit(() -> members.get(1).enter(LONG));
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      observer.sync(path);
      return observer.exists(path).isPresent() && observer.getChildren(path).size() == 2;
    });
    cluster.expireSession(clients.get(1).sessionId(), Duration.ofSeconds(30));
    assertThrows(Exception.class, () -> doomed.get(30, TimeUnit.SECONDS));
    Future<Boolean> third = pool.submit(() -> members.get(2).enter(LONG));
    assertFalse(first.isDone(), "entered with a dead member counted");
    assertTrue(members.get(3).enter(LONG));
    assertTrue(first.get(30, TimeUnit.SECONDS));
    assertTrue(third.get(30, TimeUnit.SECONDS));
    List<Future<Boolean>> leaving = new ArrayList<>();
    for (int i : new int[] {0, 2, 3}) {
      DoubleBarrier m = members.get(i);
      leaving.add(pool.submit(() -> m.leave(LONG)));
    }
    for (Future<Boolean> l : leaving) {
      assertTrue(l.get(30, TimeUnit.SECONDS));
    }
    awaitGone(path);
  }

  @Test
  void aRoundWhoseMembersAllDiedLetsNobodyThroughLater() throws Exception {
    String path = "/double/all-dead";
    List<DoubleBarrier> dead = members(path, 2, 2);
    Future<Boolean> first = pool.submit(() -> dead.get(0).enter(LONG));
    assertTrue(dead.get(1).enter(LONG));
    assertTrue(first.get(30, TimeUnit.SECONDS));
    cluster.expireSession(clients.get(0).sessionId(), Duration.ofSeconds(30));
    cluster.expireSession(clients.get(1).sessionId(), Duration.ofSeconds(30));
    // The round they opened is still written in the container until the server reaps it.
    List<DoubleBarrier> next = members(path, 2, 2);
    assertFalse(next.get(0).enter(Duration.ofMillis(300)), "passed on the dead members' round");
    Future<Boolean> again = pool.submit(() -> next.get(0).enter(LONG));
    assertTrue(next.get(1).enter(LONG));
    assertTrue(again.get(30, TimeUnit.SECONDS));
    Future<Boolean> leaving = pool.submit(() -> next.get(0).leave(LONG));
    assertTrue(next.get(1).leave(LONG));
    assertTrue(leaving.get(30, TimeUnit.SECONDS));
    awaitGone(path);
  }

  @Test
  void closeWakesABlockedMemberAndRemovesItsNode() throws Exception {
    String path = "/double/close";
    DoubleBarrier m = members(path, 1, 2).get(0);
    Future<Boolean> entering = pool.submit(() -> m.enter(LONG));
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      observer.sync(path);
      return observer.exists(path + "/" + m.nodeName()).isPresent();
    });
    m.close();
    m.close();
    assertFalse(entering.get(30, TimeUnit.SECONDS));
    assertThrows(IllegalStateException.class, () -> m.enter(LONG));
    awaitGone(path);
  }

  @Test
  void badArgumentsAreRefused() {
    KeelClient c = observer;
    assertEquals(KeelException.Code.BADARGUMENTS,
        assertThrows(KeelException.class, () -> new DoubleBarrier(c, "/d", 0)).code());
    assertThrows(KeelException.class, () -> new DoubleBarrier(c, "/d", 2, "a/b"));
    assertThrows(KeelException.class, () -> new DoubleBarrier(c, "d", 2));
  }
}
