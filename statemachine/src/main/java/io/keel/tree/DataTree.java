package io.keel.tree;

import io.keel.proto.Code;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import io.keel.proto.Txn;
import io.keel.proto.WriteRequest;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keel's replicated state: the znode tree, the session table, the zxid of the last applied log
 * entry and the latest leader time seen. ZooKeeper's semantics, applied one committed log entry at
 * a time.
 *
 * <p><b>Determinism.</b> {@link #apply} depends only on this tree, the entry's zxid (its Raft log
 * index) and the entry's bytes. Time comes from the entry ({@code Txn.time}, stamped by the
 * leader); a node's ctime/mtime is {@code max(lastTime, txn.time)} so time never runs backwards
 * even if successive leaders' clocks disagree. Equal logs give equal {@link #digest}s.
 *
 * <p><b>Sessions and exactly-once.</b> A write naming a session ({@code session_id != 0}) that
 * is not open is refused with SESSIONEXPIRED (create_session and reap ignore the session). With a
 * {@code request_id > 0} as well, the session remembers the reply, and a retry of the same
 * request id gets that reply back, zxid included, and changes nothing (DESIGN §2); replies below
 * the session's {@code answered_below} are forgotten, and a retry of a forgotten one is refused
 * with RUNTIMEINCONSISTENCY. At most 10,000 replies are remembered per session (the smallest ids
 * are dropped and then refused like forgotten ones).
 *
 * <p><b>Failure behaviour.</b> {@link #apply} and {@link #read} never throw (for any input,
 * including null): user-level failures (NONODE, BADVERSION, ...) and malformed entries are
 * replies with {@code err} set, and a failed write changes no node or session. A write whose zxid
 * is not after {@link #lastZxid} is refused with RUNTIMEINCONSISTENCY and changes nothing. Should a
 * bug make an operation throw, its changes are rolled back and the reply is SYSTEMERROR (the bug
 * is deterministic, so every replica does the same); the caller should log such replies loudly.
 * Errors ({@link OutOfMemoryError}, ...) propagate. Only the leader's {@link RequestValidator}
 * enforces maxDataBytes: replicas apply whatever was committed.
 *
 * <p><b>Thread-safety.</b> {@link #apply} (or {@link #applyWithEvents}) and {@link #setLastZxid}
 * are called by one thread (the state machine's apply thread); {@link #read}, {@link #digest},
 * {@link #writeTo} and the counters may be called from any thread at the same time. One
 * read-write lock makes that safe (see the field). The cost: {@link #writeTo} holds the read lock
 * while it writes, so apply waits for a snapshot to be written; hand it a buffered stream.
 */
public final class DataTree {

  /*
   * Why one read-write lock: an entry (a multi, or a close-session deleting many ephemerals)
   * changes several nodes, parents' counters and the session table, and a reader must see all of
   * it or none of it; a per-node lock or a concurrent map would let a read land between two ops
   * of a multi. Nodes are mutable so an apply costs O(changed nodes) rather than copying parents'
   * child sets; reads share the read lock and run in parallel with each other, and only wait
   * for the (short) apply of one entry.
   */
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final NodeTable nodes;
  private final SessionTable sessions;
  private final WriteOps writes;
  private final Reads reads;
  private long lastZxid;
  private long lastTime;

  /** A tree holding only the root {@code "/"}: all Stat fields 0, the open ACL, no sessions. */
  public DataTree() {
    this(NodeTable.withRoot(), new SessionTable(), 0, 0);
  }

  private DataTree(NodeTable nodes, SessionTable sessions, long lastZxid, long lastTime) {
    this.nodes = nodes;
    this.sessions = sessions;
    this.writes = new WriteOps(nodes, sessions);
    this.reads = new Reads(nodes, sessions);
    this.lastZxid = lastZxid;
    this.lastTime = lastTime;
  }

  /**
   * Applies one committed log entry whose Raft log index is {@code zxid}. Deterministic: depends
   * only on the tree, zxid and txn. Never throws for any input: user errors and malformed or
   * empty entries become a Response with err set (malformed ones BADARGUMENTS or INVALIDACL,
   * nodes and sessions unchanged). Every reply carries {@code zxid}.
   */
  public Response apply(long zxid, Txn txn) {
    return applyWithEvents(zxid, txn).response();
  }

  /**
   * {@link #apply}, also returning the node changes the entry made (for watches): the same
   * reply, and the same determinism and failure behaviour.
   */
  public Applied applyWithEvents(long zxid, Txn txn) {
    List<TreeEvent> events = new ArrayList<>();
    lock.writeLock().lock();
    try {
      return new Applied(applyLocked(zxid, txn, events), events);
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * One write of an entry's batch at its own {@code zxid}, with the entry's {@code time}: the
   * same as {@link #applyWithEvents(long, Txn)} with a Txn of that time and request, without
   * building one per write.
   */
  public Applied applyWithEvents(long zxid, long time, WriteRequest request) {
    List<TreeEvent> events = new ArrayList<>();
    lock.writeLock().lock();
    try {
      Response stale = refuseStale(zxid);
      if (stale != null) {
        return new Applied(stale, events);
      }
      lastZxid = zxid;
      lastTime = Math.max(lastTime, time);
      Response reply = request == null
          ? Response.newBuilder().setZxid(zxid).setErr(Code.BADARGUMENTS).setMessage("log entry has no request").build()
          : executeLocked(zxid, lastTime, request, events);
      return new Applied(reply, events);
    } finally {
      lock.writeLock().unlock();
    }
  }

  private Response refuseStale(long zxid) {
    if (zxid <= lastZxid) {
      return Response.newBuilder().setZxid(zxid).setErr(Code.RUNTIMEINCONSISTENCY)
          .setMessage("entry zxid " + zxid + " is not after the last applied zxid " + lastZxid
              + "; nothing applied")
          .build();
    }
    return null;
  }

  private Response applyLocked(long zxid, Txn txn, List<TreeEvent> events) {
    Response stale = refuseStale(zxid);
    if (stale != null) {
      return stale;
    }
    lastZxid = zxid;
    if (txn == null) {
      return Response.newBuilder().setZxid(zxid).setErr(Code.BADARGUMENTS).setMessage("log entry is null").build();
    }
    long time = Math.max(lastTime, txn.getTime());
    lastTime = time;
    if (!txn.hasRequest()) {
      return Response.newBuilder().setZxid(zxid).setErr(Code.BADARGUMENTS).setMessage("log entry has no request").build();
    }
    return executeLocked(zxid, time, txn.getRequest(), events);
  }

  private Response executeLocked(long zxid, long time, WriteRequest request, List<TreeEvent> events) {
    // The leader validated this already; apply trusts nothing it reads from the log.
    // No size limit here: replicas may be configured differently.
    Response invalid = RequestValidator.validate(request, Integer.MAX_VALUE);
    if (invalid != null) {
      return invalid.toBuilder().setZxid(zxid).build();
    }
    UndoLog undo = new UndoLog();
    try {
      return writes.executeOnce(request, zxid, time, undo, events);
    } catch (RuntimeException bug) {
      undo.rollback();
      events.clear();
      return Response.newBuilder().setZxid(zxid).setErr(Code.SYSTEMERROR)
          .setMessage("internal error applying entry " + zxid + ", rolled back: " + bug)
          .build();
    }
  }

  /**
   * Answers a read from the current state; {@code response.zxid} is {@link #lastZxid()}. Never
   * throws for any input: invalid requests get BADARGUMENTS, missing nodes NONODE.
   */
  public Response read(ReadRequest request) {
    Response invalid = RequestValidator.validate(request);
    lock.readLock().lock();
    try {
      if (invalid != null) {
        return invalid.toBuilder().setZxid(lastZxid).build();
      }
      try {
        return reads.answer(request).setZxid(lastZxid).build();
      } catch (RuntimeException bug) {
        return Response.newBuilder().setZxid(lastZxid).setErr(Code.SYSTEMERROR)
            .setMessage("internal error answering a read: " + bug).build();
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The zxid of the last {@link #apply} or {@link #setLastZxid} (0 for a new tree). */
  public long lastZxid() {
    lock.readLock().lock();
    try {
      return lastZxid;
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Records a log entry that is not a Keel transaction (e.g. a Raft configuration entry), so the
   * tree's zxid follows the log.
   *
   * @throws IllegalArgumentException if {@code zxid} is before {@link #lastZxid()} (equal is a no-op)
   */
  public void setLastZxid(long zxid) {
    lock.writeLock().lock();
    try {
      if (zxid < lastZxid) {
        throw new IllegalArgumentException("zxid may only move forward: " + zxid + " < " + lastZxid);
      }
      lastZxid = zxid;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * The nodes to reap at the leader's time {@code now}, sorted by path: every childless CONTAINER
   * that once had children (a container never used is left alone, as in ZooKeeper) and every
   * childless TTL node whose mtime is more than its TTL before {@code now}. The tree reads no
   * clock: the leader passes its own. Each one becomes a reap entry, which checks again at the
   * entry's time. Costs O(containers + TTL nodes), not O(nodes). Takes the read lock.
   */
  public List<Reapable> reapable(long now) {
    lock.readLock().lock();
    try {
      List<Reapable> due = new ArrayList<>();
      for (String path : nodes.reapCandidates()) {
        ZNode node = nodes.get(path);
        if (NodeTable.isReapable(node, now)) {
          due.add(new Reapable(path, node.czxid));
        }
      }
      return due;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Number of nodes, including the root. */
  public int nodeCount() {
    lock.readLock().lock();
    try {
      return nodes.size();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Number of open sessions. */
  public int sessionCount() {
    lock.readLock().lock();
    try {
      return sessions.size();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** True if the session is open (created and neither closed nor expired). */
  public boolean hasSession(long sessionId) {
    lock.readLock().lock();
    try {
      return sessions.contains(sessionId);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The session's timeout in milliseconds, or -1 if the session is not open. */
  public int sessionTimeoutMs(long sessionId) {
    lock.readLock().lock();
    try {
      return sessions.contains(sessionId) ? sessions.timeoutMs(sessionId) : -1;
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Every open session's id and timeout in milliseconds, in id order: a copy, for the leader's
   * expiry tracker (which must know every session after a restart or a leader change). Unmodifiable.
   */
  public Map<Long, Integer> sessionTimeouts() {
    lock.readLock().lock();
    try {
      return Collections.unmodifiableMap(sessions.timeouts());
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Writes the whole state (nodes, ACLs, stats, sequence counters, sessions with their remembered
   * replies, lastZxid, lastTime)
   * in {@link SnapshotFormat}: equal trees give equal bytes. Never Java serialization. Holds the
   * read lock while writing (apply waits); does not flush or close {@code out}.
   */
  public void writeTo(DataOutputStream out) throws IOException {
    lock.readLock().lock();
    try {
      SnapshotFormat.write(out, new SnapshotFormat.State(nodes, sessions, lastZxid, lastTime));
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Reads what {@link #writeTo} wrote. A malformed or inconsistent stream (bad magic or version,
   * orphan or duplicate node, invalid path, negative length, unknown session of an ephemeral,
   * zxids after lastZxid, truncation, ...) throws {@link IOException} naming the problem; no
   * half-built tree is ever returned. Reads exactly the snapshot's bytes: whatever follows in the
   * stream (e.g. a checksum) is left unread.
   */
  public static DataTree readFrom(DataInputStream in) throws IOException {
    SnapshotFormat.State state = SnapshotFormat.read(in);
    return new DataTree(state.nodes(), state.sessions(), state.lastZxid(), state.lastTime());
  }

  /** Hex SHA-256 of {@link #writeTo}'s bytes, to compare replicas. */
  public String digest() {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
        new DigestOutputStream(OutputStream.nullOutputStream(), sha256), 1 << 16))) {
      writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException("writing to a digest cannot fail", e);
    }
    return HexFormat.of().formatHex(sha256.digest());
  }
}
