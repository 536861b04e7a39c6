package io.keel.statemachine;

import io.keel.proto.AddWatchOp;
import io.keel.proto.Code;
import io.keel.proto.Notification;
import io.keel.proto.PathOp;
import io.keel.proto.PollWatchesOp;
import io.keel.proto.ReadRequest;
import io.keel.proto.RemoveWatchesOp;
import io.keel.proto.Response;
import io.keel.proto.RestoreWatchesOp;
import io.keel.proto.WatchEventType;
import io.keel.proto.WatchEvents;
import io.keel.proto.WatchSpec;
import io.keel.proto.WatchType;
import io.keel.tree.DataTree;
import io.keel.tree.Paths;
import io.keel.tree.TreeEvent;
import io.keel.watch.EventType;
import io.keel.watch.WatchEvent;
import io.keel.watch.WatchKind;
import io.keel.watch.WatchRegistry;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This server's side of watches (DESIGN §4): the {@link WatchRegistry} of the sessions attached
 * here, fed by the apply thread, and the read-path operations that use it — a read's watch flag,
 * addWatch, removeWatches, the long-poll that delivers events, and restore on failover.
 *
 * <p>Every read reply of a session carries this server's stream id and the session's newest event
 * seq once the registry has caught up with the read's zxid, so the client can deliver every event
 * up to that seq before the reply. The stream id changes whenever the registry is rebuilt (start,
 * snapshot installed from the leader): a client whose sequence numbers belong to an older stream is
 * told to restore.
 *
 * <p>Watch state is not replicated and not durable. A session that has not been heard of here for
 * {@code idleDropMs} (it moved to another server or died) is forgotten, so an abandoned session's
 * watches and queued events do not pile up. Thread-safe.
 */
