package io.keel.tree;

import static io.keel.tree.Requests.asSession;
import static io.keel.tree.Requests.check;
import static io.keel.tree.Requests.closeSession;
import static io.keel.tree.Requests.create;
import static io.keel.tree.Requests.delete;
import static io.keel.tree.Requests.multi;
import static io.keel.tree.Requests.opCreate;
import static io.keel.tree.Requests.opSetData;
import static io.keel.tree.Requests.setData;
import static io.keel.tree.Requests.withId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.proto.Code;
import io.keel.proto.CreateMode;
import io.keel.proto.Response;
import io.keel.proto.WriteRequest;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Exactly-once writes (DESIGN §2): a retry of an applied request returns the first reply and
 * changes nothing but lastZxid/lastTime, which {@link TreeDriver#writeExpectingNoChange} checks
 * against a twin tree that applied a no-op at the same zxid and time.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExactlyOnceTest {

  private final TreeDriver t = new TreeDriver();
  private final long s = t.newSession(5000);   // zxid 1

  private Response retried(Response first, WriteRequest request) {
    Response again = t.writeExpectingNoChange(request);
    assertEquals(first, again, "a retry gets the first reply, zxid included");
    return again;
  }

  @Test
  void retryOfACreateReturnsTheFirstReply() {
    WriteRequest request = withId(s, 1, 0, create("/q-", CreateMode.PERSISTENT_SEQUENTIAL));
    Response first = t.ok(request);
    assertEquals("/q-0000000000", first.getCreate().getPath());
    retried(first, request);
    retried(first, request);
    assertEquals(2, t.tree.nodeCount(), "one node, not three");
    // Retries of an ephemeral create too: the session still owns one node.
    WriteRequest ephemeral = withId(s, 2, 0, create("/e", CreateMode.EPHEMERAL));
    Response created = t.ok(ephemeral);
    retried(created, ephemeral);
    assertEquals(List.of("/e"), t.read(Requests.getEphemerals(s, "/")).getPaths().getPathsList());
  }

  @Test
  void retryOfASetDataAppliesItOnce() {
    t.ok(create("/x"));
    WriteRequest request = withId(s, 7, 0, setData("/x", "v1", -1));
    Response first = t.ok(request);
    assertEquals(1, first.getStat().getVersion());
    t.ok(setData("/x", "v2", -1));                        // someone else writes in between
    retried(first, request);
    assertEquals(2, t.stat("/x").getVersion());
    assertEquals("v2", t.read(Requests.getData("/x")).getData().getData().toStringUtf8());
  }

  @Test
  void retryOfAMultiReturnsTheFirstResults() {
    WriteRequest request = withId(s, 1, 0, multi(opCreate("/m"), opSetData("/m", "d", 0), opCreate("/m/c")));
    Response first = t.ok(request);
    assertEquals(3, first.getMulti().getResultsCount());
    retried(first, request);
    assertEquals(1, t.stat("/m").getVersion());
    // A failed multi is remembered too, with its per-op results.
    WriteRequest failing = withId(s, 2, 0, multi(opCreate("/n"), opCreate("/m")));
    Response failed = t.write(failing);
    assertEquals(Code.NODEEXISTS, failed.getErr());
    assertFalse(t.exists("/n"));
    t.ok(delete("/m/c", -1));
    t.ok(delete("/m", -1));                               // the multi would succeed now...
    retried(failed, failing);                             // ...but the retry gets the first answer
    assertFalse(t.exists("/n"));
  }

  @Test
  void aFailedWriteIsRememberedAsFailed() {
    WriteRequest request = withId(s, 3, 0, setData("/later", "x", -1));
    Response first = t.write(request);
    assertEquals(Code.NONODE, first.getErr());
    t.ok(create("/later"));
    retried(first, request);
    assertEquals(0, t.stat("/later").getVersion());
  }

  @Test
  void answeredBelowForgetsOlderReplies() {
    Response r1 = t.ok(withId(s, 1, 0, create("/a")));
    Response r2 = t.ok(withId(s, 2, 0, create("/b")));
    Response r3 = t.ok(withId(s, 3, 0, create("/c")));
    t.ok(withId(s, 4, 3, create("/d")));                  // the client holds the replies of 1 and 2
    retried(r3, withId(s, 3, 0, create("/c")));
    for (long forgotten : new long[] {1, 2}) {
      Response refused = t.writeExpectingNoChange(withId(s, forgotten, 0, create("/zzz")));
      assertEquals(Code.RUNTIMEINCONSISTENCY, refused.getErr());
      assertEquals(t.zxid, refused.getZxid());
      assertTrue(refused.getMessage().startsWith("request " + forgotten + " of session 0x" + Long.toHexString(s)
          + " was already answered"), refused.getMessage());
    }
    // answered_below never moves back: a later request carrying 0 does not resurrect anything.
    t.ok(withId(s, 5, 0, create("/e")));
    assertEquals(Code.RUNTIMEINCONSISTENCY, t.writeExpectingNoChange(withId(s, 2, 0, create("/b"))).getErr());
    assertFalse(t.exists("/zzz"));
    assertTrue(r1.getErr() == Code.OK && r2.getErr() == Code.OK);
  }

  @Test
  void aRequestBelowItsOwnAnsweredBelowIsRefused() {
    // Never applied, but the client says it holds its reply: contradictory, so refused unapplied.
    Response refused = t.writeExpectingNoChange(withId(s, 2, 5, create("/a")));
    assertEquals(Code.RUNTIMEINCONSISTENCY, refused.getErr());
    assertFalse(t.exists("/a"));
    // And the refused request did not raise the session's answered_below.
    Response first = t.ok(withId(s, 3, 0, create("/b")));
    retried(first, withId(s, 3, 0, create("/b")));
  }

  @Test
  void atMostTenThousandRepliesPerSession() {
    int max = SessionTable.MAX_REMEMBERED;
    assertEquals(10_000, max);
    for (long id = 2; id <= max + 2; id++) {              // ids 2..10002: one too many
      t.ok(withId(s, id, 0, check("/", -1)));
    }
    // The smallest id was dropped and is refused; the next one is still remembered.
    assertEquals(Code.RUNTIMEINCONSISTENCY, t.writeExpectingNoChange(withId(s, 2, 0, check("/", -1))).getErr());
    assertEquals(Code.OK, t.writeExpectingNoChange(withId(s, 3, 0, check("/", -1))).getErr());
    // An id below the dropped one, never seen, cannot be told from a dropped one: refused too.
    assertEquals(Code.RUNTIMEINCONSISTENCY, t.writeExpectingNoChange(withId(s, 1, 0, create("/a"))).getErr());
    assertFalse(t.exists("/a"));
  }

  @Test
  void unknownSessionsMayNotWrite() {
    t.ok(create("/x"));
    long closed = t.newSession(1000);
    t.ok(closeSession(closed));
    for (long session : new long[] {closed, 424242}) {
      for (WriteRequest request : List.of(create("/y"), delete("/x", -1), setData("/x", "d", -1),
          Requests.setAcl("/x", -1), check("/x", -1), multi(opCreate("/y")), closeSession(s))) {
        for (long requestId : new long[] {0, 9}) {
          Response refused = t.writeExpectingNoChange(withId(session, requestId, 0, request));
          assertEquals(Code.SESSIONEXPIRED, refused.getErr(), request::toString);
          assertEquals("session 0x" + Long.toHexString(session) + " does not exist (expired or closed)",
              refused.getMessage());
        }
      }
    }
    assertTrue(t.tree.sessionTimeouts().containsKey(s));
    // create_session does not need an existing session; session 0 needs none at all.
    assertEquals(Code.OK, t.write(asSession(424242, Requests.createSession(1000))).getErr());
    assertEquals(Code.OK, t.write(create("/y")).getErr());
  }

  @Test
  void noDeduplicationWithoutASessionOrARequestId() {
    WriteRequest noSession = withId(0, 1, 0, create("/q-", CreateMode.PERSISTENT_SEQUENTIAL));
    t.ok(noSession);
    t.ok(noSession);
    WriteRequest noId = asSession(s, create("/q-", CreateMode.PERSISTENT_SEQUENTIAL));
    t.ok(noId);
    t.ok(noId);
    assertEquals(4, t.read(Requests.getChildren("/")).getChildren().getChildrenCount());
  }

  @Test
  void closeSessionForgetsTheSessionsReplies() {
    // Two histories that differ only in request ids must end in the same state once the session is gone.
    TreeDriver other = new TreeDriver();
    long same = other.newSession(5000);
    assertEquals(s, same);
    t.ok(withId(s, 1, 0, create("/a")));
    other.ok(asSession(s, create("/a")));
    assertEquals(Code.OK, t.write(withId(s, 2, 0, closeSession(s))).getErr());   // closes itself
    other.ok(closeSession(s));
    assertEquals(other.tree.digest(), t.tree.digest());
    // A retry of the close (or of anything) now finds no session.
    assertEquals(Code.SESSIONEXPIRED, t.writeExpectingNoChange(withId(s, 2, 0, closeSession(s))).getErr());
  }

  @Test
  void repliesSurviveASnapshot() throws IOException {
    t.ok(withId(s, 1, 0, create("/a")));
    WriteRequest request = withId(s, 2, 0, create("/q-", CreateMode.PERSISTENT_SEQUENTIAL));
    Response first = t.ok(request);
    WriteRequest failing = withId(s, 3, 0, delete("/none", -1));
    Response failed = t.write(failing);
    assertEquals(Code.NONODE, failed.getErr());
    t.ok(withId(s, 4, 2, create("/b")));                  // forgets request 1
    byte[] bytes = TreeDriver.snapshot(t.tree);
    assertEquals(SnapshotFormat.VERSION, bytes[4]);
    TreeDriver copy = new TreeDriver(TreeDriver.restore(bytes));
    copy.time = t.time;
    assertEquals(t.tree.digest(), copy.tree.digest());
    for (TreeDriver tree : List.of(t, copy)) {
      assertEquals(first, tree.writeExpectingNoChange(request));
      assertEquals(failed, tree.writeExpectingNoChange(failing));
      assertEquals(Code.RUNTIMEINCONSISTENCY, tree.writeExpectingNoChange(withId(s, 1, 0, create("/x"))).getErr(),
          "answered_below survives too");
    }
    assertEquals(t.tree.digest(), copy.tree.digest());
  }

  @Test
  void aVersionOneSnapshotLoadsWithNothingRemembered() throws IOException {
    byte[] v1 = new SnapshotTest.Raw().header(10).integer(1).session(4, 1000)
        .integer(1).node("/", 0, 0, 0).end().toBytes();
    TreeDriver old = new TreeDriver(TreeDriver.restore(v1));
    assertEquals(SnapshotFormat.VERSION_1, v1[4]);
    Response first = old.ok(withId(4, 1, 0, create("/a")));
    assertEquals(first, old.writeExpectingNoChange(withId(4, 1, 0, create("/a"))));
    assertEquals(SnapshotFormat.VERSION, TreeDriver.snapshot(old.tree)[4], "written back as the current version");
  }
}
