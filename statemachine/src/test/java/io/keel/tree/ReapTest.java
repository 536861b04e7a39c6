package io.keel.tree;

import static io.keel.tree.Requests.create;
import static io.keel.tree.Requests.createTtl;
import static io.keel.tree.Requests.delete;
import static io.keel.tree.Requests.multi;
import static io.keel.tree.Requests.opCreate;
import static io.keel.tree.Requests.reap;
import static io.keel.tree.Requests.setData;
import static io.keel.tree.Requests.stat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.proto.Code;
import io.keel.proto.CreateMode;
import io.keel.proto.Response;
import io.keel.proto.Txn;
import io.keel.proto.WriteRequest;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Containers and TTL nodes (DESIGN §3): {@link DataTree#reapable} is what the leader proposes, a
 * reap entry decides again at its own time, and anything that changed in between wins.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReapTest {

  private final TreeDriver t = new TreeDriver();

  private long czxid(String path) {
    return t.stat(path).getCzxid();
  }

  /** A reap that must leave everything as it was, replying done=false. */
  private void refusedReap(String path, long czxid) {
    Response response = t.writeExpectingNoChange(reap(path, czxid));
    assertEquals(Code.OK, response.getErr());
    assertEquals(Response.ResultCase.DONE, response.getResultCase());
    assertFalse(response.getDone());
  }

  @Test
  void aContainerIsReapedOnceItsLastChildIsGone() {
    t.ok(create("/app"));                                         // 1
    t.ok(create("/app/c", CreateMode.CONTAINER));                 // 2
    assertEquals(List.of(), t.tree.reapable(Long.MAX_VALUE), "a container never used stays");
    refusedReap("/app/c", 2);                                     // 3
    t.ok(create("/app/c/x"));                                     // 4
    assertEquals(List.of(), t.tree.reapable(5000), "it has a child");
    refusedReap("/app/c", 2);                                     // 5
    t.ok(delete("/app/c/x", -1));                                 // 6
    assertEquals(List.of(new Reapable("/app/c", 2)), t.tree.reapable(0), "containers do not wait for time");

    t.zxid++;
    Applied applied = t.tree.applyWithEvents(t.zxid, Txn.newBuilder().setTime(t.time + 10)
        .setRequest(reap("/app/c", 2)).build());                  // 7
    assertEquals(Response.newBuilder().setZxid(7).setDone(true).build(), applied.response());
    assertEquals(List.of(new TreeEvent(TreeEvent.Kind.DELETED, "/app/c")), applied.events());
    assertFalse(t.exists("/app/c"));
    // Exactly like a delete: the parent's cversion, pzxid and numChildren.
    assertEquals(stat(1, 1, 1010, 1010, 0, 2, 0, 0, 0, 0, 7), t.stat("/app"));
    assertEquals(List.of(), t.tree.reapable(Long.MAX_VALUE));
    refusedReap("/app/c", 2);                                     // a second reap of the same node
  }

  @Test
  void ttlNodesExpireWhenUnmodifiedForLongerThanTheirTtl() {
    t.ok(createTtl("/t", CreateMode.PERSISTENT_WITH_TTL, 100));                   // 1, time 1010
    t.ok(createTtl("/s-", CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, 50));        // 2, time 1020
    t.ok(create("/p"));                                                           // 3, plain: never
    assertEquals(List.of(), t.tree.reapable(1070));
    assertEquals(List.of(new Reapable("/s-0000000001", 2)), t.tree.reapable(1071));
    assertEquals(List.of(), t.tree.reapable(1000), "a clock behind the node's mtime reaps nothing");
    assertEquals(List.of(new Reapable("/s-0000000001", 2)), t.tree.reapable(1110), "exactly the TTL is not more");
    assertEquals(List.of(new Reapable("/s-0000000001", 2), new Reapable("/t", 1)), t.tree.reapable(1111),
        "sorted by path");
    t.ok(create("/t/child"));                                                     // 4
    assertEquals(List.of(new Reapable("/s-0000000001", 2)), t.tree.reapable(Long.MAX_VALUE),
        "a TTL node with children stays");
    t.ok(delete("/t/child", -1));                                                 // 5, time 1050
    assertEquals(List.of(new Reapable("/s-0000000001", 2), new Reapable("/t", 1)), t.tree.reapable(1111),
        "child changes are not modifications: still expired by mtime 1010");
  }

  @Test
  void aReapChecksAgainAtTheEntrysTime() {
    t.ok(createTtl("/t", CreateMode.PERSISTENT_WITH_TTL, 100));   // 1, time 1010
    assertEquals(List.of(new Reapable("/t", 1)), t.tree.reapable(2000));
    // The entry carries an earlier leader time than the leader's check: not expired yet there.
    t.zxid++;
    Response early = t.tree.apply(t.zxid, Txn.newBuilder().setTime(1100).setRequest(reap("/t", 1)).build());
    assertFalse(early.getDone());
    assertTrue(t.exists("/t"));
    t.time = 1100;
    // Modified in between: the TTL counts from the new mtime.
    t.ok(setData("/t", "x", -1));                                // mtime 1110
    Response afterWrite = t.writeAt(1150, reap("/t", 1));
    assertFalse(afterWrite.getDone());
    assertTrue(t.exists("/t"));
    // And a later entry finds it expired.
    Response due = t.writeAt(1211, reap("/t", 1));
    assertTrue(due.getDone());
    assertFalse(t.exists("/t"));
  }

  @Test
  void theEntrysTimeNeverRunsBackwards() {
    t.ok(createTtl("/t", CreateMode.PERSISTENT_WITH_TTL, 100));   // time 1010
    t.writeAt(5000, Requests.check("/", -1));
    // A leader with a slow clock: the tree's time is still 5000, so the node is expired.
    assertTrue(t.writeAt(900, reap("/t", 1)).getDone());
  }

  @Test
  void aRecreatedNodeIsNotReaped() {
    t.ok(create("/c", CreateMode.CONTAINER));                     // 1
    t.ok(create("/c/x"));                                         // 2
    t.ok(delete("/c/x", -1));                                     // 3
    List<Reapable> due = t.tree.reapable(0);
    assertEquals(List.of(new Reapable("/c", 1)), due);
    t.ok(delete("/c", -1));                                       // someone deletes it...
    t.ok(create("/c", CreateMode.CONTAINER));                     // ...and makes a new one: 5
    t.ok(create("/c/y"));
    t.ok(delete("/c/y", -1));
    assertEquals(List.of(new Reapable("/c", 5)), t.tree.reapable(0));
    refusedReap("/c", 1);                                         // the stale proposal misses
    assertTrue(t.exists("/c"));
    refusedReap("/gone", 1);
    refusedReap("/", 1);
  }

  @Test
  void aContainerThatGotAChildIsNotReaped() {
    t.ok(create("/c", CreateMode.CONTAINER));
    t.ok(create("/c/x"));
    t.ok(delete("/c/x", -1));
    assertEquals(1, t.tree.reapable(0).size());
    t.ok(create("/c/y"));
    refusedReap("/c", 1);
    assertEquals(List.of(), t.tree.reapable(Long.MAX_VALUE));
  }

  @Test
  void onlyContainersAndTtlNodesAreReaped() {
    long session = t.newSession(1000);
    t.ok(create("/p"));
    t.ok(Requests.asSession(session, create("/e", CreateMode.EPHEMERAL)));
    t.ok(create("/q-", CreateMode.PERSISTENT_SEQUENTIAL));
    for (String path : List.of("/p", "/e", "/q-0000000002")) {
      refusedReap(path, czxid(path));
    }
    assertEquals(List.of(), t.tree.reapable(Long.MAX_VALUE));
  }

  @Test
  void reapsIgnoreTheSession() {
    t.ok(createTtl("/t", CreateMode.PERSISTENT_WITH_TTL, 1));
    // No session is needed, and an unknown one does not make it SESSIONEXPIRED; no dedup either.
    WriteRequest reap = Requests.withId(4242, 1, 0, reap("/t", 1));
    assertTrue(t.writeAt(2000, reap).getDone());
    t.ok(createTtl("/t", CreateMode.PERSISTENT_WITH_TTL, 1));     // 3
    assertFalse(t.writeAt(3000, reap).getDone(), "czxid 1 is gone: not the remembered reply");
    assertTrue(t.writeAt(3000, reap("/t", 3)).getDone());
  }

  @Test
  void theIndexFollowsRollbackAndSnapshots() throws IOException {
    t.ok(create("/c", CreateMode.CONTAINER));
    t.ok(create("/c/x"));
    t.ok(delete("/c/x", -1));
    // A failed multi that created a container and a TTL node leaves nothing in the index.
    assertEquals(Code.NODEEXISTS, t.write(multi(opCreate("/d", "", CreateMode.CONTAINER),
        Requests.opCreateTtl("/t", CreateMode.PERSISTENT_WITH_TTL, 1), opCreate("/c"))).getErr());
    assertEquals(List.of(new Reapable("/c", 1)), t.tree.reapable(Long.MAX_VALUE));
    t.ok(createTtl("/t", CreateMode.PERSISTENT_WITH_TTL, 1));
    DataTree restored = TreeDriver.restore(TreeDriver.snapshot(t.tree));
    assertEquals(t.tree.reapable(Long.MAX_VALUE), restored.reapable(Long.MAX_VALUE));
    assertEquals(2, restored.reapable(Long.MAX_VALUE).size());
  }

  @Test
  void reapNeedsAValidPathAndCzxid() {
    assertEquals(Code.BADARGUMENTS, t.writeExpectingNoChange(reap("/a/", 1)).getErr());
    Response noCzxid = t.writeExpectingNoChange(reap("/a", 0));
    assertEquals(Code.BADARGUMENTS, noCzxid.getErr());
    assertEquals("reap czxid 0 for '/a' is invalid: must be > 0", noCzxid.getMessage());
    assertEquals("/a", noCzxid.getPath());
  }
}