final class WatchService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WatchService.class);
  /** A poll never waits longer, whatever the client asks: no abandoned waiter outlives it long. */
  static final int MAX_POLL_WAIT_MS = 30_000;
  static final int MAX_POLL_EVENTS = 10_000;

  private record Incarnation(WatchRegistry registry, long streamId) {
  }

  private final String name;
  private final int historyEvents;
  private final long idleDropNanos;
  private final Supplier<DataTree> tree;
  private final Executor readers;
  private final AppliedIndexWaiters caughtUp = new AppliedIndexWaiters();
  private final Map<Long, Long> lastHeard = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer;
  private volatile Incarnation current;

  /**
   * @param historyEvents node changes kept for replay
   * @param idleDropMs    forget a session not heard of here for this long
   * @param readers       where replies continue when they had to wait for the apply thread
   */
  WatchService(String name, int historyEvents, long idleDropMs, Supplier<DataTree> tree,
               Executor readers) {
    this.name = name;
    this.historyEvents = historyEvents;
    this.idleDropNanos = TimeUnit.MILLISECONDS.toNanos(idleDropMs);
    this.tree = tree;
    this.readers = readers;
    java.util.concurrent.ScheduledThreadPoolExecutor t = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
      Thread th = new Thread(r, "keel-watch-timer-" + name);
      th.setDaemon(true);
      return th;
    });
    // Most polls are answered by events long before they expire.
    t.setRemoveOnCancelPolicy(true);
    this.timer = t;
    long sweepMs = Math.max(1000, idleDropMs / 4);
    timer.scheduleWithFixedDelay(this::dropIdleSessions, sweepMs, sweepMs, TimeUnit.MILLISECONDS);
    this.current = newIncarnation(0);
  }

  private Incarnation newIncarnation(long zxid) {
    long stream;
    do {
      stream = ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE;
    } while (stream == 0);
    return new Incarnation(new WatchRegistry(historyEvents, zxid), stream);
  }

  // ------------------------------------------------------------------ the apply side

  /**
   * The tree now stands at {@code zxid} without this registry having seen how it got there (the
   * state machine started from a snapshot, or installed one from the leader). Every session must
   * restore: their watches and events here are gone, and so is the history before {@code zxid}.
   */
  void restart(long zxid) {
    Incarnation old = current;
    current = newIncarnation(zxid);
    caughtUp.applied(zxid);
    for (Long session : List.copyOf(lastHeard.keySet())) {
      old.registry().sessionClosed(session);
    }
  }

  /** Entry {@code zxid} was applied with {@code events}; called by the apply thread, in order. */
  void applied(long zxid, List<TreeEvent> events) {
    WatchRegistry r = current.registry();
    try {
      if (zxid > r.appliedZxid()) {
        r.applied(zxid, events);
      }
    } catch (RuntimeException bug) {
      // Watch state is local to this server: a bug here must not stop the replica.
      LOG.error("{}: BUG: watch dispatch failed for entry {}", name, zxid, bug);
    }
    caughtUp.applied(zxid);
  }

  /** The registry of the current incarnation. */
  WatchRegistry registry() {
    return current.registry();
  }

  /** Notes that the session was heard from, so its state here is kept. */
  void touch(long session) {
    heard(session);
  }

  /** The session was closed or expired (its CloseSession entry was applied). */
  void sessionClosed(long session) {
    current.registry().sessionClosed(session);
    lastHeard.remove(session);
  }

  // ------------------------------------------------------------------ the read side

  /** Whether {@link #answer} handles the request itself rather than the tree. */
  static boolean isWatchOp(ReadRequest read) {
    return switch (read.getOpCase()) {
      case ADD_WATCH, REMOVE_WATCHES, POLL_WATCHES, RESTORE_WATCHES -> true;
      default -> false;
    };
  }

  /**
   * Answers a read: watch operations here, the rest from the tree, with the watch flag honoured
   * and the session's stream position stamped on the reply.
   */
  CompletableFuture<Response> answer(ReadRequest read) {
    long session = read.getSessionId();
    Incarnation inc = current;
    if (session != 0) {
      heard(session);
    }
    if (isWatchOp(read) || read.getWatch()) {
      String problem = session == 0 ? "watches need a session (session_id is 0)" : checkWatchOp(read);
      if (problem != null) {
        return CompletableFuture.completedFuture(refuse(Code.BADARGUMENTS, pathOf(read), problem));
      }
    }
    switch (read.getOpCase()) {
      case POLL_WATCHES:
        return poll(inc, session, read.getPollWatches());
      case RESTORE_WATCHES:
        return CompletableFuture.completedFuture(restore(inc, session, read.getRestoreWatches()));
      case REMOVE_WATCHES:
        return CompletableFuture.completedFuture(remove(inc, session, read.getRemoveWatches()));
      case ADD_WATCH: {
        if (!tree.get().hasSession(session)) {
          // A watch of a dead session would never fire: its client must hear LOST instead.
          return CompletableFuture.completedFuture(refuse(Code.SESSIONEXPIRED, pathOf(read),
              "session 0x" + Long.toHexString(session) + " does not exist (expired or closed)"));
        }
        long zxid = tree.get().lastZxid();
        AddWatchOp op = read.getAddWatch();
        Response done = Response.newBuilder().setZxid(zxid).setDone(true).build();
        return afterCatchingUp(zxid, () -> {
          inc.registry().register(session, op.getPath(), kindOf(op.getKind()), zxid);
          heard(session);
          return stamp(inc, session, done);
        });
      }
      case PING:
        return CompletableFuture.completedFuture(tree.get().read(read));
      default:
        break;
    }
    Response reply = tree.get().read(read);
    if (session == 0) {
      return CompletableFuture.completedFuture(reply);
    }
    WatchKind kind = read.getWatch() ? watchFor(read, reply) : null;
    long zxid = reply.getZxid();
    return afterCatchingUp(zxid, () -> {
      if (kind != null) {
        inc.registry().register(session, pathOf(read), kind, zxid);
        heard(session);
      }
      return stamp(inc, session, reply);
    });
  }

  /** ZooKeeper's rules for which read leaves which watch; null when it leaves none. */
  private static WatchKind watchFor(ReadRequest read, Response reply) {
    boolean ok = reply.getErr() == Code.OK;
    return switch (read.getOpCase()) {
      case EXISTS -> ok ? WatchKind.DATA : reply.getErr() == Code.NONODE ? WatchKind.EXIST : null;
      case GET_DATA -> ok ? WatchKind.DATA : null;
      case GET_CHILDREN -> ok ? WatchKind.CHILD : null;
      default -> null;
    };
  }

  /**
   * Runs {@code then} once the registry has seen every entry up to {@code zxid}: a sequence number
   * stamped earlier could miss events of entries the read already reflects.
   */
  private CompletableFuture<Response> afterCatchingUp(long zxid, Supplier<Response> then) {
    CompletableFuture<Void> ready = caughtUp.await(zxid);
    if (ready.isDone() && !ready.isCompletedExceptionally()) {
      return CompletableFuture.completedFuture(then.get());
    }
    // Otherwise the continuation would run on the apply thread that completes the wait.
    return ready.orTimeout(KeelStateMachine.MAX_READ_WAIT.toMillis(), TimeUnit.MILLISECONDS)
        .handleAsync((ok, e) -> e == null ? then.get()
            : refuse(Code.OPERATIONTIMEOUT, "", name + ": watch state has not caught up with zxid "
                + zxid + "; retry"), readers);
  }

  private Response stamp(Incarnation inc, long session, Response reply) {
    long seq = inc == current ? inc.registry().lastSeqAt(session, reply.getZxid()) : -1;
    if (seq < 0) {
      // The registry was replaced (a snapshot installed) while this read ran: its numbers say
      // nothing about the tree the read saw. No stream is a claim the client does not rely on.
      return reply.toBuilder().setWatchStream(0).setWatchSeq(0).build();
    }
    return reply.toBuilder().setWatchStream(inc.streamId()).setWatchSeq(seq).build();
  }

  private CompletableFuture<Response> poll(Incarnation inc, long session, PollWatchesOp op) {
    WatchEvents.Builder reset = WatchEvents.newBuilder().setStreamId(inc.streamId()).setReset(true);
    if (op.getStreamId() != inc.streamId() || !inc.registry().hasSession(session)) {
      // A client polls only after restoring here: a session unknown here lost its state (it was
      // dropped as idle), and polling an empty one would hide that its watches are gone.
      return CompletableFuture.completedFuture(events(reset));
    }
    WatchRegistry registry = inc.registry();
    // Every event of an entry applied by now is queued by now: a non-empty answer has them all.
    long appliedBefore = registry.appliedZxid();
    int max = Math.min(MAX_POLL_EVENTS, Math.max(1, op.getMaxEvents()));
    CompletableFuture<List<WatchEvent>> waiting = registry.poll(session, op.getAfterSeq(), max);
    long[] expiredAt = {-1};
    if (!waiting.isDone()) {
      int waitMs = Math.min(MAX_POLL_WAIT_MS, Math.max(0, op.getWaitMs()));
      java.util.concurrent.ScheduledFuture<?> expiry = timer.schedule(() -> {
        long at = registry.expirePoll(session, waiting);
        if (at >= 0) {
          expiredAt[0] = at;  // published to the reply's thread by the completion below
          waiting.complete(List.of());
        }
      }, waitMs, TimeUnit.MILLISECONDS);
      waiting.whenComplete((b, e) -> expiry.cancel(false));
    }
    return waiting.handle((batch, e) -> {
      if (e != null) {
        // afterSeq is not this stream's: the client's numbering is from before a restart.
        return events(reset);
      }
      WatchEvents.Builder out = WatchEvents.newBuilder().setStreamId(inc.streamId());
      if (batch.isEmpty()) {
        // Expired: nothing was queued up to the zxid it was expired at. Superseded by a newer
        // poll, a restore or a close: no claim at all.
        return events(out.setLastSeq(op.getAfterSeq()).setCompleteZxid(Math.max(0, expiredAt[0])));
      }
      for (WatchEvent ev : batch) {
        out.addEvents(Notification.newBuilder().setSeq(ev.seq()).setType(typeOf(ev.type()))
            .setPath(ev.path()).setZxid(ev.zxid()));
      }
      WatchEvent last = batch.get(batch.size() - 1);
      // A full batch may have left events of its last zxid behind.
      long complete = batch.size() < max ? appliedBefore : Math.min(appliedBefore, last.zxid() - 1);
      return events(out.setLastSeq(last.seq()).setCompleteZxid(complete));
    });
  }

  private Response restore(Incarnation inc, long session, RestoreWatchesOp op) {
    Map<String, Set<WatchKind>> watches = new HashMap<>();
    for (WatchSpec spec : op.getWatchesList()) {
      if (pathProblem(spec.getPath()) != null) {
        // A client notes a watch before its read reaches a server; a read refused for its path
        // removes it again. Refusing the whole restore for it would cost every other watch.
        continue;
      }
      Set<WatchKind> kinds = watches.computeIfAbsent(spec.getPath(), p -> EnumSet.noneOf(WatchKind.class));
      spec.getKindsList().forEach(k -> kinds.add(kindOf(k)));
    }
    WatchRegistry registry = inc.registry();
    long appliedBefore = registry.appliedZxid();
    DataTree t = tree.get();
    long base = registry.restore(session, op.getLastZxid(), watches, path -> stampOf(t, path));
    return events(WatchEvents.newBuilder().setStreamId(inc.streamId()).setBaseSeq(base)
        .setLastSeq(registry.lastSeq(session)).setCompleteZxid(appliedBefore));
  }

  private static WatchRegistry.NodeStamp stampOf(DataTree t, String path) {
    Response r = t.read(ReadRequest.newBuilder().setExists(PathOp.newBuilder().setPath(path)).build());
    if (r.getErr() != Code.OK) {
      return null;
    }
    return new WatchRegistry.NodeStamp(r.getStat().getCzxid(), r.getStat().getMzxid(),
        r.getStat().getPzxid());
  }

  private static Response remove(Incarnation inc, long session, RemoveWatchesOp op) {
    boolean removed = false;
    if (op.getKindsCount() == 0) {
      removed = inc.registry().remove(session, op.getPath(), null);
    } else {
      for (WatchType k : op.getKindsList()) {
        removed |= inc.registry().remove(session, op.getPath(), kindOf(k));
      }
    }
    return Response.newBuilder().setZxid(inc.registry().appliedZxid()).setDone(removed).build();
  }

  // ------------------------------------------------------------------ checks and mappings

  /** What is wrong with a watch request, or null. */
  private static String checkWatchOp(ReadRequest read) {
    switch (read.getOpCase()) {
      case EXISTS, GET_DATA, GET_CHILDREN:
        return null;  // the tree checks the path
      case ADD_WATCH: {
        WatchType k = read.getAddWatch().getKind();
        if (k != WatchType.WATCH_PERSISTENT && k != WatchType.WATCH_PERSISTENT_RECURSIVE) {
          return "addWatch mode must be PERSISTENT or PERSISTENT_RECURSIVE, got " + k;
        }
        return pathProblem(read.getAddWatch().getPath());
      }
      case REMOVE_WATCHES: {
        String problem = kindsProblem("removeWatches", read.getRemoveWatches().getPath(),
            read.getRemoveWatches().getKindsList());
        return problem != null ? problem : pathProblem(read.getRemoveWatches().getPath());
      }
      case RESTORE_WATCHES: {
        // A spec with a bad path is skipped, not refused (see restore).
        for (WatchSpec spec : read.getRestoreWatches().getWatchesList()) {
          String problem = kindsProblem("restoreWatches", spec.getPath(), spec.getKindsList());
          if (problem != null) {
            return problem;
          }
        }
        return null;
      }
      case POLL_WATCHES:
        return null;
      default:
        return "the watch flag is only for exists, getData and getChildren";
    }
  }

  private static String kindsProblem(String op, String path, List<WatchType> kinds) {
    for (WatchType k : kinds) {
      if (k == WatchType.WATCH_KIND_UNSPECIFIED || k == WatchType.UNRECOGNIZED) {
        return op + ": unknown watch kind " + k + " for " + Paths.quote(path);
      }
    }
    return null;
  }

  private static String pathProblem(String path) {
    String problem = Paths.problem(path, false);
    return problem == null ? null : "path " + Paths.quote(path) + " is invalid: " + problem;
  }

  private static String pathOf(ReadRequest read) {
    return switch (read.getOpCase()) {
      case GET_DATA -> read.getGetData().getPath();
      case EXISTS -> read.getExists().getPath();
      case GET_CHILDREN -> read.getGetChildren().getPath();
      case ADD_WATCH -> read.getAddWatch().getPath();
      case REMOVE_WATCHES -> read.getRemoveWatches().getPath();
      default -> "";
    };
  }

  private static WatchKind kindOf(WatchType type) {
    return switch (type) {
      case WATCH_DATA -> WatchKind.DATA;
      case WATCH_EXIST -> WatchKind.EXIST;
      case WATCH_CHILD -> WatchKind.CHILD;
      case WATCH_PERSISTENT -> WatchKind.PERSISTENT;
      case WATCH_PERSISTENT_RECURSIVE -> WatchKind.PERSISTENT_RECURSIVE;
      default -> throw new IllegalArgumentException("unknown watch kind " + type);
    };
  }

  private static WatchEventType typeOf(EventType type) {
    return switch (type) {
      case NODE_CREATED -> WatchEventType.NODE_CREATED;
      case NODE_DELETED -> WatchEventType.NODE_DELETED;
      case NODE_DATA_CHANGED -> WatchEventType.NODE_DATA_CHANGED;
      case NODE_CHILDREN_CHANGED -> WatchEventType.NODE_CHILDREN_CHANGED;
      case HISTORY_GAP -> WatchEventType.HISTORY_GAP;
    };
  }

  private static Response events(WatchEvents.Builder events) {
    return Response.newBuilder().setEvents(events).build();
  }

  private static Response refuse(Code code, String path, String message) {
    return Response.newBuilder().setErr(code).setPath(path).setMessage(message).build();
  }

  // ------------------------------------------------------------------ housekeeping

  /**
   * Notes activity of the session, also after each registration: a session whose close was
   * applied between its read and the registration then still leaves the sweep a trace to find.
   */
  private void heard(long session) {
    lastHeard.put(session, System.nanoTime());
  }

  private void dropIdleSessions() {
    long now = System.nanoTime();
    List<Long> idle = new ArrayList<>();
    lastHeard.forEach((session, at) -> {
      if (now - at > idleDropNanos) {
        idle.add(session);
      }
    });
    for (Long session : idle) {
      // A session heard of again meanwhile keeps its state.
      Long at = lastHeard.get(session);
      if (at != null && now - at > idleDropNanos && lastHeard.remove(session, at)) {
        current.registry().sessionClosed(session);
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    caughtUp.failAll(new java.io.IOException(name + ": state machine closed"));
  }
}
