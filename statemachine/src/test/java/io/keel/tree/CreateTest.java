package io.keel.tree;

import static io.keel.tree.Requests.acl;
import static io.keel.tree.Requests.asSession;
import static io.keel.tree.Requests.closeSession;
import static io.keel.tree.Requests.create;
import static io.keel.tree.Requests.createTtl;
import static io.keel.tree.Requests.createWithAcl;
import static io.keel.tree.Requests.delete;
import static io.keel.tree.Requests.stat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keel.proto.Code;
import io.keel.proto.CreateMode;
import io.keel.proto.Response;
import io.keel.proto.WriteRequest;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CreateTest {

  private final TreeDriver t = new TreeDriver();

  @Test
  void newTreeHasOnlyTheRoot() {
    DataTree tree = new DataTree();
    assertEquals(1, tree.nodeCount());
    assertEquals(0, tree.sessionCount());
    assertEquals(0, tree.lastZxid());
    assertEquals(stat(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), t.stat("/"));
    assertEquals(Acls.OPEN, t.read(Requests.getAcl("/")).getAcl().getAclList());
    assertEquals(List.of(), t.read(Requests.getChildren("/")).getChildren().getChildrenList());
  }

  @Test
  void createSetsEveryStatFieldOfNodeAndParent() {
    Response a = t.write(create("/a", "hello", CreateMode.PERSISTENT));
    assertEquals(Code.OK, a.getErr());
    assertEquals(1, a.getZxid());
    assertEquals("/a", a.getCreate().getPath());
    assertEquals(stat(1, 1, 1010, 1010, 0, 0, 0, 0, 5, 0, 1), a.getCreate().getStat());
    assertEquals(a.getCreate().getStat(), t.stat("/a"));
    assertEquals(stat(0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1), t.stat("/"));

    Response b = t.ok(create("/a/b", "", CreateMode.PERSISTENT));
    assertEquals(stat(2, 2, 1020, 1020, 0, 0, 0, 0, 0, 0, 2), b.getCreate().getStat());
    assertEquals(stat(1, 1, 1010, 1010, 0, 1, 0, 0, 5, 1, 2), t.stat("/a"));
    assertEquals(stat(0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1), t.stat("/"), "grandparent untouched");

    t.ok(create("/a/c"));
    assertEquals(stat(1, 1, 1010, 1010, 0, 2, 0, 0, 5, 2, 3), t.stat("/a"));
    assertEquals(List.of("b", "c"), t.read(Requests.getChildren("/a")).getChildren().getChildrenList());
    assertEquals("hello", t.read(Requests.getData("/a")).getData().getData().toStringUtf8());
    assertEquals(4, t.tree.nodeCount());
    assertEquals(3, t.tree.lastZxid());
  }

  @Test
  void timeNeverRunsBackwards() {
    t.writeAt(5000, create("/late"));
    Response early = t.writeAt(4000, create("/early")); // the next leader's clock is behind
    assertEquals(5000, early.getCreate().getStat().getCtime());
    assertEquals(5000, early.getCreate().getStat().getMtime());
    Response later = t.writeAt(6000, create("/later"));
    assertEquals(6000, later.getCreate().getStat().getCtime());
  }

  // ------------------------------------------------------------ modes

  @ParameterizedTest
  @EnumSource(value = CreateMode.class, names = "UNRECOGNIZED", mode = EnumSource.Mode.EXCLUDE)
  void everyModeEncodesItsOwner(CreateMode mode) {
    long session = t.newSession(5000);
    long ttl = NodeTypes.isTtl(mode) ? 60_000 : 0;
    Response response = t.ok(asSession(session, createTtl("/n", mode, ttl)));
    long expected = switch (mode) {
      case PERSISTENT, PERSISTENT_SEQUENTIAL -> 0L;
      case EPHEMERAL, EPHEMERAL_SEQUENTIAL -> session;
      case CONTAINER -> 0x8000000000000000L;
      case PERSISTENT_WITH_TTL, PERSISTENT_SEQUENTIAL_WITH_TTL -> 0xFF00000000000000L | 60_000;
      default -> throw new AssertionError(mode);
    };
    assertEquals(expected, response.getCreate().getStat().getEphemeralOwner());
    String path = NodeTypes.isSequential(mode) ? "/n0000000000" : "/n";
    assertEquals(path, response.getCreate().getPath());
    assertEquals(expected, t.stat(path).getEphemeralOwner());
  }

  @Test
  void largestTtlIsEncodedInFull() {
    Response response = t.ok(createTtl("/t", CreateMode.PERSISTENT_WITH_TTL, NodeTypes.MAX_TTL));
    assertEquals(0xFF000000_00000000L | 0xFF_FFFFFFFFL, response.getCreate().getStat().getEphemeralOwner());
  }

  // ------------------------------------------------------------ errors

  @Test
  void existingNodeIsNodeExists() {
    t.ok(create("/a"));
    Response response = t.writeExpectingNoChange(create("/a", "x", CreateMode.PERSISTENT));
    assertEquals(Code.NODEEXISTS, response.getErr());
    assertEquals("/a", response.getPath());
    assertEquals("node '/a' already exists", response.getMessage());
    assertEquals(t.zxid, response.getZxid());
  }

  @Test
  void rootIsNodeExists() {
    Response response = t.writeExpectingNoChange(create("/"));
    assertEquals(Code.NODEEXISTS, response.getErr());
    assertEquals("/", response.getPath());
  }

  @Test
  void missingParentIsNoNode() {
    Response response = t.writeExpectingNoChange(create("/x/y"));
    assertEquals(Code.NONODE, response.getErr());
    assertEquals("/x/y", response.getPath());
    assertEquals("parent '/x' of '/x/y' does not exist", response.getMessage());
    assertEquals(Code.NONODE, t.writeExpectingNoChange(create("/x/", CreateMode.PERSISTENT_SEQUENTIAL)).getErr());
  }

  @Test
  void ephemeralParentIsNoChildrenForEphemerals() {
    long session = t.newSession(1000);
    t.ok(asSession(session, create("/e", CreateMode.EPHEMERAL)));
    for (CreateMode mode : List.of(CreateMode.PERSISTENT, CreateMode.EPHEMERAL, CreateMode.PERSISTENT_SEQUENTIAL,
        CreateMode.EPHEMERAL_SEQUENTIAL, CreateMode.CONTAINER)) {
      Response response = t.writeExpectingNoChange(asSession(session, create("/e/c", mode)));
      assertEquals(Code.NOCHILDRENFOREPHEMERALS, response.getErr(), mode::name);
      assertEquals("/e/c", response.getPath());
      assertEquals("parent '/e' of '/e/c' is ephemeral and cannot have children", response.getMessage());
    }
    assertEquals(Code.NOCHILDRENFOREPHEMERALS, t.writeExpectingNoChange(
        createTtl("/e/t", CreateMode.PERSISTENT_WITH_TTL, 5)).getErr());
  }

  @Test
  void ephemeralOfUnknownSessionIsSessionExpired() {
    Response response = t.writeExpectingNoChange(asSession(77, create("/e", CreateMode.EPHEMERAL)));
    assertEquals(Code.SESSIONEXPIRED, response.getErr());
    assertEquals("session 0x4d does not exist (expired or closed)", response.getMessage());

    long session = t.newSession(1000);
    t.ok(closeSession(session));
    assertEquals(Code.SESSIONEXPIRED,
        t.writeExpectingNoChange(asSession(session, create("/e/", CreateMode.EPHEMERAL_SEQUENTIAL))).getErr());
  }

  @Test
  void persistentCreateDoesNotNeedASession() {
    assertEquals(0, t.ok(create("/p")).getCreate().getStat().getEphemeralOwner());
    long session = t.newSession(1000);
    assertEquals(0, t.ok(asSession(session, create("/q"))).getCreate().getStat().getEphemeralOwner());
    // But a session that does not exist may not write at all (ZooKeeper refuses expired sessions).
    assertEquals(Code.SESSIONEXPIRED, t.writeExpectingNoChange(asSession(12345, create("/r"))).getErr());
  }

  // ------------------------------------------------------------ sequential

  @Test
  void sequentialNamesUseTheParentsChildChangeCounter() {
    t.ok(create("/q"));
    assertEquals("/q/0000000000", t.ok(create("/q/", CreateMode.PERSISTENT_SEQUENTIAL)).getCreate().getPath());
    assertEquals("/q/job-0000000001", t.ok(create("/q/job-", CreateMode.PERSISTENT_SEQUENTIAL)).getCreate().getPath());
    t.ok(create("/q/plain"));                                   // plain creates advance it too
    t.ok(delete("/q/0000000000", -1));                          // and deletes
    t.write(delete("/q/nope", -1));                             // failures do not
    assertEquals(4, t.stat("/q").getCversion());
    Response next = t.ok(create("/q/job-", CreateMode.PERSISTENT_SEQUENTIAL));
    assertEquals("/q/job-0000000004", next.getCreate().getPath());
    assertEquals(stat(1, 1, 1010, 1010, 0, 5, 0, 0, 0, 3, next.getZxid()), t.stat("/q"));
    assertEquals(List.of("job-0000000001", "job-0000000004", "plain"),
        t.read(Requests.getChildren("/q")).getChildren().getChildrenList());
  }

  @Test
  void sequentialUnderTheRoot() {
    assertEquals("/0000000000", t.ok(create("/", CreateMode.PERSISTENT_SEQUENTIAL)).getCreate().getPath());
    assertEquals("/x0000000001", t.ok(create("/x", CreateMode.PERSISTENT_SEQUENTIAL)).getCreate().getPath());
  }

  @Test
  void ephemeralSequential() {
    long session = t.newSession(1000);
    t.ok(create("/locks"));
    Response lock = t.ok(asSession(session, create("/locks/lock-", CreateMode.EPHEMERAL_SEQUENTIAL)));
    assertEquals("/locks/lock-0000000000", lock.getCreate().getPath());
    assertEquals(session, lock.getCreate().getStat().getEphemeralOwner());
    assertEquals(List.of("/locks/lock-0000000000"),
        t.read(Requests.getEphemerals(session, "/")).getPaths().getPathsList());
  }

  @Test
  void sequentialTtlAndSequentialInSameParent() {
    assertEquals("/t0000000000", t.ok(createTtl("/t", CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, 10)).getCreate().getPath());
    assertEquals("/t0000000001", t.ok(createTtl("/t", CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, 10)).getCreate().getPath());
  }

  @Test
  void sequentialNameTakenByHandIsNodeExists() {
    t.ok(create("/q"));
    t.ok(create("/q/n0000000001"));                   // counter is now 1
    Response response = t.writeExpectingNoChange(create("/q/n", CreateMode.PERSISTENT_SEQUENTIAL));
    assertEquals(Code.NODEEXISTS, response.getErr());
    assertEquals("/q/n0000000001", response.getPath());
    assertEquals("/q/x0000000001", t.ok(create("/q/x", CreateMode.PERSISTENT_SEQUENTIAL)).getCreate().getPath());
  }

  @Test
  void sequentialSuffixWidensPastTenDigitsAndCversionWrapsLikeAnInt() throws IOException {
    TreeDriver small = new TreeDriver();
    small.ok(create("/q"));
    // A tree whose /q has seen 9,999,999,999 child changes, built through the snapshot format.
    TreeDriver big = new TreeDriver(TreeDriver.restore(TreeDriver.editedSnapshot(small.tree,
        state -> state.nodes().get("/q").childChanges = 9_999_999_999L)));
    assertEquals((int) 9_999_999_999L, big.stat("/q").getCversion());
    assertEquals("/q/s9999999999", big.ok(create("/q/s", CreateMode.PERSISTENT_SEQUENTIAL)).getCreate().getPath());
    assertEquals("/q/s10000000000", big.ok(create("/q/s", CreateMode.PERSISTENT_SEQUENTIAL)).getCreate().getPath());
    assertEquals((int) 10_000_000_001L, big.stat("/q").getCversion());
  }

  // ------------------------------------------------------------ ACLs

  @Test
  void emptyAclMeansWorldAnyoneAll() {
    t.ok(create("/a"));
    Response response = t.read(Requests.getAcl("/a"));
    assertEquals(List.of(acl(31, "world", "anyone")), response.getAcl().getAclList());
    assertEquals(t.stat("/a"), response.getAcl().getStat());
  }

  @Test
  void explicitAclIsStoredInOrder() {
    t.ok(createWithAcl("/a", acl(1, "digest", "bob:x"), acl(0, "ip", "10.0.0.1")));
    assertEquals(List.of(acl(1, "digest", "bob:x"), acl(0, "ip", "10.0.0.1")),
        t.read(Requests.getAcl("/a")).getAcl().getAclList());
  }

  @Test
  void invalidAclInTheLogIsInvalidAclAndChangesNothing() {
    WriteRequest request = createWithAcl("/a", acl(32, "world", "anyone"));
    Response response = t.writeExpectingNoChange(request);
    assertEquals(Code.INVALIDACL, response.getErr());
    assertEquals("/a", response.getPath());
  }
}
