package io.keel.tree;

import static io.keel.tree.Requests.asSession;
import static io.keel.tree.Requests.create;
import static io.keel.tree.Requests.multi;
import static io.keel.tree.Requests.opCheck;
import static io.keel.tree.Requests.opCreate;
import static io.keel.tree.Requests.opDelete;
import static io.keel.tree.Requests.opSetData;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import io.keel.proto.Code;
import io.keel.proto.CreateMode;
import io.keel.proto.CreateOp;
import io.keel.proto.Op;
import io.keel.proto.Response;
import io.keel.proto.Txn;
import io.keel.proto.WriteRequest;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** apply() is total: whatever reaches the log, it answers and never throws. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MalformedTxnTest {

  private final TreeDriver t = new TreeDriver();

  private static Arguments bad(WriteRequest request) {
    return Arguments.of(Txn.newBuilder().setTime(7).setRequest(request).build(), Code.BADARGUMENTS);
  }

  static Stream<Arguments> malformedTxns() {
    return Stream.of(
        Arguments.of(Txn.getDefaultInstance(), Code.BADARGUMENTS),
        Arguments.of(Txn.newBuilder().setTime(5).build(), Code.BADARGUMENTS),
        bad(WriteRequest.getDefaultInstance()),
        bad(WriteRequest.newBuilder().setSessionId(3).setRequestId(9).build()),
        bad(create("")),
        bad(create("relative")),
        bad(create("/a/../b")),
        bad(create("/\u0000")),
        bad(create("/" + "x".repeat(100_000))),
        bad(create("/e", CreateMode.EPHEMERAL)),
        bad(WriteRequest.newBuilder().setCreate(CreateOp.newBuilder().setPath("/m").setModeValue(-7)).build()),
        bad(Requests.createTtl("/t", CreateMode.PERSISTENT_WITH_TTL, 0)),
        bad(Requests.createTtl("/t", CreateMode.PERSISTENT, 10)),
        bad(Requests.delete("/", -1)),
        bad(Requests.delete("/a", -5)),
        bad(Requests.setData("//", "", -1)),
        bad(Requests.check("", -1)),
        bad(multi(Op.getDefaultInstance())),
        bad(multi(opCreate("/ok"), opDelete("bad", -1))),
        bad(Requests.createSession(-1)),
        bad(Requests.closeSession(0)),
        Arguments.of(Txn.newBuilder().setRequest(Requests.setAcl("/", -1, Requests.acl(99, "x", "y"))).build(),
            Code.INVALIDACL),
        Arguments.of(Txn.newBuilder().setRequest(Requests.createWithAcl("/a", Requests.acl(1, "", "y"))).build(),
            Code.INVALIDACL));
  }

  @ParameterizedTest
  @MethodSource("malformedTxns")
  void malformedEntriesAreRefusedWithoutChange(Txn txn, Code code) {
    TreeDriver twin = t.copy();
    Response response = t.tree.apply(1, txn);
    assertNotNull(response);
    assertEquals(1, response.getZxid());
    assertEquals(code, response.getErr(), response::toString);
    assertEquals(1, t.tree.nodeCount());
    assertEquals(0, t.tree.sessionCount());
    assertEquals(1, t.tree.lastZxid());
    twin.tree.apply(1, Txn.newBuilder().setTime(txn.getTime()).setRequest(Requests.check("/", -1)).build());
    assertEquals(twin.tree.digest(), t.tree.digest());
  }

  @Test
  void nullEntry() {
    Response response = t.tree.apply(1, null);
    assertEquals(Code.BADARGUMENTS, response.getErr());
    assertEquals("log entry is null", response.getMessage());
    assertEquals(1, t.tree.lastZxid());
  }

  @Test
  void zxidThatDoesNotMoveForwardIsRefused() {
    t.ok(create("/a"));
    String before = t.tree.digest();
    for (long zxid : List.of(1L, 0L, -1L, Long.MIN_VALUE)) {
      Response response = t.tree.apply(zxid, Txn.newBuilder().setRequest(create("/b")).build());
      assertEquals(Code.RUNTIMEINCONSISTENCY, response.getErr());
      assertEquals(zxid, response.getZxid());
    }
    assertEquals(before, t.tree.digest());
    assertEquals(Code.OK, t.tree.apply(Long.MAX_VALUE, Txn.newBuilder().setRequest(create("/b")).build()).getErr());
  }

  @Test
  void dataLimitIsNotEnforcedByApply() {
    Response response = t.ok(create("/big", "x".repeat(3 * 1024 * 1024), CreateMode.PERSISTENT));
    assertEquals(3 * 1024 * 1024, response.getCreate().getStat().getDataLength());
  }

  /** Valid entries with random bytes flipped: whatever still parses is applied without an exception. */
  @Test
  void corruptedEntriesNeverThrow() {
    Random random = new Random(20240601);
    long session = t.newSession(1000);
    List<WriteRequest> seeds = List.of(
        create("/a"), create("/a/b", "data", CreateMode.PERSISTENT_SEQUENTIAL),
        asSession(session, create("/e", CreateMode.EPHEMERAL_SEQUENTIAL)),
        Requests.createTtl("/t", CreateMode.PERSISTENT_WITH_TTL, 1000),
        Requests.delete("/a", 0), Requests.setData("/a", "x", -1), Requests.check("/a", 1),
        Requests.setAcl("/a", 0, Requests.acl(5, "ip", "1.1.1.1")),
        multi(opCreate("/m"), opSetData("/m", "y", 0), opCheck("/m", 1), opDelete("/m", 1)),
        Requests.createSession(100), Requests.closeSession(session));
    int applied = 0;
    for (int i = 0; i < 20_000; i++) {
      byte[] bytes = Txn.newBuilder().setTime(random.nextInt(5000))
          .setRequest(seeds.get(random.nextInt(seeds.size()))).build().toByteArray();
      for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
        bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
      }
      Txn txn;
      try {
        txn = Txn.parseFrom(bytes);
      } catch (InvalidProtocolBufferException e) {
        continue;
      }
      applied++;
      long zxid = t.zxid + 1;
      t.zxid = zxid;
      Response response = assertDoesNotThrow(() -> t.tree.apply(zxid, txn), txn::toString);
      assertEquals(zxid, response.getZxid());
      assertNotEquals(Code.SYSTEMERROR, response.getErr(), response::toString);
    }
    // The tree stayed well formed: its snapshot reads back.
    assertDoesNotThrow(() -> assertEquals(t.tree.digest(), TreeDriver.restore(TreeDriver.snapshot(t.tree)).digest()));
    assertTrue(applied > 1000, "only " + applied + " corrupted entries parsed");
  }
}
