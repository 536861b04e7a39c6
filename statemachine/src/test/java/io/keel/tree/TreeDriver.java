package io.keel.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keel.proto.Code;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import io.keel.proto.Stat;
import io.keel.proto.Txn;
import io.keel.proto.WriteRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Consumer;

/**
 * Feeds a {@link DataTree} the way the state machine does: zxids 1, 2, 3, ... and leader times
 * 1010, 1020, ... unless a test says otherwise.
 */
final class TreeDriver {

  final DataTree tree;
  long zxid;
  long time = 1000;

  TreeDriver() {
    this(new DataTree());
  }

  TreeDriver(DataTree tree) {
    this.tree = tree;
    this.zxid = tree.lastZxid();
  }

  /** Applies the request as the next entry, 10 ms after the previous one. */
  Response write(WriteRequest request) {
    return writeAt(time + 10, request);
  }

  /** Applies the request as the next entry with the given leader time. */
  Response writeAt(long leaderTime, WriteRequest request) {
    zxid++;
    time = leaderTime;
    return tree.apply(zxid, Txn.newBuilder().setTime(leaderTime).setRequest(request).build());
  }

  /** Applies the request and asserts it succeeded. */
  Response ok(WriteRequest request) {
    Response response = write(request);
    assertEquals(Code.OK, response.getErr(), () -> "expected OK for " + request + " but got " + response);
    return response;
  }

  /**
   * Applies the request and asserts it changed no node, session or counter: the tree's digest
   * equals that of a copy which applied a no-op (a check of the root) at the same zxid and time,
   * since every applied entry advances lastZxid (and maybe lastTime).
   */
  Response writeExpectingNoChange(WriteRequest request) {
    TreeDriver twin = copy();
    int nodes = tree.nodeCount();
    Response response = write(request);
    assertEquals(Code.OK, twin.writeAt(time, Requests.check("/", -1)).getErr());
    assertEquals(twin.tree.digest(), tree.digest(), () -> "tree changed by " + request + " -> " + response);
    assertEquals(nodes, tree.nodeCount());
    return response;
  }

  Response read(ReadRequest request) {
    return tree.read(request);
  }

  Stat stat(String path) {
    Response response = tree.read(Requests.exists(path));
    assertEquals(Code.OK, response.getErr(), () -> path + " should exist: " + response);
    return response.getStat();
  }

  boolean exists(String path) {
    return tree.read(Requests.exists(path)).getErr() == Code.OK;
  }

  long newSession(int timeoutMs) {
    return ok(Requests.createSession(timeoutMs)).getSession().getSessionId();
  }

  static byte[] snapshot(DataTree tree) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      tree.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static DataTree restore(byte[] snapshot) throws IOException {
    return DataTree.readFrom(new DataInputStream(new ByteArrayInputStream(snapshot)));
  }

  /**
   * A copy of the tree with its internals edited, through the snapshot format: reaches states
   * that would take billions of operations (counters near overflow) or cannot be reached at all.
   */
  static byte[] editedSnapshot(DataTree tree, Consumer<SnapshotFormat.State> edit) throws IOException {
    SnapshotFormat.State state = SnapshotFormat.read(new DataInputStream(new ByteArrayInputStream(snapshot(tree))));
    edit.accept(state);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    SnapshotFormat.write(new DataOutputStream(bytes), state);
    return bytes.toByteArray();
  }

  /** An independent copy of the tree, through a snapshot. */
  TreeDriver copy() {
    try {
      TreeDriver copy = new TreeDriver(restore(snapshot(tree)));
      copy.time = time;
      return copy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
