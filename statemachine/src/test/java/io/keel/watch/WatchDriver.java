package io.keel.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.keel.proto.Code;
import io.keel.proto.CreateOp;
import io.keel.proto.DeleteOp;
import io.keel.proto.MultiOp;
import io.keel.proto.Op;
import io.keel.proto.PathOp;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import io.keel.proto.SetDataOp;
import io.keel.proto.Stat;
import io.keel.proto.Txn;
import io.keel.proto.WriteRequest;
import io.keel.tree.Applied;
import io.keel.tree.DataTree;
import io.keel.tree.TreeEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real {@link DataTree} feeding a {@link WatchRegistry} the way the state machine will: each write
 * is applied to the tree at the next zxid, then its events go to the registry. Also keeps each
 * session's acknowledged seq so tests can take "the new events" without blocking.
 */
final class WatchDriver {

  final DataTree tree = new DataTree();
  final WatchRegistry registry;
  long zxid;
  private final Map<Long, Long> acked = new HashMap<>();

  WatchDriver(int historyEntries) {
    this(new WatchRegistry(historyEntries, 0));
  }

  WatchDriver(WatchRegistry registry) {
    this.registry = registry;
  }

  /** Applies the write to the tree only, returning its events (for tests of the registry lagging). */
  List<TreeEvent> applyToTreeOnly(WriteRequest request) {
    zxid++;
    Applied applied = tree.applyWithEvents(zxid, Txn.newBuilder().setTime(1000 + zxid).setRequest(request).build());
    assertEquals(Code.OK, applied.response().getErr(), () -> request + " -> " + applied.response());
    return applied.events();
  }

  /** Applies the write to tree and registry; returns its zxid. */
  long write(WriteRequest request) {
    List<TreeEvent> events = applyToTreeOnly(request);
    registry.applied(zxid, events);
    return zxid;
  }

  long create(String path) {
    return write(WriteRequest.newBuilder().setCreate(createOp(path)).build());
  }

  long delete(String path) {
    return write(WriteRequest.newBuilder().setDelete(deleteOp(path)).build());
  }

  long setData(String path) {
    return write(WriteRequest.newBuilder().setSetData(setDataOp(path)).build());
  }

  long multi(Op... ops) {
    return write(WriteRequest.newBuilder().setMulti(MultiOp.newBuilder().addAllOps(List.of(ops))).build());
  }

  static Op opCreate(String path) {
    return Op.newBuilder().setCreate(createOp(path)).build();
  }

  static Op opDelete(String path) {
    return Op.newBuilder().setDelete(deleteOp(path)).build();
  }

  static Op opSetData(String path) {
    return Op.newBuilder().setSetData(setDataOp(path)).build();
  }

  private static CreateOp createOp(String path) {
    return CreateOp.newBuilder().setPath(path).build();
  }

  private static DeleteOp deleteOp(String path) {
    return DeleteOp.newBuilder().setPath(path).setVersion(-1).build();
  }

  private static SetDataOp setDataOp(String path) {
    return SetDataOp.newBuilder().setPath(path).setData(ByteString.copyFromUtf8("x")).setVersion(-1).build();
  }

  /** The zxid an exists read is served at now. */
  long readZxid(String path) {
    return tree.read(ReadRequest.newBuilder().setExists(PathOp.newBuilder().setPath(path)).build()).getZxid();
  }

  boolean exists(String path) {
    return tree.read(ReadRequest.newBuilder().setExists(PathOp.newBuilder().setPath(path)).build()).getErr() == Code.OK;
  }

  /** The tree as a {@link WatchRegistry.NodeView}. */
  WatchRegistry.NodeView view() {
    return path -> {
      Response r = tree.read(ReadRequest.newBuilder().setExists(PathOp.newBuilder().setPath(path)).build());
      if (r.getErr() == Code.NONODE) {
        return null;
      }
      Stat stat = r.getStat();
      return new WatchRegistry.NodeStamp(stat.getCzxid(), stat.getMzxid(), stat.getPzxid());
    };
  }

  /** The session's events not yet taken, without waiting; acknowledges them at the next take. */
  List<WatchEvent> take(long session) {
    CompletableFuture<List<WatchEvent>> f = registry.poll(session, acked.getOrDefault(session, 0L), 1_000_000);
    f.complete(List.of()); // no-op when events were there; else plays the caller's timeout
    List<WatchEvent> events = f.join();
    if (!events.isEmpty()) {
      acked.put(session, events.get(events.size() - 1).seq());
    }
    return events;
  }

  /** Sets the seq the next {@link #take} acknowledges up to (after a restore). */
  void ackedUpTo(long session, long seq) {
    acked.put(session, seq);
  }

  /** (type, path, zxid) of each event: what most tests compare. */
  static List<String> brief(List<WatchEvent> events) {
    List<String> out = new ArrayList<>();
    for (WatchEvent e : events) {
      out.add(e.type() + " " + e.path() + " @" + e.zxid());
    }
    return out;
  }

  static String ev(EventType type, String path, long zxid) {
    return type + " " + path + " @" + zxid;
  }

  static <T> T get(CompletableFuture<T> f) throws Exception {
    return f.get(5, TimeUnit.SECONDS);
  }
}
