package io.keel.watch;

import static io.keel.watch.EventType.HISTORY_GAP;
import static io.keel.watch.EventType.NODE_CHILDREN_CHANGED;
import static io.keel.watch.EventType.NODE_CREATED;
import static io.keel.watch.EventType.NODE_DATA_CHANGED;
import static io.keel.watch.EventType.NODE_DELETED;
import static io.keel.watch.WatchDriver.brief;
import static io.keel.watch.WatchDriver.ev;
import static io.keel.watch.WatchDriver.get;
import static io.keel.watch.WatchKind.CHILD;
import static io.keel.watch.WatchKind.DATA;
import static io.keel.watch.WatchKind.EXIST;
import static io.keel.watch.WatchKind.PERSISTENT;
import static io.keel.watch.WatchKind.PERSISTENT_RECURSIVE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.tree.TreeEvent;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WatchRegistryTest {

  private static final long S = 1;
  private static final long OTHER = 2;

  private final WatchDriver d = new WatchDriver(1000);
  private final WatchRegistry r = d.registry;

  // ------------------------------------------------------------------ dedup and order in an entry

  @Test
  void dataAndChildWatchOnADeletedNodeGiveOneDeleted() {
    d.create("/a");
    r.register(S, "/a", DATA, d.zxid);
    r.register(S, "/a", CHILD, d.zxid);
    r.register(OTHER, "/a", CHILD, d.zxid);
    long z = d.delete("/a");
    assertEquals(List.of(ev(NODE_DELETED, "/a", z)), brief(d.take(S)));
    assertEquals(List.of(ev(NODE_DELETED, "/a", z)), brief(d.take(OTHER)));
    assertEquals(0, r.watchCount());
  }

  @Test
  void overlappingPersistentWatchesGiveOneEventPerChange() {
    d.create("/a");
    r.register(S, "/a", PERSISTENT, d.zxid);
    r.register(S, "/", PERSISTENT_RECURSIVE, d.zxid);
    r.register(S, "/a", DATA, d.zxid);
    long z1 = d.setData("/a");
    long z2 = d.multi(WatchDriver.opSetData("/a"), WatchDriver.opSetData("/a"));
    assertEquals(List.of(ev(NODE_DATA_CHANGED, "/a", z1), ev(NODE_DATA_CHANGED, "/a", z2),
        ev(NODE_DATA_CHANGED, "/a", z2)), brief(d.take(S)));
  }

  @Test
  void aChildDeletionReportsTheChildThenTheParentInEntryOrder() {
    d.create("/a");
    d.create("/a/b");
    d.create("/a/c");
    r.register(S, "/a/b", DATA, d.zxid);
    r.register(S, "/a", CHILD, d.zxid);
    r.register(S, "/a/c", PERSISTENT, d.zxid);
    long z = d.multi(WatchDriver.opSetData("/a/c"), WatchDriver.opDelete("/a/b"), WatchDriver.opDelete("/a/c"));
    assertEquals(List.of(ev(NODE_DATA_CHANGED, "/a/c", z), ev(NODE_DELETED, "/a/b", z),
        ev(NODE_CHILDREN_CHANGED, "/a", z), ev(NODE_DELETED, "/a/c", z)), brief(d.take(S)));
  }

  // ------------------------------------------------------------------ register after a read

  @Test
  void aChangeBetweenTheReadAndTheRegistrationFiresAtOnce() {
    d.create("/a");
    long read = d.readZxid("/a");
    long z = d.setData("/a");
    d.setData("/a");
    r.register(S, "/a", DATA, read);
    assertEquals(List.of(ev(NODE_DATA_CHANGED, "/a", z)), brief(d.take(S)));
    assertEquals(0, r.watchCount());

    long created = d.create("/b");
    r.register(S, "/b", EXIST, created - 1);
    assertEquals(List.of(ev(NODE_CREATED, "/b", created)), brief(d.take(S)));

    // Registered at the current zxid, nothing already applied fires it.
    r.register(S, "/a", DATA, d.zxid);
    assertEquals(List.of(), d.take(S));
    assertEquals(1, r.watchCount());
  }

  @Test
  void aChangeTheReadAlreadySawNeverFiresEvenIfTheRegistryHasNotSeenItYet() {
    d.create("/a");
    // The tree applied the entry and a read saw it, but the apply thread has not told the registry.
    List<TreeEvent> late = d.applyToTreeOnly(io.keel.proto.WriteRequest.newBuilder()
        .setSetData(io.keel.proto.SetDataOp.newBuilder().setPath("/a").setVersion(-1)).build());
    long read = d.readZxid("/a");
    r.register(S, "/a", DATA, read);
    r.applied(d.zxid, late);
    assertEquals(List.of(), d.take(S));
    long z = d.setData("/a");
    assertEquals(List.of(ev(NODE_DATA_CHANGED, "/a", z)), brief(d.take(S)));
  }

  @Test
  void aReplayedChangeNeverGoesBackInZxid() {
    d.create("/a");
    d.create("/x");
    r.register(S, "/x", PERSISTENT, d.zxid);
    long read = d.readZxid("/a");
    d.setData("/a");
    long later = d.setData("/x");
    r.register(S, "/a", DATA, read);
    List<WatchEvent> events = d.take(S);
    assertEquals(List.of(ev(NODE_DATA_CHANGED, "/x", later), ev(NODE_DATA_CHANGED, "/a", later)), brief(events));
    assertTrue(events.get(0).seq() < events.get(1).seq());
  }

  @Test
  void aRegistrationOlderThanTheHistoryGetsAGap() {
    WatchDriver small = new WatchDriver(2);
    small.create("/a");
    long read = small.zxid;
    small.setData("/a");
    small.setData("/a");
    long now = small.setData("/a");
    small.registry.register(S, "/a", DATA, read);
    small.registry.register(S, "/a", PERSISTENT, read);
    assertEquals(List.of(ev(HISTORY_GAP, "/a", now), ev(HISTORY_GAP, "/a", now)), brief(small.take(S)));
    assertEquals(1, small.registry.watchCount(), "the one-shot is used up by its gap, the persistent one stays");
    long next = small.setData("/a");
    assertEquals(List.of(ev(NODE_DATA_CHANGED, "/a", next)), brief(small.take(S)));
  }

  @Test
  void aGapAtRegistrationUsesUpEveryOneShotWatchOnThePathAsTheClientDoes() {
    WatchDriver small = new WatchDriver(2);
    small.create("/a");
    small.registry.register(S, "/a", CHILD, small.zxid);
    long read = small.zxid;
    small.setData("/a");
    small.setData("/a");
    long now = small.setData("/a");
    small.registry.register(S, "/a", DATA, read);
    // The child watch is still set (data changes do not fire it), but the client drops it with
    // the gap, so the server must too.
    assertEquals(List.of(ev(HISTORY_GAP, "/a", now)), brief(small.take(S)));
    assertEquals(0, small.registry.watchCount());
    assertTrue(small.registry.hasSession(S));
    assertFalse(small.registry.hasSession(OTHER));
  }

  @Test
  void aRestoreWithoutHistoryCatchesUpOnChangesAppliedWhileItReadTheStamps() {
    WatchDriver small = new WatchDriver(3);
    small.create("/a");
    long seen = small.zxid;
    for (int i = 0; i < 4; i++) {
      small.create("/x" + i);
    }
    // The view reports /a unchanged, then a change of /a is applied before the registry's lock.
    long[] changed = {0};
    WatchRegistry.NodeView racing = path -> {
      WatchRegistry.NodeStamp stamp = small.view().stamp(path);
      changed[0] = small.setData("/a");
      return stamp;
    };
    small.registry.restore(S, seen, java.util.Map.of("/a", java.util.Set.of(DATA)), racing);
    assertEquals(List.of(ev(NODE_DATA_CHANGED, "/a", changed[0])), brief(small.take(S)));
  }

  // ------------------------------------------------------------------ persistent watches

  @Test
  void persistentAndRecursiveWatchesStayAndDeliverEveryChangeInOrder() {
    d.create("/r");
    r.register(S, "/r", PERSISTENT_RECURSIVE, d.zxid);
    r.register(OTHER, "/r", PERSISTENT, d.zxid);
    List<String> recursive = new java.util.ArrayList<>();
    List<String> persistent = new java.util.ArrayList<>();
    for (int i = 0; i < 500; i++) {
      String child = "/r/c" + (i % 7);
      long z;
      if (d.exists(child)) {
        if (i % 3 == 0) {
          z = d.delete(child);
          recursive.add(ev(NODE_DELETED, child, z));
          persistent.add(ev(NODE_CHILDREN_CHANGED, "/r", z));
        } else {
          z = d.setData(child);
          recursive.add(ev(NODE_DATA_CHANGED, child, z));
        }
      } else {
        z = d.create(child);
        recursive.add(ev(NODE_CREATED, child, z));
        persistent.add(ev(NODE_CHILDREN_CHANGED, "/r", z));
      }
      if (i % 50 == 0) {
        z = d.setData("/r");
        recursive.add(ev(NODE_DATA_CHANGED, "/r", z));
        persistent.add(ev(NODE_DATA_CHANGED, "/r", z));
      }
    }
    List<WatchEvent> got = d.take(S);
    assertEquals(recursive, brief(got));
    assertEquals(persistent, brief(d.take(OTHER)));
    for (int i = 0; i < got.size(); i++) {
      assertEquals(i + 1, got.get(i).seq());
    }
    assertEquals(2, r.watchCount());
  }

  @Test
  void aFullQueueDropsPersistentEventsForAGapButKeepsOneShotOnes() {
    WatchDriver small = new WatchDriver(new WatchRegistry(100, 0, 4));
    small.create("/p");
    small.create("/o");
    small.registry.register(S, "/p", PERSISTENT, small.zxid);
    small.registry.register(S, "/o", DATA, small.zxid);
    small.setData("/p");
    long oneShot = small.setData("/o");
    small.setData("/p");
    small.setData("/p");
    long overflowAt = small.setData("/p");
    long after = small.setData("/p");
    assertEquals(List.of(ev(NODE_DATA_CHANGED, "/o", oneShot), ev(HISTORY_GAP, "/p", overflowAt),
        ev(NODE_DATA_CHANGED, "/p", overflowAt), ev(NODE_DATA_CHANGED, "/p", after)), brief(small.take(S)));
  }

  // ------------------------------------------------------------------ poll and lastSeq

  @Test
  void pollAcknowledgesUpToAfterSeqAndWaitsForTheNextEvent() throws Exception {
    d.create("/a");
    r.register(S, "/a", PERSISTENT, d.zxid);
    assertEquals(0, r.lastSeq(S));
    long z1 = d.setData("/a");
    long z2 = d.setData("/a");
    assertEquals(2, r.lastSeq(S));
    assertEquals(List.of(ev(NODE_DATA_CHANGED, "/a", z1), ev(NODE_DATA_CHANGED, "/a", z2)),
        brief(get(r.poll(S, 0, 10))));
    assertEquals(List.of(ev(NODE_DATA_CHANGED, "/a", z1)), brief(get(r.poll(S, 0, 1))), "maxEvents");
    assertEquals(List.of(ev(NODE_DATA_CHANGED, "/a", z2)), brief(get(r.poll(S, 1, 10))));
    CompletableFuture<List<WatchEvent>> waiting = r.poll(S, 2, 10);
    assertFalse(waiting.isDone());
    long z3 = d.setData("/a");
    assertEquals(List.of(new WatchEvent(3, NODE_DATA_CHANGED, "/a", z3)), get(waiting));
    assertEquals(3, r.lastSeq(S));
    assertEquals(0, r.lastSeq(OTHER));
  }

  @Test
  void aTimedOutPollLosesNothingAndANewPollSupersedesTheOld() throws Exception {
    d.create("/a");
    r.register(S, "/a", PERSISTENT, d.zxid);
    CompletableFuture<List<WatchEvent>> first = r.poll(S, 0, 10);
    first.complete(List.of()); // the caller's timer fired
    long z = d.setData("/a");
    assertEquals(List.of(), first.join());
    CompletableFuture<List<WatchEvent>> again = r.poll(S, 0, 10);
    assertEquals(List.of(ev(NODE_DATA_CHANGED, "/a", z)), brief(get(again)));

    CompletableFuture<List<WatchEvent>> older = r.poll(S, 1, 10);
    CompletableFuture<List<WatchEvent>> newer = r.poll(S, 1, 10);
    assertEquals(List.of(), get(older));
    assertFalse(newer.isDone());
    long z2 = d.setData("/a");
    assertEquals(List.of(ev(NODE_DATA_CHANGED, "/a", z2)), brief(get(newer)));
  }

  @Test
  void aPollAheadOfThisServersNumberingFails() {
    ExecutionException e = assertThrows(ExecutionException.class, () -> get(r.poll(S, 5, 10)));
    assertTrue(e.getCause() instanceof IllegalArgumentException);
    assertThrows(IllegalArgumentException.class, () -> r.poll(S, 0, 0));
  }

  // ------------------------------------------------------------------ restore after failover

  @Test
  void restoreWithHistoryReplaysEveryChangeSinceTheClientsZxid() {
    d.create("/a");
    d.create("/b");
    d.create("/gone");
    d.create("/kids");
    d.create("/same");
    long last = d.zxid;
    long a1 = d.setData("/a");
    long b = d.setData("/b");
    long gone = d.delete("/gone");
    long created = d.create("/new");
    long kids = d.create("/kids/k");
    long a2 = d.setData("/a");

    long base = r.restore(S, last, Map.of(
        "/a", EnumSet.of(PERSISTENT),
        "/b", EnumSet.of(DATA),
        "/gone", EnumSet.of(DATA, CHILD),
        "/new", EnumSet.of(EXIST),
        "/kids", EnumSet.of(CHILD),
        "/same", EnumSet.of(DATA)), d.view());

    assertEquals(0, base);
    assertEquals(List.of(ev(NODE_DATA_CHANGED, "/a", a1), ev(NODE_DATA_CHANGED, "/b", b),
        ev(NODE_DELETED, "/gone", gone), ev(NODE_CREATED, "/new", created),
        ev(NODE_CHILDREN_CHANGED, "/kids", kids), ev(NODE_DATA_CHANGED, "/a", a2)), brief(d.take(S)));
    assertEquals(2, r.watchCount(), "/a's persistent watch and the unchanged /same's data watch stay");
    long same = d.setData("/same");
    assertEquals(List.of(ev(NODE_DATA_CHANGED, "/same", same)), brief(d.take(S)));
  }

  @Test
  void restoreWithoutHistoryAsksTheTreeAndSendsGapsForPersistentWatches() {
    WatchDriver none = new WatchDriver(0);
    WatchRegistry reg = none.registry;
    none.create("/a");
    none.create("/gone");
    none.create("/kids");
    none.create("/same");
    none.create("/p");
    long last = none.zxid;
    long a = none.setData("/a");
    none.delete("/gone");
    long kids = none.create("/kids/k");
    long created = none.create("/new");
    long now = none.zxid;
    assertEquals(created, now, "ties at one zxid come out in path order");

    reg.restore(S, last, Map.of(
        "/a", EnumSet.of(DATA),
        "/gone", EnumSet.of(DATA, CHILD),
        "/kids", EnumSet.of(CHILD),
        "/new", EnumSet.of(EXIST),
        "/absent", EnumSet.of(EXIST),
        "/same", EnumSet.of(DATA, CHILD),
        "/p", EnumSet.of(PERSISTENT_RECURSIVE)), none.view());

    assertEquals(List.of(ev(NODE_DATA_CHANGED, "/a", a), ev(NODE_CHILDREN_CHANGED, "/kids", kids),
        ev(NODE_DELETED, "/gone", now), ev(NODE_CREATED, "/new", created), ev(HISTORY_GAP, "/p", now)),
        brief(none.take(S)));
    assertEquals(4, reg.watchCount(), "/absent, /same x2 and /p stay");
    long p = none.create("/p/x");
    assertEquals(List.of(ev(NODE_CREATED, "/p/x", p)), brief(none.take(S)));
  }

  @Test
  void restoreReplacesTheSessionsStateAndContinuesItsNumbering() throws Exception {
    d.create("/a");
    r.register(S, "/a", PERSISTENT, d.zxid);
    d.setData("/a");
    d.setData("/a");
    CompletableFuture<List<WatchEvent>> stale = r.poll(S, 2, 10);
    long base = r.restore(S, d.zxid, Map.of("/b", Set.of(EXIST)), d.view());
    assertEquals(2, base);
    assertEquals(List.of(), get(stale));
    assertEquals(List.of(), get(r.poll(S, 2, 10).completeOnTimeout(List.of(), 0, TimeUnit.SECONDS)));
    d.setData("/a");
    long b = d.create("/b");
    assertEquals(List.of(new WatchEvent(3, NODE_CREATED, "/b", b)), get(r.poll(S, base, 10)));
  }

  @Test
  void restoreWithAStartZxidAfterTheClientsIsAGap() {
    WatchRegistry restarted = new WatchRegistry(1000, 50);
    restarted.applied(51, List.of());
    restarted.restore(S, 40, Map.of("/p", EnumSet.of(PERSISTENT)), path -> null);
    assertEquals(List.of(new WatchEvent(1, HISTORY_GAP, "/p", 51)), restarted.poll(S, 0, 10).join());
  }

  // ------------------------------------------------------------------ remove and close

  @Test
  void removeWatchesRemovesOneKindOrAll() {
    d.create("/a");
    r.register(S, "/a", DATA, d.zxid);
    r.register(S, "/a", CHILD, d.zxid);
    r.register(S, "/a", PERSISTENT, d.zxid);
    assertTrue(r.remove(S, "/a", DATA));
    assertFalse(r.remove(S, "/a", DATA));
    assertFalse(r.remove(OTHER, "/a", null));
    assertFalse(r.remove(S, "/b", null));
    long z = d.setData("/a");
    assertEquals(List.of(ev(NODE_DATA_CHANGED, "/a", z)), brief(d.take(S)));
    assertTrue(r.remove(S, "/a", null));
    assertEquals(0, r.watchCount());
    d.delete("/a");
    assertEquals(List.of(), d.take(S));
  }

  @Test
  void sessionClosedDropsWatchesAndQueueAndReleasesAPoll() throws Exception {
    d.create("/a");
    r.register(S, "/a", PERSISTENT_RECURSIVE, d.zxid);
    r.register(S, "/a", DATA, d.zxid);
    r.register(OTHER, "/a", PERSISTENT, d.zxid);
    d.setData("/a");
    d.take(S);
    CompletableFuture<List<WatchEvent>> waiting = r.poll(S, 1, 10);
    r.sessionClosed(S);
    assertEquals(List.of(), get(waiting));
    assertEquals(0, r.lastSeq(S));
    assertEquals(1, r.watchCount());
    d.create("/a/b");
    assertEquals(0, r.lastSeq(S));
    assertEquals(2, r.lastSeq(OTHER));
    r.sessionClosed(S); // idempotent
  }

  @Test
  void rejectsBadArgumentsWithoutChangingAnything() {
    assertThrows(IllegalArgumentException.class, () -> r.register(S, "a", DATA, 0));
    assertThrows(NullPointerException.class, () -> r.register(S, "/a", null, 0));
    d.create("/a");
    assertThrows(IllegalArgumentException.class, () -> r.applied(d.zxid, List.of()));
    assertThrows(IllegalArgumentException.class, () -> new WatchRegistry(-1, 0));
    assertThrows(IllegalArgumentException.class, () -> new WatchRegistry(1, 0, 0));
    assertEquals(0, r.watchCount());
  }
}
