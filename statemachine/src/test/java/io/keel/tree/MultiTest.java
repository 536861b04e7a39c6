package io.keel.tree;

import static io.keel.tree.Requests.asSession;
import static io.keel.tree.Requests.create;
import static io.keel.tree.Requests.multi;
import static io.keel.tree.Requests.opCheck;
import static io.keel.tree.Requests.opCreate;
import static io.keel.tree.Requests.opDelete;
import static io.keel.tree.Requests.opSetData;
import static io.keel.tree.Requests.stat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.proto.Code;
import io.keel.proto.CreateMode;
import io.keel.proto.Op;
import io.keel.proto.OpResult;
import io.keel.proto.Response;
import io.keel.proto.WriteRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MultiTest {

  private final TreeDriver t = new TreeDriver();

  @BeforeEach
  void tree() {
    t.ok(create("/a", "one", CreateMode.PERSISTENT)); // zxid 1, time 1010
    t.ok(create("/q"));                               // zxid 2, time 1020
  }

  private static List<Code> codes(Response response) {
    return response.getMulti().getResultsList().stream().map(OpResult::getErr).toList();
  }

  @Test
  void emptyMultiIsOkWithNoResults() {
    Response response = t.writeExpectingNoChange(multi());
    assertEquals(Code.OK, response.getErr());
    assertTrue(response.hasMulti());
    assertEquals(0, response.getMulti().getResultsCount());
    assertEquals(t.zxid, response.getZxid());
  }

  @Test
  void successGivesOneResultPerOpAndSharesTheZxid() {
    Response response = t.write(multi(
        opCreate("/a/b", "x", CreateMode.PERSISTENT),
        opSetData("/a", "two", 0),
        opCheck("/a", 1),
        opDelete("/a/b", 0),
        opCreate("/q/", "", CreateMode.PERSISTENT_SEQUENTIAL),
        opCreate("/q/", "", CreateMode.PERSISTENT_SEQUENTIAL)));   // zxid 3, time 1030
    assertEquals(Code.OK, response.getErr());
    assertEquals(3, response.getZxid());
    List<OpResult> results = response.getMulti().getResultsList();
    assertEquals(6, results.size());
    results.forEach(r -> assertEquals(Code.OK, r.getErr()));

    assertEquals("/a/b", results.get(0).getCreate().getPath());
    assertEquals(stat(3, 3, 1030, 1030, 0, 0, 0, 0, 1, 0, 3), results.get(0).getCreate().getStat());
    // setData sees the child created by op 0.
    assertEquals(stat(1, 3, 1010, 1030, 1, 1, 0, 0, 3, 1, 3), results.get(1).getStat());
    assertTrue(results.get(2).getChecked());
    assertTrue(results.get(3).getDeleted());
    assertEquals("/q/0000000000", results.get(4).getCreate().getPath());
    assertEquals("/q/0000000001", results.get(5).getCreate().getPath());

    assertFalse(t.exists("/a/b"));
    assertEquals(stat(1, 3, 1010, 1030, 1, 2, 0, 0, 3, 0, 3), t.stat("/a"));
    assertEquals(stat(2, 2, 1020, 1020, 0, 2, 0, 0, 0, 2, 3), t.stat("/q"));
  }

  @Test
  void failureRollsBackEverythingWithZooKeepersShape() {
    long session = t.newSession(1000);                                // zxid 3
    WriteRequest request = asSession(session, multi(
        opCreate("/a/new", "x", CreateMode.PERSISTENT),
        opCreate("/q/", "", CreateMode.PERSISTENT_SEQUENTIAL),
        opCreate("/a/eph", "", CreateMode.EPHEMERAL),
        opSetData("/a", "changed", -1),
        opDelete("/a/new", -1),
        opCreate("/missing/child"),                                // fails: NONODE
        opCheck("/a", -1),
        opDelete("/q", -1)));
    Response response = t.writeExpectingNoChange(request);
    assertEquals(Code.NONODE, response.getErr());
    assertEquals("/missing/child", response.getPath());
    assertEquals(4, response.getZxid());
    assertTrue(response.getMessage().startsWith("multi op 5 failed: "), response.getMessage());
    assertEquals(List.of(Code.OK, Code.OK, Code.OK, Code.OK, Code.OK, Code.NONODE,
        Code.RUNTIMEINCONSISTENCY, Code.RUNTIMEINCONSISTENCY), codes(response));
    response.getMulti().getResultsList().forEach(r -> assertEquals(OpResult.ResultCase.RESULT_NOT_SET, r.getResultCase()));

    // The sequence counter, ephemeral index and parents are as before.
    assertEquals(List.of(), t.read(Requests.getEphemerals(session, "/")).getPaths().getPathsList());
    assertEquals("/q/0000000000", t.ok(create("/q/", CreateMode.PERSISTENT_SEQUENTIAL)).getCreate().getPath());
    assertEquals("one", t.read(Requests.getData("/a")).getData().getData().toStringUtf8());
  }

  @Test
  void failureAtEveryPositionAndEveryCode() {
    t.ok(create("/a/child"));
    t.ok(asSession(t.newSession(1000), create("/eph", CreateMode.EPHEMERAL)));
    List<Op> failing = List.of(
        opCreate("/a"),                          // NODEEXISTS
        opCreate("/x/y"),                        // NONODE
        opCreate("/eph/c"),                      // NOCHILDRENFOREPHEMERALS
        opDelete("/a", -1),                      // NOTEMPTY
        opDelete("/a/child", 5),                 // BADVERSION
        opSetData("/none", "", -1),              // NONODE
        opSetData("/a", "", 9),                  // BADVERSION
        opCheck("/none", -1),                    // NONODE
        opCheck("/a", 2));                       // BADVERSION
    List<Code> expected = List.of(Code.NODEEXISTS, Code.NONODE, Code.NOCHILDRENFOREPHEMERALS, Code.NOTEMPTY,
        Code.BADVERSION, Code.NONODE, Code.BADVERSION, Code.NONODE, Code.BADVERSION);
    List<Op> good = List.of(opCreate("/g1"), opSetData("/q", "d", -1), opCreate("/q/", "", CreateMode.PERSISTENT_SEQUENTIAL));
    for (int f = 0; f < failing.size(); f++) {
      for (int position = 0; position <= good.size(); position++) {
        List<Op> ops = new ArrayList<>(good);
        ops.add(position, failing.get(f));
        Response response = t.writeExpectingNoChange(multi(ops.toArray(Op[]::new)));
        assertEquals(expected.get(f), response.getErr(), failing.get(f)::toString);
        for (int i = 0; i < ops.size(); i++) {
          Code want = i < position ? Code.OK : i == position ? expected.get(f) : Code.RUNTIMEINCONSISTENCY;
          assertEquals(want, codes(response).get(i), "op " + i + " with failure at " + position);
        }
      }
    }
  }

  @Test
  void opsSeeEarlierOpsEffects() {
    Response response = t.ok(multi(
        opCreate("/m"),
        opCreate("/m/n"),
        opSetData("/m/n", "1", 0),
        opSetData("/m/n", "2", 1),
        opCheck("/m/n", 2),
        opDelete("/m/n", 2),
        opDelete("/m", 0)));
    assertEquals(7, response.getMulti().getResultsCount());
    assertFalse(t.exists("/m"));
    // The root saw two child changes in one zxid.
    assertEquals(stat(0, 0, 0, 0, 0, 4, 0, 0, 0, 2, response.getZxid()), t.stat("/"));
  }

  @Test
  void laterFailureUndoesEarlierDependentOps() {
    Response response = t.writeExpectingNoChange(multi(
        opCreate("/m"),
        opCreate("/m/n"),
        opSetData("/m/n", "1", 0),
        opDelete("/m", -1)));    // NOTEMPTY: /m has a child created in this multi
    assertEquals(Code.NOTEMPTY, response.getErr());
    assertEquals("/m", response.getPath());
    assertFalse(t.exists("/m"));
  }

  @Test
  void deleteThenRecreateRollsBackToTheOriginalNode() {
    t.ok(Requests.setData("/a", "orig", -1));
    Response response = t.writeExpectingNoChange(multi(
        opDelete("/a", -1),
        opCreate("/a", "new", CreateMode.PERSISTENT),
        opCheck("/a", 3)));     // BADVERSION
    assertEquals(Code.BADVERSION, response.getErr());
    assertEquals("orig", t.read(Requests.getData("/a")).getData().getData().toStringUtf8());
  }

  @Test
  void ephemeralsInAMultiJoinTheSession() {
    long session = t.newSession(1000);
    t.ok(asSession(session, multi(opCreate("/q/e-", "", CreateMode.EPHEMERAL_SEQUENTIAL),
        opCreate("/e", "", CreateMode.EPHEMERAL))));
    assertEquals(List.of("/e", "/q/e-0000000000"), t.read(Requests.getEphemerals(session, "/")).getPaths().getPathsList());
  }

  @Test
  void malformedMultiInTheLogIsRefusedWhole() {
    Response response = t.writeExpectingNoChange(multi(opCreate("/ok"), Op.getDefaultInstance()));
    assertEquals(Code.BADARGUMENTS, response.getErr());
    assertEquals(List.of(Code.OK, Code.BADARGUMENTS), codes(response));
    assertEquals(t.zxid, response.getZxid());
    Response badPath = t.writeExpectingNoChange(multi(opCreate("/ok"), opDelete("/a/", -1)));
    assertEquals(Code.BADARGUMENTS, badPath.getErr());
    assertEquals("/a/", badPath.getPath());
  }

  @Test
  void ephemeralWithoutSessionInMulti() {
    Response response = t.writeExpectingNoChange(multi(opCreate("/e", "", CreateMode.EPHEMERAL)));
    assertEquals(Code.BADARGUMENTS, response.getErr());
    Response expired = t.writeExpectingNoChange(asSession(999, multi(opCreate("/x"), opCreate("/e", "", CreateMode.EPHEMERAL))));
    assertEquals(Code.SESSIONEXPIRED, expired.getErr());
    // The session is checked before any op runs: the whole request is refused, as in ZooKeeper.
    assertEquals(List.of(), codes(expired));
  }
}
