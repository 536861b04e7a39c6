package io.keel.tree;

import static io.keel.tree.Requests.acl;
import static io.keel.tree.Requests.asSession;
import static io.keel.tree.Requests.create;
import static io.keel.tree.Requests.createTtl;
import static io.keel.tree.Requests.createWithAcl;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.keel.proto.Code;
import io.keel.proto.CreateMode;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SnapshotTest {

  /** A tree with every kind of state: modes, data, ACLs, counters, sessions, ephemerals. */
  static TreeDriver richTree() {
    TreeDriver t = new TreeDriver();
    t.ok(create("/app", "config", CreateMode.PERSISTENT));
    t.ok(create("/app/q"));
    for (int i = 0; i < 5; i++) {
      t.ok(create("/app/q/item-", "payload " + i, CreateMode.PERSISTENT_SEQUENTIAL));
    }
    t.ok(Requests.delete("/app/q/item-0000000001", -1));
    t.ok(create("/app/c", CreateMode.CONTAINER));
    t.ok(createTtl("/app/t", CreateMode.PERSISTENT_WITH_TTL, 30_000));
    t.ok(createTtl("/app/ts", CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, 5));
    t.ok(createWithAcl("/secure", acl(1, "digest", "bob:hash"), acl(31, "ip", "10.0.0.0/8")));
    t.ok(Requests.setAcl("/secure", 0, acl(3, "digest", "alice:hash")));
    long s1 = t.newSession(4000);
    long s2 = t.newSession(9000);
    t.ok(Requests.withId(s1, 1, 0, create("/app/leader", CreateMode.EPHEMERAL)));
    t.ok(asSession(s2, create("/app/q/e-", CreateMode.EPHEMERAL_SEQUENTIAL)));
    t.write(Requests.withId(s1, 2, 0, Requests.delete("/missing", -1)));     // remembered NONODE
    t.ok(Requests.withId(s2, 5, 3, Requests.check("/app", -1)));            // answeredBelow 3
    t.ok(Requests.setData("/app", "config v2", 0));
    t.ok(Requests.setData("/", "root", -1));
    t.ok(create("/\u00e9t\u00e9", "\u00fcnicode", CreateMode.PERSISTENT));
    t.tree.setLastZxid(t.zxid + 5);
    t.zxid += 5;
    return t;
  }

  private static List<ReadRequest> everyRead(TreeDriver t) {
    List<ReadRequest> reads = new ArrayList<>();
    List<String> pending = new ArrayList<>(List.of("/"));
    while (!pending.isEmpty()) {
      String path = pending.remove(pending.size() - 1);
      reads.add(Requests.getData(path));
      reads.add(Requests.getAcl(path));
      reads.add(Requests.getChildren(path));
      reads.add(Requests.getAllChildrenNumber(path));
      for (String child : t.read(Requests.getChildren(path)).getChildren().getChildrenList()) {
        pending.add(Paths.child(path, child));
      }
    }
    for (long session : t.tree.sessionTimeouts().keySet()) {
      reads.add(Requests.getEphemerals(session, "/"));
    }
    return reads;
  }

  @Test
  void roundTripKeepsEverything() throws IOException {
    TreeDriver t = richTree();
    byte[] bytes = TreeDriver.snapshot(t.tree);
    TreeDriver copy = new TreeDriver(TreeDriver.restore(bytes));
    assertEquals(t.tree.digest(), copy.tree.digest());
    assertArrayEquals(bytes, TreeDriver.snapshot(copy.tree));
    assertEquals(t.tree.nodeCount(), copy.tree.nodeCount());
    assertEquals(t.tree.sessionCount(), copy.tree.sessionCount());
    assertEquals(t.tree.sessionTimeouts(), copy.tree.sessionTimeouts());
    assertEquals(t.tree.lastZxid(), copy.tree.lastZxid());
    List<ReadRequest> reads = everyRead(t);
    assertTrue(reads.size() > 50, "reads: " + reads.size());
    for (ReadRequest read : reads) {
      assertEquals(t.read(read), copy.read(read), read::toString);
    }
    // Counters and time survive: the same next entries give the same replies on both.
    copy.time = t.time = 100; // older than lastTime: both must use the saved lastTime
    List<Response> replies = new ArrayList<>();
    for (var request : List.of(create("/app/q/item-", CreateMode.PERSISTENT_SEQUENTIAL), create("/z"),
        Requests.closeSession(t.tree.sessionTimeouts().keySet().iterator().next()))) {
      Response a = t.write(request);
      assertEquals(Code.OK, a.getErr());
      assertEquals(a, copy.write(request));
      replies.add(a);
    }
    assertEquals("/app/q/item-0000000007", replies.get(0).getCreate().getPath());
    assertEquals(t.tree.lastZxid() - 2, replies.get(0).getZxid());
    assertEquals(t.tree.digest(), copy.tree.digest());
  }

  @Test
  void equalHistoriesGiveEqualBytesAndDifferentOnesDoNot() {
    assertArrayEquals(TreeDriver.snapshot(richTree().tree), TreeDriver.snapshot(richTree().tree));
    assertEquals(new DataTree().digest(), new DataTree().digest());
    TreeDriver other = richTree();
    other.ok(Requests.setData("/app", "x", -1));
    assertNotEquals(richTree().tree.digest(), other.tree.digest());
    assertEquals(64, other.tree.digest().length());
  }

  @Test
  void emptyTreeRoundTrips() throws IOException {
    DataTree empty = new DataTree();
    DataTree copy = TreeDriver.restore(TreeDriver.snapshot(empty));
    assertEquals(empty.digest(), copy.digest());
    assertEquals(1, copy.nodeCount());
    assertEquals(0, copy.lastZxid());
  }

  @Test
  void readsExactlyItsOwnBytes() throws IOException {
    byte[] snapshot = TreeDriver.snapshot(richTree().tree);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.write(snapshot);
    bytes.write(new byte[] {1, 2, 3, 4});
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()));
    DataTree.readFrom(in);
    assertEquals(0x01020304, in.readInt());
  }

  // ------------------------------------------------------------ damaged streams

  private static IOException refused(byte[] bytes) {
    return assertThrows(IOException.class, () -> TreeDriver.restore(bytes));
  }

  @Test
  void everyTruncationIsRefused() {
    byte[] bytes = TreeDriver.snapshot(richTree().tree);
    for (int length = 0; length < bytes.length; length++) {
      byte[] prefix = Arrays.copyOf(bytes, length);
      IOException e = refused(prefix);
      assertTrue(e instanceof EOFException, "length " + length + ": " + e);
      assertTrue(e.getMessage().startsWith("tree snapshot is truncated"), e.getMessage());
    }
  }

  @Test
  void everyFlippedByteIsRefusedOrGivesAConsistentTree() throws IOException {
    byte[] bytes = TreeDriver.snapshot(richTree().tree);
    int refused = 0;
    for (int i = 0; i < bytes.length; i++) {
      for (int bit : new int[] {0, 3, 7}) {
        byte[] damaged = bytes.clone();
        damaged[i] ^= (byte) (1 << bit);
        DataTree tree;
        try {
          tree = TreeDriver.restore(damaged);
        } catch (IOException expected) {
          refused++;
          continue;
        } catch (RuntimeException e) {
          throw new AssertionError("byte " + i + " bit " + bit + " gave " + e, e);
        }
        // Not detectable without a checksum (data bytes, times, versions, ...): but whatever
        // was read is a consistent tree that writes and reads back identically.
        assertArrayEquals(TreeDriver.snapshot(tree), TreeDriver.snapshot(TreeDriver.restore(TreeDriver.snapshot(tree))));
      }
    }
    assertTrue(refused > bytes.length, "only " + refused + " of " + 3 * bytes.length + " flips refused");
  }

  @Test
  void badMagicAndVersion() {
    byte[] bytes = TreeDriver.snapshot(new DataTree());
    byte[] magic = bytes.clone();
    magic[0] = 'X';
    assertEquals("corrupt tree snapshot at the header: not a Keel tree snapshot: magic 0x5845454C, expected 0x4B45454C",
        refused(magic).getMessage());
    byte[] version = bytes.clone();
    version[4] = 3;
    assertEquals("corrupt tree snapshot at the header: unsupported tree snapshot version 3 (this build reads 1 and 2)",
        refused(version).getMessage());
    assertTrue(refused(new byte[0]) instanceof EOFException);
  }

  /**
   * Writes a snapshot stream field by field, to build inconsistent ones. {@code new Raw()} writes
   * version 1 (sessions without exactly-once state), so these streams also prove v1 still loads.
   */
  static final class Raw {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final DataOutputStream out = new DataOutputStream(bytes);
    final byte version;

    Raw() {
      this(SnapshotFormat.VERSION_1);
    }

    Raw(byte version) {
      this.version = version;
    }

    Raw header(long lastZxid) throws IOException {
      out.writeInt(SnapshotFormat.MAGIC);
      out.writeByte(version);
      out.writeLong(lastZxid);
      out.writeLong(0);
      return this;
    }

    Raw integer(int value) throws IOException {
      out.writeInt(value);
      return this;
    }

    /** A session; in version 2 with answeredBelow 0 and nothing remembered. */
    Raw session(long id, int timeout) throws IOException {
      out.writeLong(id);
      out.writeInt(timeout);
      if (version >= 2) {
        out.writeLong(0);
        out.writeInt(0);
      }
      return this;
    }

    /** A version 2 session; follow it with {@code count} calls of {@link #reply}. */
    Raw session(long id, int timeout, long answeredBelow, int count) throws IOException {
      out.writeLong(id);
      out.writeInt(timeout);
      out.writeLong(answeredBelow);
      out.writeInt(count);
      return this;
    }

    Raw reply(long requestId, byte[] response) throws IOException {
      out.writeLong(requestId);
      out.writeInt(response.length);
      out.write(response);
      return this;
    }

    Raw string(String s) throws IOException {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      out.writeInt(b.length);
      out.write(b);
      return this;
    }

    /** A node with empty data, the open ACL, zxids {@code zxid}, and the given counter and owner. */
    Raw node(String path, long zxid, long childChanges, long owner) throws IOException {
      string(path);
      out.writeInt(0);
      acl(31, "world", "anyone");
      return fields(zxid, childChanges, owner);
    }

    Raw acl(int perms, String scheme, String id) throws IOException {
      out.writeInt(1);
      out.writeInt(perms);
      string(scheme);
      return string(id);
    }

    Raw fields(long zxid, long childChanges, long owner) throws IOException {
      out.writeLong(zxid);
      out.writeLong(zxid);
      out.writeLong(zxid);
      out.writeLong(0);
      out.writeLong(0);
      out.writeInt(0);
      out.writeInt(0);
      out.writeLong(childChanges);
      out.writeLong(owner);
      return this;
    }

    Raw end() throws IOException {
      return integer(SnapshotFormat.END_MARKER);
    }

    byte[] toBytes() {
      return bytes.toByteArray();
    }
  }

  @Test
  void handWrittenValidStreamIsAccepted() throws IOException {
    byte[] bytes = new Raw().header(10).integer(1).session(4, 1000)
        .integer(3).node("/", 0, 1, 0).node("/a", 2, 1, 0).node("/a/e", 5, 0, 4).end().toBytes();
    DataTree tree = TreeDriver.restore(bytes);
    assertEquals(3, tree.nodeCount());
    assertEquals(List.of("/a/e"), tree.read(Requests.getEphemerals(4, "/")).getPaths().getPathsList());
  }

  private static void assertCorrupt(Raw raw, String message) {
    IOException e = refused(raw.toBytes());
    assertTrue(e.getMessage().contains(message), () -> "expected '" + message + "' in: " + e.getMessage());
  }

  @Test
  void structuralDamageIsNamed() throws IOException {
    assertCorrupt(new Raw().header(10).integer(0).integer(2).node("/", 0, 1, 0).node("/a/b", 1, 0, 0).end(),
        "orphan node '/a/b': its parent '/a' does not precede it");
    assertCorrupt(new Raw().header(10).integer(0).integer(3).node("/", 0, 2, 0).node("/a", 1, 0, 0).node("/a", 1, 0, 0).end(),
        "duplicate node '/a'");
    assertCorrupt(new Raw().header(10).integer(0).integer(1).node("/a", 0, 0, 0).end(),
        "the first node must be the root '/', got '/a'");
    assertCorrupt(new Raw().header(10).integer(0).integer(2).node("/", 0, 1, 0).node("/a//b", 1, 0, 0).end(),
        "node path '/a//b' is invalid: empty segment at index 2");
    assertCorrupt(new Raw().header(10).integer(0).integer(0).end(), "no root node");
    assertCorrupt(new Raw().header(10).integer(-1), "negative session count -1");
    assertCorrupt(new Raw().header(10).integer(0).integer(-5), "negative node count -5");
    assertCorrupt(new Raw().header(10).integer(0).integer(1).integer(-3), "negative node 0 path length -3");
    assertCorrupt(new Raw().header(10).integer(0).integer(1).string("/").integer(-1), "negative data length of '/' -1");
    assertCorrupt(new Raw().header(10).integer(0).integer(1).string("/").integer(0).integer(0), "node '/' has no ACL entries");
    assertCorrupt(new Raw().header(10).integer(0).integer(1).string("/").integer(0).acl(32, "world", "anyone"),
        "acl entry 0 of '/' is invalid: perms 32 outside 0..31");
    assertCorrupt(new Raw().header(10).integer(0).integer(1).node("/", 11, 0, 0).end(),
        "node '/' has czxid 11 outside 0..lastZxid (10)");
    assertCorrupt(new Raw().header(10).integer(0).integer(2).node("/", 0, 0, 0).node("/a", 1, 0, 0).end(),
        "node '/' has 1 children but only 0 child changes");
    assertCorrupt(new Raw().header(10).integer(0).integer(2).node("/", 0, 1, 0).node("/e", 1, 0, 3).end(),
        "ephemeral '/e' is owned by unknown session 0x3");
    assertCorrupt(new Raw().header(10).integer(1).session(3, 10).integer(3).node("/", 0, 1, 0).node("/e", 4, 1, 3)
        .node("/e/x", 5, 0, 0).end(), "node '/e/x' has an ephemeral parent");
    assertCorrupt(new Raw().header(10).integer(0).integer(2).node("/", 0, 1, 0).node("/t", 1, 0, 0xFF00000000000000L).end(),
        "invalid ephemeralOwner 0xFF00000000000000");
    assertCorrupt(new Raw().header(10).integer(0).integer(1).node("/", 0, 0, 7).end(), "the root has ephemeralOwner 7");
    assertCorrupt(new Raw().header(10).integer(0).integer(1).node("/", 0, -1, 0).end(), "negative child changes -1");
    assertCorrupt(new Raw().header(10).integer(2).session(5, 10).session(5, 10), "session ids out of order or not positive");
    assertCorrupt(new Raw().header(10).integer(1).session(0, 10), "session ids out of order or not positive");
    assertCorrupt(new Raw().header(10).integer(1).session(11, 10), "session 0xb is newer than lastZxid 10");
    assertCorrupt(new Raw().header(10).integer(1).session(3, 0), "session 0x3 has timeout 0 ms");
    assertCorrupt(new Raw().header(-1), "negative lastZxid -1");
    assertCorrupt(new Raw().header(10).integer(0).integer(1).node("/", 0, 0, 0).integer(0), "bad end marker");
    // Node count smaller than the content: the next node's bytes are not the end marker.
    assertCorrupt(new Raw().header(10).integer(0).integer(1).node("/", 0, 1, 0).node("/a", 1, 0, 0).end(), "bad end marker");
  }

  @Test
  void exactlyOnceStateIsChecked() throws IOException {
    byte[] reply = Response.newBuilder().setZxid(5).build().toByteArray();
    byte v2 = SnapshotFormat.VERSION;
    DataTree tree = TreeDriver.restore(new Raw(v2).header(10).integer(1).session(3, 100, 2, 1).reply(4, reply)
        .integer(1).node("/", 0, 0, 0).end().toBytes());
    Response retried = new TreeDriver(tree).write(Requests.withId(3, 4, 0, Requests.create("/a")));
    assertEquals(Response.newBuilder().setZxid(5).build(), retried);
    assertCorrupt(new Raw(v2).header(10).integer(1).session(3, 100, -1, 0), "session 0x3 has negative answeredBelow -1");
    assertCorrupt(new Raw(v2).header(10).integer(1).session(3, 100, 0, 10_001),
        "session 0x3 remembers 10001 replies, more than 10000");
    assertCorrupt(new Raw(v2).header(10).integer(1).session(3, 100, 0, 2).reply(4, reply).reply(4, reply),
        "request id 4 is out of order, not positive or below answeredBelow 0");
    assertCorrupt(new Raw(v2).header(10).integer(1).session(3, 100, 5, 1).reply(4, reply),
        "request id 4 is out of order, not positive or below answeredBelow 5");
    assertCorrupt(new Raw(v2).header(10).integer(1).session(3, 100, 0, 1).reply(0, reply),
        "request id 0 is out of order");
    assertCorrupt(new Raw(v2).header(10).integer(1).session(3, 100, 0, 1).reply(1, new byte[] {(byte) 0xFF}),
        "reply to request 1 is not a Response");
    assertCorrupt(new Raw(v2).header(10).integer(1).session(3, 100, 0, 1)
        .reply(1, Response.newBuilder().setZxid(3).build().toByteArray()),
        "reply to request 1 has zxid 3 outside the session's life (3..10]");
    assertCorrupt(new Raw(v2).header(10).integer(1).session(3, 100, 0, 1)
        .reply(1, Response.newBuilder().setZxid(11).build().toByteArray()), "has zxid 11 outside");
  }

  @Test
  void invalidUtf8IsRefused() throws IOException {
    Raw raw = new Raw().header(10).integer(0).integer(1);
    raw.out.writeInt(2);
    raw.out.write(new byte[] {(byte) 0xC3, (byte) 0x28});
    assertCorrupt(raw, "node 0 path is not valid UTF-8");
  }

  @Test
  void hugeLengthDoesNotAllocateUpFront() {
    // A damaged length of 2 GB on a short stream ends as a truncation, not an OutOfMemoryError.
    try {
      Raw raw = new Raw().header(10).integer(0).integer(1).string("/").integer(Integer.MAX_VALUE - 8);
      IOException e = refused(raw.toBytes());
      assertTrue(e instanceof EOFException, e.toString());
    } catch (IOException e) {
      fail(e);
    }
  }
}
