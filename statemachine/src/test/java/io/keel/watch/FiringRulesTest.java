package io.keel.watch;

import static io.keel.watch.EventType.NODE_CHILDREN_CHANGED;
import static io.keel.watch.EventType.NODE_CREATED;
import static io.keel.watch.EventType.NODE_DATA_CHANGED;
import static io.keel.watch.EventType.NODE_DELETED;
import static io.keel.watch.WatchDriver.brief;
import static io.keel.watch.WatchDriver.ev;
import static io.keel.watch.WatchKind.CHILD;
import static io.keel.watch.WatchKind.DATA;
import static io.keel.watch.WatchKind.EXIST;
import static io.keel.watch.WatchKind.PERSISTENT;
import static io.keel.watch.WatchKind.PERSISTENT_RECURSIVE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The firing table: every watch kind on {@code /p/n} against every kind of change to the node, its
 * children, a grandchild, its parent and a sibling, on a real tree. Each row says exactly which
 * events the session gets (type and path; the zxid is always the change's), and that a one-shot
 * watch is gone once it fired and still there when it did not.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FiringRulesTest {

  private static final String N = "/p/n";
  private static final long SESSION = 7;

  /** A change to make, on a tree that holds {@code before}. */
  private record Change(String name, List<String> before, ToLongFunction<WatchDriver> op) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static final Change CREATE = new Change("create node", List.of("/p"), d -> d.create(N));
  private static final Change DELETE = new Change("delete node", List.of("/p", N), d -> d.delete(N));
  private static final Change SET_DATA = new Change("setData node", List.of("/p", N), d -> d.setData(N));
  private static final Change CHILD_CREATE = new Change("create child", List.of("/p", N), d -> d.create(N + "/c"));
  private static final Change CHILD_DELETE =
      new Change("delete child", List.of("/p", N, N + "/c"), d -> d.delete(N + "/c"));
  private static final Change CHILD_SET_DATA =
      new Change("setData child", List.of("/p", N, N + "/c"), d -> d.setData(N + "/c"));
  private static final Change GRANDCHILD_CREATE =
      new Change("create grandchild", List.of("/p", N, N + "/c"), d -> d.create(N + "/c/g"));
  private static final Change GRANDCHILD_DELETE =
      new Change("delete grandchild", List.of("/p", N, N + "/c", N + "/c/g"), d -> d.delete(N + "/c/g"));
  private static final Change PARENT_SET_DATA = new Change("setData parent", List.of("/p", N), d -> d.setData("/p"));
  private static final Change SIBLING_CREATE = new Change("create sibling", List.of("/p", N), d -> d.create("/p/s"));
  private static final Change SIBLING_DELETE =
      new Change("delete sibling", List.of("/p", N, "/p/s"), d -> d.delete("/p/s"));
  private static final Change OTHER_CREATE = new Change("create elsewhere", List.of("/p", N), d -> d.create("/q"));

  /** Expected (type, path) per kind; kinds not named expect nothing. */
  private static Map<WatchKind, List<String>> expect(Object... kindThenEvents) {
    Map<WatchKind, List<String>> out = new EnumMap<>(WatchKind.class);
    WatchKind kind = null;
    for (Object o : kindThenEvents) {
      if (o instanceof WatchKind k) {
        kind = k;
        out.put(k, new ArrayList<>());
      } else {
        out.get(kind).add((String) o);
      }
    }
    return out;
  }

  private static String e(EventType type, String path) {
    return type + " " + path;
  }

  static Stream<Arguments> table() {
    List<Arguments> rows = new ArrayList<>();
    Map<Change, Map<WatchKind, List<String>>> table = new java.util.LinkedHashMap<>();
    table.put(CREATE, expect(DATA, e(NODE_CREATED, N), EXIST, e(NODE_CREATED, N),
        PERSISTENT, e(NODE_CREATED, N), PERSISTENT_RECURSIVE, e(NODE_CREATED, N)));
    table.put(DELETE, expect(DATA, e(NODE_DELETED, N), EXIST, e(NODE_DELETED, N), CHILD, e(NODE_DELETED, N),
        PERSISTENT, e(NODE_DELETED, N), PERSISTENT_RECURSIVE, e(NODE_DELETED, N)));
    table.put(SET_DATA, expect(DATA, e(NODE_DATA_CHANGED, N), EXIST, e(NODE_DATA_CHANGED, N),
        PERSISTENT, e(NODE_DATA_CHANGED, N), PERSISTENT_RECURSIVE, e(NODE_DATA_CHANGED, N)));
    table.put(CHILD_CREATE, expect(CHILD, e(NODE_CHILDREN_CHANGED, N), PERSISTENT, e(NODE_CHILDREN_CHANGED, N),
        PERSISTENT_RECURSIVE, e(NODE_CREATED, N + "/c")));
    table.put(CHILD_DELETE, expect(CHILD, e(NODE_CHILDREN_CHANGED, N), PERSISTENT, e(NODE_CHILDREN_CHANGED, N),
        PERSISTENT_RECURSIVE, e(NODE_DELETED, N + "/c")));
    table.put(CHILD_SET_DATA, expect(PERSISTENT_RECURSIVE, e(NODE_DATA_CHANGED, N + "/c")));
    table.put(GRANDCHILD_CREATE, expect(PERSISTENT_RECURSIVE, e(NODE_CREATED, N + "/c/g")));
    table.put(GRANDCHILD_DELETE, expect(PERSISTENT_RECURSIVE, e(NODE_DELETED, N + "/c/g")));
    table.put(PARENT_SET_DATA, expect());
    table.put(SIBLING_CREATE, expect());
    table.put(SIBLING_DELETE, expect());
    table.put(OTHER_CREATE, expect());
    table.forEach((change, byKind) -> {
      for (WatchKind kind : WatchKind.values()) {
        rows.add(Arguments.of(kind, change, byKind.getOrDefault(kind, List.of())));
      }
    });
    return rows.stream();
  }

  @ParameterizedTest(name = "{0} watch on /p/n, {1}")
  @MethodSource("table")
  void firesExactlyWhatTheTableSays(WatchKind kind, Change change, List<String> expected) {
    WatchDriver d = new WatchDriver(100);
    change.before().forEach(d::create);
    d.registry.register(SESSION, N, kind, d.zxid);
    d.registry.register(SESSION + 1, "/elsewhere", kind, d.zxid); // a bystander that must stay silent

    long zxid = change.op().applyAsLong(d);

    List<String> want = new ArrayList<>();
    for (String typeAndPath : expected) {
      want.add(typeAndPath + " @" + zxid);
    }
    assertEquals(want, brief(d.take(SESSION)));
    assertEquals(List.of(), d.take(SESSION + 1));
    boolean stays = kind.persistent() || expected.isEmpty();
    assertEquals(stays ? 2 : 1, d.registry.watchCount(), "watches left after the change");
    if (!expected.isEmpty()) {
      assertEquals(1, d.registry.lastSeq(SESSION));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("oneShotKinds")
  void oneShotFiresOnceWithTheFirstChangeOfAnEntryAndNeverAgain(WatchKind kind) {
    WatchDriver d = new WatchDriver(100);
    d.create("/p");
    d.registry.register(SESSION, "/p/n", kind, d.zxid);
    // Created, changed, given a child and deleted in one multi: the first event that concerns the
    // watch is its only one.
    long zxid = d.multi(WatchDriver.opCreate(N), WatchDriver.opSetData(N), WatchDriver.opCreate(N + "/c"),
        WatchDriver.opDelete(N + "/c"), WatchDriver.opDelete(N));
    EventType first = kind == CHILD ? NODE_CHILDREN_CHANGED : NODE_CREATED;
    assertEquals(List.of(ev(first, N, zxid)), brief(d.take(SESSION)));
    d.create(N);
    d.setData(N);
    d.create(N + "/c");
    d.delete(N + "/c");
    d.delete(N);
    assertEquals(List.of(), d.take(SESSION));
    assertEquals(0, d.registry.watchCount());
  }

  static Stream<WatchKind> oneShotKinds() {
    return Stream.of(DATA, EXIST, CHILD);
  }
}
