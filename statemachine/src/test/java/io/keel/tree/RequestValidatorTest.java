package io.keel.tree;

import static io.keel.tree.Requests.acl;
import static io.keel.tree.Requests.asSession;
import static io.keel.tree.Requests.check;
import static io.keel.tree.Requests.closeSession;
import static io.keel.tree.Requests.create;
import static io.keel.tree.Requests.createSession;
import static io.keel.tree.Requests.createTtl;
import static io.keel.tree.Requests.createWithAcl;
import static io.keel.tree.Requests.delete;
import static io.keel.tree.Requests.multi;
import static io.keel.tree.Requests.opCheck;
import static io.keel.tree.Requests.opCreate;
import static io.keel.tree.Requests.opDelete;
import static io.keel.tree.Requests.opSetData;
import static io.keel.tree.Requests.setAcl;
import static io.keel.tree.Requests.setData;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.keel.proto.Code;
import io.keel.proto.CreateMode;
import io.keel.proto.CreateOp;
import io.keel.proto.Op;
import io.keel.proto.OpResult;
import io.keel.proto.PathOp;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import io.keel.proto.SetDataOp;
import io.keel.proto.WriteRequest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RequestValidatorTest {

  private static final int MAX = 1024 * 1024;

  private static Response invalid(WriteRequest request) {
    Response response = RequestValidator.validate(request, MAX);
    assertNotNull(response, () -> "expected " + request + " to be refused");
    return response;
  }

  private static void assertRefused(WriteRequest request, Code code, String path, String message) {
    Response response = invalid(request);
    assertEquals(code, response.getErr());
    assertEquals(path, response.getPath());
    assertEquals(message, response.getMessage());
  }

  // ------------------------------------------------------------ valid requests

  static Stream<WriteRequest> validWrites() {
    return Stream.of(
        create("/a"),
        create("/", CreateMode.PERSISTENT_SEQUENTIAL),
        create("/q/", CreateMode.PERSISTENT_SEQUENTIAL),
        asSession(7, create("/e", CreateMode.EPHEMERAL)),
        asSession(7, create("/e/", CreateMode.EPHEMERAL_SEQUENTIAL)),
        create("/c", CreateMode.CONTAINER),
        createTtl("/t", CreateMode.PERSISTENT_WITH_TTL, 1),
        createTtl("/t/", CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, NodeTypes.MAX_TTL),
        createWithAcl("/acl", acl(0, "world", "anyone"), acl(31, "digest", "u:p")),
        delete("/a", -1),
        delete("/a", 0),
        delete("/a", Integer.MAX_VALUE),
        setData("/", "x", -1),
        setData("/a", "x".repeat(MAX), 3),
        setAcl("/a", -1),
        setAcl("/a", 2, acl(1, "ip", "")),
        check("/a", -1),
        check("/", 5),
        multi(),
        multi(opCreate("/a"), opDelete("/a", -1), opSetData("/b", "x", 0), opCheck("/c", -1)),
        createSession(1),
        closeSession(42));
  }

  @ParameterizedTest
  @MethodSource("validWrites")
  void validWritesPass(WriteRequest request) {
    assertNull(RequestValidator.validate(request, MAX));
  }

  // ------------------------------------------------------------ paths, for every operation that has one

  static Stream<Arguments> badPathsEveryOp() {
    List<Function<String, WriteRequest>> ops = List.of(
        p -> create(p),
        p -> delete(p, -1),
        p -> setData(p, "", -1),
        p -> setAcl(p, -1),
        p -> check(p, -1),
        p -> multi(opCheck("/ok", -1), opCreate(p)));
    List<String[]> paths = List.of(
        new String[] {"/a//b", "empty segment at index 2"},
        new String[] {"", "path is empty"},
        new String[] {"a", "must start with '/'"},
        new String[] {"/a/", "must not end with '/'"},
        new String[] {"/a/../b", "relative segment '..' at index 2"},
        new String[] {"/a\u0001", "control character U+0001 at index 2"});
    return ops.stream().flatMap(op -> paths.stream().map(p -> Arguments.of(op.apply(p[0]), p[0], p[1])));
  }

  @ParameterizedTest
  @MethodSource("badPathsEveryOp")
  void badPathIsBadArguments(WriteRequest request, String path, String problem) {
    Response response = invalid(request);
    assertEquals(Code.BADARGUMENTS, response.getErr());
    assertEquals(path, response.getPath());
    assertTrue(response.getMessage().endsWith("path " + Paths.quote(path) + " is invalid: " + problem),
        response.getMessage());
  }

  @Test
  void pathMessageMatchesTheDocumentedExample() {
    assertRefused(create("/a//b"), Code.BADARGUMENTS, "/a//b", "path '/a//b' is invalid: empty segment at index 2");
  }

  @Test
  void sequentialCreateMayEndWithSlashButPlainCreateMayNot() {
    assertNull(RequestValidator.validate(create("/q/", CreateMode.PERSISTENT_SEQUENTIAL), MAX));
    assertRefused(create("/q/", CreateMode.PERSISTENT), Code.BADARGUMENTS, "/q/",
        "path '/q/' is invalid: must not end with '/'");
    assertRefused(create("/q/", CreateMode.EPHEMERAL).toBuilder().setSessionId(3).build(), Code.BADARGUMENTS, "/q/",
        "path '/q/' is invalid: must not end with '/'");
  }

  @Test
  void deletingTheRootIsRefused() {
    assertRefused(delete("/", -1), Code.BADARGUMENTS, "/", "the root '/' cannot be deleted");
  }

  // ------------------------------------------------------------ data size

  @Test
  void oversizedDataNamesTheLimit() {
    WriteRequest big = create("/x", "x".repeat(2 * MAX), CreateMode.PERSISTENT);
    assertRefused(big, Code.BADARGUMENTS, "/x", "data of 2097152 bytes for '/x' exceeds maxDataBytes (1048576)");
    assertRefused(setData("/x", "x".repeat(MAX + 1), -1), Code.BADARGUMENTS, "/x",
        "data of 1048577 bytes for '/x' exceeds maxDataBytes (1048576)");
    assertNull(RequestValidator.validate(setData("/x", "x".repeat(MAX), -1), MAX));
    assertNull(RequestValidator.validate(big, Integer.MAX_VALUE));
  }

  private static void assertRefused(WriteRequest request, Code code, String path, String message, int max) {
    Response response = RequestValidator.validate(request, max);
    assertNotNull(response);
    assertEquals(code, response.getErr());
    assertEquals(path, response.getPath());
    assertEquals(message, response.getMessage());
  }

  @Test
  void oversizedDataInsideMulti() {
    assertRefused(multi(opCheck("/a", -1), opSetData("/x", "xx", -1)), Code.BADARGUMENTS, "/x",
        "multi op 1 failed: data of 2 bytes for '/x' exceeds maxDataBytes (1)", 1);
  }

  @Test
  void negativeLimitIsAProgrammingError() {
    assertThrows(IllegalArgumentException.class, () -> RequestValidator.validate(create("/a"), -1));
  }

  // ------------------------------------------------------------ versions

  @ParameterizedTest
  @ValueSource(ints = {-2, -3, Integer.MIN_VALUE})
  void versionBelowMinusOneIsRefused(int version) {
    String message = "version " + version + " for '/v' is invalid: must be -1 (any) or >= 0";
    assertRefused(delete("/v", version), Code.BADARGUMENTS, "/v", message);
    assertRefused(setData("/v", "", version), Code.BADARGUMENTS, "/v", message);
    assertRefused(setAcl("/v", version), Code.BADARGUMENTS, "/v", message);
    assertRefused(check("/v", version), Code.BADARGUMENTS, "/v", message);
    assertRefused(multi(opDelete("/v", version)), Code.BADARGUMENTS, "/v", "multi op 0 failed: " + message);
  }

  // ------------------------------------------------------------ modes and TTL

  @ParameterizedTest
  @EnumSource(value = CreateMode.class, names = {"PERSISTENT_WITH_TTL", "PERSISTENT_SEQUENTIAL_WITH_TTL"})
  void ttlModesNeedATtlInRange(CreateMode mode) {
    for (long ttl : new long[] {0, -1, NodeTypes.MAX_TTL + 1, Long.MAX_VALUE, Long.MIN_VALUE}) {
      assertRefused(createTtl("/t", mode, ttl), Code.BADARGUMENTS, "/t",
          "ttl " + ttl + " for '/t' is invalid: mode " + mode + " needs 0 < ttl <= 1099511627775");
    }
    for (long ttl : new long[] {1, 1000, NodeTypes.MAX_TTL}) {
      assertNull(RequestValidator.validate(createTtl("/t", mode, ttl), MAX));
    }
  }

  @ParameterizedTest
  @EnumSource(value = CreateMode.class, names = {"PERSISTENT", "EPHEMERAL", "PERSISTENT_SEQUENTIAL",
    "EPHEMERAL_SEQUENTIAL", "CONTAINER"})
  void otherModesTakeNoTtl(CreateMode mode) {
    for (long ttl : new long[] {1, -1, 1000}) {
      assertRefused(asSession(9, createTtl("/t", mode, ttl)), Code.BADARGUMENTS, "/t",
          "ttl " + ttl + " for '/t' is invalid: mode " + mode + " takes no ttl (must be 0)");
    }
    assertNull(RequestValidator.validate(asSession(9, createTtl("/t", mode, 0)), MAX));
  }

  @ParameterizedTest
  @EnumSource(value = CreateMode.class, names = {"EPHEMERAL", "EPHEMERAL_SEQUENTIAL"})
  void ephemeralNeedsASession(CreateMode mode) {
    assertRefused(create("/e", mode), Code.BADARGUMENTS, "/e",
        "mode " + mode + " for '/e' needs a session (session_id is 0)");
  }

  @Test
  void unknownModeIsRefused() {
    WriteRequest request = WriteRequest.newBuilder()
        .setCreate(CreateOp.newBuilder().setPath("/m").setModeValue(42)).build();
    assertRefused(request, Code.BADARGUMENTS, "/m", "create mode 42 for '/m' is unknown");
  }

  // ------------------------------------------------------------ ACLs

  @Test
  void invalidAclIsInvalidAcl() {
    assertRefused(createWithAcl("/a", acl(31, "", "anyone")), Code.INVALIDACL, "/a",
        "acl entry 0 for '/a' is invalid: scheme is empty");
    assertRefused(createWithAcl("/a", acl(31, "world", "anyone"), acl(32, "world", "anyone")), Code.INVALIDACL, "/a",
        "acl entry 1 for '/a' is invalid: perms 32 outside 0..31");
    assertRefused(createWithAcl("/a", acl(-1, "world", "anyone")), Code.INVALIDACL, "/a",
        "acl entry 0 for '/a' is invalid: perms -1 outside 0..31");
    assertRefused(setAcl("/a", -1, acl(64, "ip", "1.2.3.4")), Code.INVALIDACL, "/a",
        "acl entry 0 for '/a' is invalid: perms 64 outside 0..31");
    Response inMulti = invalid(multi(Op.newBuilder().setCreate(CreateOp.newBuilder().setPath("/m")
        .addAcl(acl(99, "world", "anyone"))).build()));
    assertEquals(Code.INVALIDACL, inMulti.getErr());
    assertEquals(List.of(Code.INVALIDACL), inMulti.getMulti().getResultsList().stream().map(OpResult::getErr).toList());
  }

  // ------------------------------------------------------------ missing operations, sessions

  @Test
  void reapNeedsAValidPathAndAPositiveCzxid() {
    assertNull(RequestValidator.validate(Requests.reap("/c", 1), MAX));
    assertNull(RequestValidator.validate(Requests.withId(0, 0, 0, Requests.reap("/c", 7)), MAX), "no session needed");
    assertRefused(Requests.reap("/c", 0), Code.BADARGUMENTS, "/c", "reap czxid 0 for '/c' is invalid: must be > 0");
    assertRefused(Requests.reap("/c", -3), Code.BADARGUMENTS, "/c", "reap czxid -3 for '/c' is invalid: must be > 0");
    assertRefused(Requests.reap("c", 1), Code.BADARGUMENTS, "c", "path 'c' is invalid: must start with '/'");
  }

  @Test
  void pingNeedsASession() {
    assertNull(RequestValidator.validate(Requests.ping(5)));
    Response refused = RequestValidator.validate(Requests.ping(0));
    assertEquals(Code.BADARGUMENTS, refused.getErr());
    assertEquals("ping needs a session id (session_id is 0)", refused.getMessage());
  }

  @Test
  void missingOperationIsRefused() {
    assertRefused(WriteRequest.getDefaultInstance(), Code.BADARGUMENTS, "", "request has no operation");
    assertRefused(WriteRequest.newBuilder().setSessionId(5).build(), Code.BADARGUMENTS, "", "request has no operation");
    Response response = RequestValidator.validate(null, MAX);
    assertEquals(Code.BADARGUMENTS, response.getErr());
    assertEquals("request is null", response.getMessage());
  }

  @Test
  void missingOperationInsideMultiHasZooKeepersShape() {
    Response response = invalid(multi(opCheck("/a", -1), Op.getDefaultInstance(), opCheck("/b", -1)));
    assertEquals(Code.BADARGUMENTS, response.getErr());
    assertEquals("multi op 1 failed: op 1 of multi has no operation", response.getMessage());
    assertEquals(List.of(Code.OK, Code.BADARGUMENTS, Code.RUNTIMEINCONSISTENCY),
        response.getMulti().getResultsList().stream().map(OpResult::getErr).toList());
  }

  @Test
  void multiReportsTheFirstBadOp() {
    Response response = invalid(multi(opCreate("/ok"), opSetData("/x//", "", -1), opDelete("/", -1)));
    assertEquals(Code.BADARGUMENTS, response.getErr());
    assertEquals("/x//", response.getPath());
    assertEquals("multi op 1 failed: path '/x//' is invalid: empty segment at index 2", response.getMessage());
    assertEquals(3, response.getMulti().getResultsCount());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
  void sessionTimeoutMustBePositive(int timeout) {
    assertRefused(createSession(timeout), Code.BADARGUMENTS, "",
        "session timeout " + timeout + " ms is invalid: must be > 0");
  }

  @Test
  void closeSessionNeedsAnId() {
    assertRefused(closeSession(0), Code.BADARGUMENTS, "", "close_session needs a session id (session_id is 0)");
  }

  @Test
  void bytesAboveLimitInCreateAreCountedNotChars() {
    // Two-byte UTF-8 characters: the limit is on bytes.
    WriteRequest request = WriteRequest.newBuilder().setCreate(CreateOp.newBuilder().setPath("/u")
        .setData(ByteString.copyFromUtf8("\u00e9".repeat(3)))).build();
    assertRefused(request, Code.BADARGUMENTS, "/u", "data of 6 bytes for '/u' exceeds maxDataBytes (5)", 5);
    WriteRequest set = WriteRequest.newBuilder().setSetData(SetDataOp.newBuilder().setPath("/u")
        .setData(ByteString.copyFromUtf8("12345"))).build();
    assertNull(RequestValidator.validate(set, 5));
  }

  // ------------------------------------------------------------ reads

  static Stream<ReadRequest> validReads() {
    return Stream.of(Requests.getData("/"), Requests.exists("/a"), Requests.getChildren("/a/b"),
        Requests.getAllChildrenNumber("/"), Requests.getAcl("/x"), Requests.getEphemerals(3, "/"),
        Requests.getEphemerals(3, "/app/"), Requests.getEphemerals(0, "/app/lock-"));
  }

  @ParameterizedTest
  @MethodSource("validReads")
  void validReadsPass(ReadRequest request) {
    assertNull(RequestValidator.validate(request));
  }

  static Stream<ReadRequest> invalidReads() {
    PathOp bad = PathOp.newBuilder().setPath("/a//b").build();
    return Stream.of(ReadRequest.newBuilder().setGetData(bad).build(),
        ReadRequest.newBuilder().setExists(bad).build(),
        ReadRequest.newBuilder().setGetChildren(bad).build(),
        ReadRequest.newBuilder().setGetAllChildrenNumber(bad).build(),
        ReadRequest.newBuilder().setGetAcl(bad).build(),
        ReadRequest.newBuilder().setGetEphemerals(bad).build());
  }

  @ParameterizedTest
  @MethodSource("invalidReads")
  void readsWithBadPathsAreRefused(ReadRequest request) {
    Response response = RequestValidator.validate(request);
    assertNotNull(response);
    assertEquals(Code.BADARGUMENTS, response.getErr());
    assertEquals("/a//b", response.getPath());
    assertTrue(response.getMessage().endsWith("'/a//b' is invalid: empty segment at index 2"), response.getMessage());
  }

  @Test
  void readsWithoutOperationAreRefused() {
    assertEquals("request has no operation", RequestValidator.validate(ReadRequest.getDefaultInstance()).getMessage());
    assertEquals(Code.BADARGUMENTS, RequestValidator.validate((ReadRequest) null).getErr());
    assertEquals(Code.BADARGUMENTS, RequestValidator.validate(Requests.getData("/a/")).getErr());
    assertEquals(Code.BADARGUMENTS, RequestValidator.validate(Requests.exists("")).getErr());
  }
}
