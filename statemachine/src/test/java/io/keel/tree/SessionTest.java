package io.keel.tree;

import static io.keel.tree.Requests.asSession;
import static io.keel.tree.Requests.closeSession;
import static io.keel.tree.Requests.create;
import static io.keel.tree.Requests.createSession;
import static io.keel.tree.Requests.delete;
import static io.keel.tree.Requests.getEphemerals;
import static io.keel.tree.Requests.stat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.proto.Code;
import io.keel.proto.CreateMode;
import io.keel.proto.Response;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SessionTest {

  private final TreeDriver t = new TreeDriver();

  @Test
  void createSessionUsesTheZxidAsId() {
    t.ok(create("/x"));
    Response response = t.write(createSession(4000));    // zxid 2
    assertEquals(Code.OK, response.getErr());
    assertEquals(2, response.getZxid());
    assertEquals(2, response.getSession().getSessionId());
    assertEquals(4000, response.getSession().getTimeoutMs());
    assertEquals(1, t.tree.sessionCount());
    long second = t.newSession(9000);
    assertEquals(Map.of(2L, 4000, second, 9000), t.tree.sessionTimeouts());
    assertEquals(List.of(2L, second), List.copyOf(t.tree.sessionTimeouts().keySet()));
    assertEquals(2, t.tree.nodeCount(), "sessions are not nodes");
  }

  @Test
  void closeSessionDeletesItsEphemeralsInOneEntry() {
    t.ok(create("/app"));                                                       // 1
    t.ok(create("/app/workers"));                                               // 2
    long mine = t.newSession(1000);                                             // 3
    long other = t.newSession(1000);                                            // 4
    t.ok(asSession(mine, create("/app/leader", CreateMode.EPHEMERAL)));         // 5
    t.ok(asSession(mine, create("/app/workers/w-", CreateMode.EPHEMERAL_SEQUENTIAL)));   // 6
    t.ok(asSession(mine, create("/app/workers/w-", CreateMode.EPHEMERAL_SEQUENTIAL)));   // 7
    t.ok(asSession(other, create("/app/workers/w-", CreateMode.EPHEMERAL_SEQUENTIAL)));  // 8
    t.ok(asSession(mine, create("/top", CreateMode.EPHEMERAL)));                // 9

    Response response = t.write(closeSession(mine));                           // 10, time 1100
    assertEquals(Code.OK, response.getErr());
    assertEquals(List.of("/app/leader", "/app/workers/w-0000000000", "/app/workers/w-0000000001", "/top"),
        response.getPaths().getPathsList(), "the deleted ephemerals, sorted");
    assertEquals(10, response.getZxid());

    assertFalse(t.exists("/app/leader"));
    assertFalse(t.exists("/app/workers/w-0000000000"));
    assertFalse(t.exists("/app/workers/w-0000000001"));
    assertFalse(t.exists("/top"));
    assertTrue(t.exists("/app/workers/w-0000000002"));
    assertEquals(List.of("w-0000000002"), t.read(Requests.getChildren("/app/workers")).getChildren().getChildrenList());
    // Each deletion is a child change of its parent, all at zxid 10.
    assertEquals(stat(2, 2, 1020, 1020, 0, 5, 0, 0, 0, 1, 10), t.stat("/app/workers"));
    assertEquals(stat(1, 1, 1010, 1010, 0, 3, 0, 0, 0, 1, 10), t.stat("/app"));
    assertEquals(stat(0, 0, 0, 0, 0, 3, 0, 0, 0, 1, 10), t.stat("/"));
    assertEquals(1, t.tree.sessionCount());
    assertEquals(Map.of(other, 1000), t.tree.sessionTimeouts());
    assertEquals(List.of(), t.read(getEphemerals(mine, "/")).getPaths().getPathsList());
    assertEquals(List.of("/app/workers/w-0000000002"), t.read(getEphemerals(other, "/")).getPaths().getPathsList());
    // The session is gone: its id cannot make ephemerals any more.
    assertEquals(Code.SESSIONEXPIRED, t.write(asSession(mine, create("/again", CreateMode.EPHEMERAL))).getErr());
  }

  @Test
  void closingAnUnknownSessionIsOkAndChangesNothing() {
    long session = t.newSession(1000);
    t.ok(closeSession(session));
    Response again = t.writeExpectingNoChange(closeSession(session));
    assertEquals(Code.OK, again.getErr());
    assertTrue(again.hasPaths());
    assertEquals(List.of(), again.getPaths().getPathsList());
    assertEquals(Code.OK, t.writeExpectingNoChange(closeSession(123456)).getErr());
    assertEquals(0, t.tree.sessionCount());
  }

  @Test
  void closeSessionAfterItsEphemeralWasDeleted() {
    long session = t.newSession(1000);
    t.ok(asSession(session, create("/e", CreateMode.EPHEMERAL)));
    t.ok(delete("/e", -1));
    t.ok(closeSession(session));
    assertEquals(1, t.tree.nodeCount());
    assertEquals(stat(0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3), t.stat("/"));
  }

  @Test
  void anotherSessionMayDeleteAnEphemeral() {
    long owner = t.newSession(1000);
    t.ok(asSession(owner, create("/e", CreateMode.EPHEMERAL)));
    t.ok(asSession(t.newSession(1000), delete("/e", -1)));
    assertEquals(List.of(), t.read(getEphemerals(owner, "/")).getPaths().getPathsList());
    t.ok(closeSession(owner));
  }

  @Test
  void getEphemeralsFiltersBySessionAndPrefix() {
    t.ok(create("/a"));
    t.ok(create("/ab"));
    long s1 = t.newSession(1000);
    long s2 = t.newSession(1000);
    for (String path : List.of("/a/x", "/a/y", "/ab/z", "/b")) {
      t.ok(asSession(s1, create(path, CreateMode.EPHEMERAL)));
    }
    t.ok(asSession(s2, create("/a/other", CreateMode.EPHEMERAL)));
    assertEquals(List.of("/a/x", "/a/y", "/ab/z", "/b"), paths(s1, "/"));
    assertEquals(List.of("/a/x", "/a/y", "/ab/z"), paths(s1, "/a"));
    assertEquals(List.of("/a/x", "/a/y"), paths(s1, "/a/"));
    assertEquals(List.of("/ab/z"), paths(s1, "/ab"));
    assertEquals(List.of(), paths(s1, "/c"));
    assertEquals(List.of("/a/other"), paths(s2, "/"));
    assertEquals(List.of(), paths(0, "/"));
    // An unknown (expired, closed, never opened) session reads nothing: its client must learn.
    assertEquals(Code.SESSIONEXPIRED, t.read(getEphemerals(999, "/")).getErr());
    assertEquals(t.zxid, t.read(getEphemerals(s1, "/")).getZxid());
  }

  private List<String> paths(long session, String prefix) {
    Response response = t.read(getEphemerals(session, prefix));
    assertEquals(Code.OK, response.getErr());
    return response.getPaths().getPathsList();
  }

  @Test
  void pingAnswersTheSessionOrSessionExpired() {
    long session = t.newSession(4000);
    t.ok(create("/a"));
    Response pong = t.read(Requests.ping(session));
    assertEquals(Code.OK, pong.getErr());
    assertEquals(session, pong.getSession().getSessionId());
    assertEquals(4000, pong.getSession().getTimeoutMs());
    assertEquals(2, pong.getZxid());
    t.ok(closeSession(session));
    Response expired = t.read(Requests.ping(session));
    assertEquals(Code.SESSIONEXPIRED, expired.getErr());
    assertEquals("session 0x1 does not exist (expired or closed)", expired.getMessage());
    assertEquals(3, expired.getZxid());
    assertEquals(Code.SESSIONEXPIRED, t.read(Requests.ping(77)).getErr());
    Response noSession = t.read(Requests.ping(0));
    assertEquals(Code.BADARGUMENTS, noSession.getErr());
    assertEquals("ping needs a session id (session_id is 0)", noSession.getMessage());
  }

  @Test
  void closeSessionWithTheExpiredFlagDoesTheSame() {
    long session = t.newSession(1000);
    t.ok(asSession(session, create("/e", CreateMode.EPHEMERAL)));
    Response response = t.ok(closeSession(session).toBuilder()
        .setCloseSession(io.keel.proto.CloseSessionOp.newBuilder().setSessionId(session).setExpired(true)).build());
    assertEquals(List.of("/e"), response.getPaths().getPathsList());
    assertEquals(0, t.tree.sessionCount());
  }

  @Test
  void setLastZxidOnlyMovesForward() {
    t.ok(create("/a"));
    t.tree.setLastZxid(1);
    t.tree.setLastZxid(10);
    assertEquals(10, t.tree.lastZxid());
    assertThrows(IllegalArgumentException.class, () -> t.tree.setLastZxid(9));
    assertEquals(10, t.tree.lastZxid());
    t.zxid = 10;
    assertEquals(11, t.newSession(100), "session ids follow the log index");
    assertEquals(11, t.read(Requests.exists("/a")).getZxid());
  }
}
