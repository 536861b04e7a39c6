package io.keel.front;

import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import io.keel.proto.WriteRequest;
import io.keel.watch.WatchKind;
import java.util.List;

/**
 * One request of a session, from its frame to its reply. Lives on its connection's event loop only.
 */
final class Call {

  /** How a call is served, which decides what it waits for. */
  enum Kind {
    /** Served from this server's tree once the session's earlier writes are applied here. */
    READ,
    /** Several reads answered together (ZooKeeper's multiRead). */
    MULTI_READ,
    /** Forwarded to the leader; answered once applied here. Later reads wait for it. */
    WRITE,
    /** Catches this server up with the leader's commit index; later reads wait for it. */
    SYNC,
    /** Changes this server's watches of the session (addWatch, removeWatches, SetWatches...). */
    WATCHES,
    /** Answered when decoded (a refused request, whoAmI). */
    DONE
  }

  final int xid;
  final int opCode;
  final Kind kind;
  ReadRequest read;
  List<ReadRequest> reads;
  WriteRequest write;
  /** The path of a read that leaves a watch, and which kind (null: none). */
  String watchPath;
  WatchKind watchKind;
  /** Per-op ZooKeeper types of a multi, for the shape of its results. */
  int[] multiOps;
  /** addWatch, removeWatches, checkWatches, setWatches: the request record (see Connection). */
  org.apache.jute.Record watchOp;

  /** The answer; set once the call is ready. */
  Response result;
  /** A reply body made when the call was decoded (whoAmI). */
  org.apache.jute.Record body;
  /** Results of a multiRead, in order. */
  List<Response> results;
  /** The reply may leave once every watch event up to this seq has left. */
  long needSeq;
  boolean ready;

  Call(int xid, int opCode, Kind kind) {
    this.xid = xid;
    this.opCode = opCode;
    this.kind = kind;
  }

  /** A call answered at once with {@code result}. */
  static Call done(int xid, int opCode, Response result) {
    Call c = new Call(xid, opCode, Kind.DONE);
    c.result = result;
    c.ready = true;
    return c;
  }

  boolean ordersReads() {
    return kind == Kind.WRITE || kind == Kind.SYNC;
  }
}
