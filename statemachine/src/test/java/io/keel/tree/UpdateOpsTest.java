package io.keel.tree;

import static io.keel.tree.Requests.acl;
import static io.keel.tree.Requests.asSession;
import static io.keel.tree.Requests.check;
import static io.keel.tree.Requests.create;
import static io.keel.tree.Requests.delete;
import static io.keel.tree.Requests.setAcl;
import static io.keel.tree.Requests.setData;
import static io.keel.tree.Requests.stat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.proto.Code;
import io.keel.proto.CreateMode;
import io.keel.proto.Response;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** delete, setData, setAcl and check: results, every Stat field, every error. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UpdateOpsTest {

  private final TreeDriver t = new TreeDriver();

  @BeforeEach
  void tree() {
    t.ok(create("/a", "one", CreateMode.PERSISTENT));  // zxid 1, time 1010
    t.ok(create("/a/b", "two", CreateMode.PERSISTENT)); // zxid 2, time 1020
  }

  // ------------------------------------------------------------ delete

  @Test
  void deleteUpdatesTheParent() {
    Response response = t.write(delete("/a/b", -1));          // zxid 3
    assertEquals(Code.OK, response.getErr());
    assertEquals(3, response.getZxid());
    assertTrue(response.getDone());
    assertFalse(t.exists("/a/b"));
    assertEquals(stat(1, 1, 1010, 1010, 0, 2, 0, 0, 3, 0, 3), t.stat("/a"));
    assertEquals(stat(0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1), t.stat("/"));
    assertEquals(2, t.tree.nodeCount());
  }

  @Test
  void deleteWithMatchingVersion() {
    t.ok(setData("/a/b", "x", -1));
    assertEquals(Code.BADVERSION, t.write(delete("/a/b", 0)).getErr());
    assertEquals(Code.OK, t.write(delete("/a/b", 1)).getErr());
  }

  @Test
  void deleteErrors() {
    Response missing = t.writeExpectingNoChange(delete("/nope", -1));
    assertEquals(Code.NONODE, missing.getErr());
    assertEquals("/nope", missing.getPath());
    assertEquals("node '/nope' does not exist", missing.getMessage());

    Response badVersion = t.writeExpectingNoChange(delete("/a/b", 3));
    assertEquals(Code.BADVERSION, badVersion.getErr());
    assertEquals("/a/b", badVersion.getPath());
    assertEquals("expected version 3 but '/a/b' has version 0", badVersion.getMessage());

    Response notEmpty = t.writeExpectingNoChange(delete("/a", -1));
    assertEquals(Code.NOTEMPTY, notEmpty.getErr());
    assertEquals("/a", notEmpty.getPath());
    assertEquals("node '/a' has 1 children", notEmpty.getMessage());

    Response root = t.writeExpectingNoChange(delete("/", -1));
    assertEquals(Code.BADARGUMENTS, root.getErr());
    assertEquals("/", root.getPath());
  }

  @Test
  void badVersionIsCheckedBeforeNotEmpty() {
    assertEquals(Code.BADVERSION, t.write(delete("/a", 7)).getErr());
  }

  @Test
  void deletingAnEphemeralRemovesItFromItsSession() {
    long session = t.newSession(1000);
    t.ok(asSession(session, create("/a/e", CreateMode.EPHEMERAL)));
    t.ok(delete("/a/e", -1));
    assertEquals(List.of(), t.read(Requests.getEphemerals(session, "/")).getPaths().getPathsList());
    assertEquals(1, t.tree.sessionCount());
  }

  // ------------------------------------------------------------ setData

  @Test
  void setDataUpdatesVersionMzxidMtimeAndLength() {
    Response response = t.write(setData("/a/b", "three", 0));  // zxid 3, time 1030
    assertEquals(Code.OK, response.getErr());
    assertEquals(stat(2, 3, 1020, 1030, 1, 0, 0, 0, 5, 0, 2), response.getStat());
    assertEquals(response.getStat(), t.stat("/a/b"));
    assertEquals("three", t.read(Requests.getData("/a/b")).getData().getData().toStringUtf8());
    assertEquals(stat(1, 1, 1010, 1010, 0, 1, 0, 0, 3, 1, 2), t.stat("/a"), "parent untouched");

    assertEquals(2, t.ok(setData("/a/b", "", -1)).getStat().getVersion());
    assertEquals(0, t.stat("/a/b").getDataLength());
  }

  @Test
  void setDataOnTheRoot() {
    Response response = t.ok(setData("/", "root data", -1)); // zxid 3
    assertEquals(stat(0, 3, 0, 1030, 1, 1, 0, 0, 9, 1, 1), response.getStat());
  }

  @Test
  void setDataErrors() {
    Response missing = t.writeExpectingNoChange(setData("/nope", "x", -1));
    assertEquals(Code.NONODE, missing.getErr());
    assertEquals("/nope", missing.getPath());
    Response badVersion = t.writeExpectingNoChange(setData("/a", "x", 1));
    assertEquals(Code.BADVERSION, badVersion.getErr());
    assertEquals("expected version 1 but '/a' has version 0", badVersion.getMessage());
  }

  @Test
  void versionWrapsLikeZooKeepersInt() throws Exception {
    // ZooKeeper's version is a 32-bit int that wraps; reach the edge through a snapshot.
    TreeDriver d = new TreeDriver();
    d.ok(create("/v"));
    TreeDriver edge = new TreeDriver(TreeDriver.restore(TreeDriver.editedSnapshot(d.tree,
        state -> state.nodes().get("/v").version = Integer.MAX_VALUE)));
    assertEquals(Integer.MIN_VALUE, edge.ok(setData("/v", "x", Integer.MAX_VALUE)).getStat().getVersion());
  }

  // ------------------------------------------------------------ setAcl / getAcl

  @Test
  void setAclChecksAndBumpsAversionOnly() {
    Response response = t.write(setAcl("/a", 0, acl(1, "digest", "u:h"))); // zxid 3
    assertEquals(Code.OK, response.getErr());
    assertEquals(stat(1, 1, 1010, 1010, 0, 1, 1, 0, 3, 1, 2), response.getStat());
    Response acl = t.read(Requests.getAcl("/a"));
    assertEquals(List.of(acl(1, "digest", "u:h")), acl.getAcl().getAclList());
    assertEquals(response.getStat(), acl.getAcl().getStat());

    Response badVersion = t.writeExpectingNoChange(setAcl("/a", 0, acl(31, "world", "anyone")));
    assertEquals(Code.BADVERSION, badVersion.getErr());
    assertEquals("expected aversion 0 but '/a' has aversion 1", badVersion.getMessage());

    // An empty list resets to the default.
    assertEquals(2, t.ok(setAcl("/a", 1)).getStat().getAversion());
    assertEquals(Acls.OPEN, t.read(Requests.getAcl("/a")).getAcl().getAclList());
    // setData's version is independent of aversion.
    assertEquals(Code.OK, t.write(setData("/a", "x", 0)).getErr());
  }

  @Test
  void setAclErrors() {
    assertEquals(Code.NONODE, t.writeExpectingNoChange(setAcl("/nope", -1)).getErr());
    assertEquals(Code.INVALIDACL, t.writeExpectingNoChange(setAcl("/a", -1, acl(1, "", "x"))).getErr());
  }

  // ------------------------------------------------------------ check

  @Test
  void checkChangesNothing() {
    Response response = t.writeExpectingNoChange(check("/a", 0));
    assertEquals(Code.OK, response.getErr());
    assertTrue(response.getDone());
    assertEquals(Code.OK, t.writeExpectingNoChange(check("/a", -1)).getErr());
    Response missing = t.writeExpectingNoChange(check("/nope", -1));
    assertEquals(Code.NONODE, missing.getErr());
    assertEquals("/nope", missing.getPath());
    Response badVersion = t.writeExpectingNoChange(check("/a", 4));
    assertEquals(Code.BADVERSION, badVersion.getErr());
    assertEquals("/a", badVersion.getPath());
  }
}
