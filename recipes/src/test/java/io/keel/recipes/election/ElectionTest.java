package io.keel.recipes.election;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What users of either election style rely on, on one shared cluster, one path per test. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ElectionTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final AtomicInteger PATHS = new AtomicInteger();
  static KeelTestCluster cluster;
  static KeelClient observer;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).build();
    cluster.awaitLeader(Duration.ofSeconds(60));
    observer = KeelClient.connect(cluster.connectString());
  }

  @AfterAll
  static void stopCluster() {
    if (observer != null) {
      observer.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  static String newPath(Style style) {
    return "/election/" + style.name().toLowerCase() + "-" + PATHS.incrementAndGet();
  }

  /** Starts contenders one after another, each in line before the next starts. */
  static List<Contender> line(Style style, String path, History history, String... ids)
      throws InterruptedException {
    List<Contender> out = new ArrayList<>();
    for (String id : ids) {
      Contender c = new Contender(cluster, style, path, id, history).start();
      out.add(c);
      await().atMost(WAIT).until(() -> c.election.participants().stream().anyMatch(p -> p.id().equals(id)));
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(Style.class)
  void tokensGrowAcrossTermsResignsAndReElection(Style style) throws Exception {
    String path = newPath(style);
    History history = new History();
    List<Contender> all = line(style, path, history, "a", "b");
    Contender a = all.get(0);
    Contender b = all.get(1);
    try {
      Leadership first = a.election.awaitLeadership(WAIT).orElseThrow();
      assertEquals("a", first.participantId());
      observer.create(path + "-data", null, CreateMode.PERSISTENT);
      // Under the term, a guarded write commits.
      first.guardedMulti(List.of(Op.setData(path + "-data", "a".getBytes(), -1)));

      assertTrue(a.election.resign());
      assertFalse(a.election.hasLeadership());
      assertFalse(first.isCurrent());
      Leadership second = b.election.awaitLeadership(WAIT).orElseThrow();
      assertTrue(second.fencingToken() > first.fencingToken(), first + " then " + second);
      // The resigned term's guard fails: another term began.
      assertThrows(KeelException.class, () -> first.guardedMulti(
          List.of(Op.setData(path + "-data", "stale".getBytes(), -1))));
      assertEquals("a", new String(observer.getData(path + "-data").data()));

      // b resigns in turn; a rejoined at the back, so it leads again, with a larger token.
      second.close();
      Leadership third = a.election.awaitLeadership(WAIT).orElseThrow();
      assertTrue(third.fencingToken() > second.fencingToken(), second + " then " + third);
      assertThrows(KeelException.class, () -> observer.multi(List.of(second.guard())));
      observer.multi(List.of(third.guard()));

      // Alone in the election, a resigning leader leads again at once, in a new term.
      b.close();
      assertTrue(a.election.resign());
      Leadership fourth = a.election.awaitLeadership(WAIT).orElseThrow();
      assertTrue(fourth.fencingToken() > third.fencingToken(), third + " then " + fourth);
      assertThrows(KeelException.class, () -> observer.multi(List.of(third.guard())));
      a.stopRecording();
      history.assertOneLeaderAtATime();
    } finally {
      all.forEach(Contender::close);
      observer.delete(path + "-data", -1);
    }
  }

  @ParameterizedTest
  @EnumSource(Style.class)
  void leadersThatResignAtOnceAlternateWithGrowingTokens(Style style) throws Exception {
    String path = newPath(style);
    History history = new History();
    List<Contender> all = line(style, path, history, "a", "b");
    AtomicInteger resignsLeft = new AtomicInteger(12);
    List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
    try {
      for (Contender c : all) {
        // Resigning from isLeader itself: the next term may begin and end before anyone looks.
        c.election.addListener(new LeadershipListener() {
          @Override
          public void isLeader(Leadership term) {
            order.add(c.id);
            if (resignsLeft.getAndDecrement() > 0) {
              term.close();
            }
          }

          @Override
          public void notLeader() {
          }
        });
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> resignsLeft.get() < 0);
      awaitSomeLeader(all);
      for (int i = 1; i < order.size(); i++) {
        assertTrue(!order.get(i).equals(order.get(i - 1)), "the resigner led again: " + order);
      }
      assertTrue(order.size() >= 13, "leaders: " + order);
      all.forEach(Contender::stopRecording);
      history.assertOneLeaderAtATime();
    } finally {
      all.forEach(Contender::close);
    }
  }

  @Test
  void resignHandsLeadershipToTheNextInLine() throws Exception {
    String path = newPath(Style.SEQUENTIAL);
    List<Contender> all = line(Style.SEQUENTIAL, path, null, "a", "b", "c");
    try {
      assertEquals(List.of("a", "b", "c"), all.get(0).election.participants().stream()
          .map(Participant::id).toList());
      assertEquals(List.of(true, false, false), all.get(2).election.participants().stream()
          .map(Participant::leader).toList());
      all.get(0).election.awaitLeadership(WAIT).orElseThrow();
      assertEquals(Optional.of("a"), all.get(2).election.currentLeaderId());

      all.get(0).election.resign();
      all.get(1).election.awaitLeadership(WAIT).orElseThrow();
      assertFalse(all.get(2).election.hasLeadership());
      assertEquals(Optional.of("b"), all.get(0).election.currentLeaderId());
      assertEquals(List.of("b", "c", "a"), all.get(0).election.participants().stream()
          .map(Participant::id).toList());
    } finally {
      all.forEach(Contender::close);
    }
  }

  @Test
  void anEphemeralResignerLetsAnotherWaitingParticipantLead() throws Exception {
    String path = newPath(Style.EPHEMERAL);
    List<Contender> all = line(Style.EPHEMERAL, path, null, "a", "b", "c");
    try {
      Contender leader = awaitSomeLeader(all);
      assertEquals(Optional.of(leader.id), all.get(0).election.currentLeaderId());
      List<Participant> ps = all.get(1).election.participants();
      assertEquals(List.of("a", "b", "c"), ps.stream().map(Participant::id).toList());
      assertEquals(List.of(leader.id), ps.stream().filter(Participant::leader).map(Participant::id).toList());

      assertTrue(leader.election.resign());
      Contender next = awaitSomeLeader(all);
      assertTrue(next != leader, "the resigner took the lead again while others waited");
    } finally {
      all.forEach(Contender::close);
    }
  }

  static Contender awaitSomeLeader(List<Contender> all) {
    Contender[] found = new Contender[1];
    await().atMost(WAIT).until(() -> {
      for (Contender c : all) {
        if (c.election.hasLeadership()) {
          found[0] = c;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  @ParameterizedTest
  @EnumSource(Style.class)
  void guardFailsOnceTheLeadersSessionIsGone(Style style) throws Exception {
    String path = newPath(style);
    List<Contender> all = line(style, path, null, "a", "b");
    try {
      Leadership term = all.get(0).election.awaitLeadership(WAIT).orElseThrow();
      observer.multi(List.of(term.guard()));
      all.get(0).kill(cluster);
      Leadership next = all.get(1).election.awaitLeadership(WAIT).orElseThrow();
      assertTrue(next.fencingToken() > term.fencingToken());
      KeelException e = assertThrows(KeelException.class, () -> observer.multi(List.of(term.guard())));
      assertEquals(KeelException.Code.NONODE, e.code());
    } finally {
      all.forEach(Contender::close);
    }
  }

  @ParameterizedTest
  @EnumSource(Style.class)
  void awaitLeadershipTimesOutWhileAnotherLeads(Style style) throws Exception {
    String path = newPath(style);
    List<Contender> all = line(style, path, null, "a", "b");
    try {
      all.get(0).election.awaitLeadership(WAIT).orElseThrow();
      long start = System.nanoTime();
      assertEquals(Optional.empty(), all.get(1).election.awaitLeadership(Duration.ofMillis(500)));
      assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(500));
      assertFalse(all.get(1).election.hasLeadership());
      all.get(0).close();
      assertTrue(all.get(1).election.awaitLeadership(WAIT).isPresent());
    } finally {
      all.forEach(Contender::close);
    }
  }

  @ParameterizedTest
  @EnumSource(Style.class)
  void closeLeavesNoZnodeBehind(Style style) throws Exception {
    String path = newPath(style);
    List<Contender> all = line(style, path, null, "a", "b", "c");
    try {
      Contender leader = awaitSomeLeader(all);
      leader.election.close();
      Contender next = awaitSomeLeader(all);
      assertTrue(next != leader);
      observer.sync(path);
      assertEquals(style == Style.SEQUENTIAL ? 2 : 3, ephemeralsUnder(path).size());
      // Elections closed, clients still open: the nodes go with the elections, not the sessions.
      all.forEach(c -> c.election.close());
      observer.sync(path);
      assertEquals(List.of(), ephemeralsUnder(path));
      // The directories are containers: the server removes them once their last child is gone.
      await().atMost(WAIT).until(() -> {
        observer.sync(path);
        return observer.exists(path).isEmpty();
      });
    } finally {
      all.forEach(Contender::close);
    }
  }

  /** Ephemeral nodes (positive owner: a session) at any depth under {@code path}. */
  static List<String> ephemeralsUnder(String path) {
    List<String> found = new ArrayList<>();
    List<String> children;
    try {
      children = observer.getChildren(path);
    } catch (KeelException.NoNodeException e) {
      return found;
    }
    for (String child : children) {
      String p = path + "/" + child;
      observer.exists(p).ifPresent(stat -> {
        if (stat.ephemeralOwner() > 0) {
          found.add(p);
        }
      });
      found.addAll(ephemeralsUnder(p));
    }
    return found;
  }

  @Test
  void listenersRunInOrderOnTheElectionsThreadAndHandOffWaitsForThem() throws Exception {
    String path = newPath(Style.SEQUENTIAL);
    List<Contender> all = line(Style.SEQUENTIAL, path, null, "a", "b");
    Contender a = all.get(0);
    Contender b = all.get(1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch blocked = new CountDownLatch(1);
    try {
      a.election.awaitLeadership(WAIT).orElseThrow();
      await().atMost(WAIT).until(() -> a.calls.size() == 1);
      // A listener added mid-term hears of the term; one that blocks holds back only listeners.
      List<String> late = new java.util.concurrent.CopyOnWriteArrayList<>();
      a.election.addListener(new LeadershipListener() {
        @Override
        public void isLeader(Leadership term) {
          late.add("isLeader");
          blocked.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }

        @Override
        public void notLeader() {
          late.add("notLeader");
        }
      });
      assertTrue(blocked.await(30, TimeUnit.SECONDS));
      assertTrue(a.election.resign());
      assertFalse(a.election.hasLeadership());
      // The hand-off waits for a's notLeader, which waits for the blocked listener.
      assertEquals(Optional.empty(), b.election.awaitLeadership(Duration.ofSeconds(2)));
      release.countDown();
      b.election.awaitLeadership(WAIT).orElseThrow();
      await().atMost(WAIT).until(() -> late.size() == 2);
      assertEquals(List.of("isLeader", "notLeader"), late);
      assertEquals(List.of("isLeader", "notLeader"), a.calls);
      for (String thread : a.threads) {
        assertTrue(thread.startsWith("keel-election-listener-"), thread);
      }
    } finally {
      release.countDown();
      all.forEach(Contender::close);
    }
  }

  @Test
  void lifecycleAndArgumentsAreChecked() throws Exception {
    try (KeelClient client = KeelClient.connect(cluster.connectString())) {
      assertThrows(KeelException.BadArgumentsException.class, () -> new LeaderElection(client, "x", "a"));
      assertThrows(KeelException.BadArgumentsException.class, () -> new LeaderElection(client, "/", "a"));
      assertThrows(KeelException.BadArgumentsException.class,
          () -> new EphemeralLeaderElection(client, "/e/", "a"));
      assertThrows(KeelException.BadArgumentsException.class, () -> new LeaderElection(client, "/e", ""));
      assertThrows(KeelException.BadArgumentsException.class, () -> new LeaderElection(null, "/e", "a"));

      Election e = new LeaderElection(client, newPath(Style.SEQUENTIAL), "a");
      assertThrows(IllegalStateException.class, () -> e.awaitLeadership(Duration.ZERO));
      e.start();
      assertThrows(IllegalStateException.class, e::start);
      assertTrue(e.awaitLeadership(WAIT).isPresent());
      e.close();
      e.close();
      assertFalse(e.hasLeadership());
      assertFalse(e.resign());
      assertThrows(IllegalStateException.class, () -> e.awaitLeadership(Duration.ZERO));
    }
  }

  @ParameterizedTest
  @EnumSource(Style.class)
  void aLostSessionEndsTheElection(Style style) throws Exception {
    String path = newPath(style);
    Contender a = new Contender(cluster, style, path, "a", null).start();
    try {
      a.election.awaitLeadership(WAIT).orElseThrow();
      cluster.expireSession(a.client.sessionId(), WAIT);
      await().atMost(WAIT).until(() -> !a.election.hasLeadership());
      assertThrows(KeelException.SessionExpiredException.class, () -> a.election.awaitLeadership(WAIT));
      await().atMost(WAIT).until(() -> a.calls.equals(List.of("isLeader", "notLeader")));
    } finally {
      a.close();
    }
  }
}
