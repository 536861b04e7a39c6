package io.keel.client;

import com.google.protobuf.InvalidProtocolBufferException;
import io.keel.proto.Notification;
import io.keel.proto.PollWatchesOp;
import io.keel.proto.ReadRequest;
import io.keel.proto.RemoveWatchesOp;
import io.keel.proto.Response;
import io.keel.proto.RestoreWatchesOp;
import io.keel.proto.WatchEvents;
import io.keel.proto.WatchSpec;
import io.keel.proto.WatchType;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's watches: which watchers wait for what, the event stream from the attached server,
 * and the ordering of events before read results (DESIGN §4).
 *
 * <p><b>Delivery.</b> Watches live at the server the client reads from. The client long-polls that
 * server for its events (an unordered request the server answers within
 * {@link AttachedReads#POLL_WAIT}), acknowledging what it received with each poll. Events are
 * numbered per server ("stream"); every read reply carries the stream and the newest event number
 * the server had for this session once it had applied the read's zxid, and the reply is handed to
 * the caller only after the watchers of every event up to that number have run. So an event is
 * always seen before a read result at or after its zxid.
 *
 * <p><b>Failover.</b> When the attached server fails (or restarted, or reads moved), the client
 * restores every watch it holds at the next server with the newest zxid up to which it is sure to
 * have every event ({@link #safeZxid}); that server fires at once whatever changed since, from its
 * change history or the nodes' stamps, and says HISTORY_GAP where it cannot tell.
 *
 * <p><b>Completeness.</b> A poll or restore answer says "once you have every event up to seq S,
 * you have every event with zxid up to Z of the watches you held"; so does a read reply (S its
 * watch seq, Z its zxid). A watch registered by a read counts as complete through the read's zxid
 * once the read's watch seq has arrived; until then only through the zxid the client had when it
 * asked. The least of these is what a restore starts from, so nothing is missed; a change between
 * that zxid and a read may be reported although the read already showed it (never the reverse).
 *
 * <p>Thread-safety: one lock guards all state; watchers run on one dispatch thread, held reads
 * complete on the client's callback executor, nothing runs user code under the lock.
 */
final class Watches implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Watches.class);
  static final int MAX_EVENTS_PER_POLL = 1000;
  /** How many received events are remembered to recognize a replay of them. */
  static final int RECENT_EVENTS = 10_000;

  /** The kinds of watch a server holds, as on the wire. */
  enum Kind {
    DATA(WatchType.WATCH_DATA),
    EXIST(WatchType.WATCH_EXIST),
    CHILD(WatchType.WATCH_CHILD),
    PERSISTENT(WatchType.WATCH_PERSISTENT),
    PERSISTENT_RECURSIVE(WatchType.WATCH_PERSISTENT_RECURSIVE);

    final WatchType proto;

    Kind(WatchType proto) {
      this.proto = proto;
    }

    boolean persistent() {
      return this == PERSISTENT || this == PERSISTENT_RECURSIVE;
    }
  }

  /** A watch the server should hold, with the watchers it serves. */
  private static final class Entry {
    final Set<Watcher> watchers = new LinkedHashSet<>();
    /** Events of this watch with a larger zxid may not have arrived yet, until confirmed. */
    long guard;
    /** Confirmed: in {@code stream}, every event since {@code guard} is numbered at most this. */
    long stream;
    long confirmSeq;
    /** Bumped on every (re)registration, so a restore knows which ones it covered. */
    long epoch;
  }

  /**
   * A watch registration in flight with its read, and the table entry it joined: if an event uses
   * that entry up before the read is answered, the watcher has fired and must not be set again.
   */
  record Pending(String path, Kind kind, Watcher watcher, Object entry) {
  }

  /** A read reply waiting for the events that must come before it. */
  private record Held(long stream, long seq, long zxid, boolean onDispatcher,
                      CompletableFuture<Response> out, Response reply) {
  }

  private final long sessionId;
  private final AttachedReads reads;
  private final LongSupplier lastZxid;
  private final Executor callbacks;
  private final ExecutorService dispatcher;
  private volatile Thread dispatchThread;

  // Everything below is guarded by this.
  private final Map<String, EnumMap<Kind, Entry>> table = new HashMap<>();
  private long epochs;
  private final List<Held> held = new ArrayList<>();
  private RaftPeerId server;
  private long stream;
  /** Events handed to the dispatcher, and those whose watchers have run. */
  private long receivedSeq;
  private long deliveredSeq;
  /** The stream's restore answer: every read stamped before it waits for its events. */
  private long restoreFloor;
  /** Before the first watch there is nothing to miss. */
  private long completeZxid = Long.MAX_VALUE;
  /** seq -> zxid: complete through zxid once seq is delivered. */
  private final NavigableMap<Long, Long> pending = new TreeMap<>();
  /**
   * The most recent events received (seq replaced by the event's ordinal among equal events of
   * its zxid), so that a restore's replay of an event that did arrive is not delivered twice.
   */
  private final Set<Notification> recent = new LinkedHashSet<>();
  private long ordinalZxid;
  private final Map<Notification, Integer> ordinals = new HashMap<>();
  private long generation;
  /** Set by the first watch: from then on the client polls until it closes. */
  private boolean activated;
  private boolean inFlight;
  private RaftPeerId restoringAt;
  private boolean needRestore;
  private int failuresInRow;
  private boolean closed;
  private boolean lost;

  Watches(long sessionId, AttachedReads reads, LongSupplier lastZxid, Executor callbacks) {
    this.sessionId = sessionId;
    this.reads = reads;
    this.lastZxid = lastZxid;
    this.callbacks = callbacks;
    this.dispatcher = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "keel-watch-0x" + Long.toHexString(sessionId));
      t.setDaemon(true);
      dispatchThread = t;
      return t;
    });
  }

  boolean onDispatchThread() {
    return Thread.currentThread() == dispatchThread;
  }

  // ------------------------------------------------------------------ registering and removing

  /**
   * Notes a watch before the read that sets it is sent, so a failover in between keeps it.
   *
   * @throws KeelException BADARGUMENTS for a null watcher (the server checks the path when the
   *                       read reaches it, and a refused read removes the watch again)
   */
  synchronized Pending adding(String path, Kind kind, Watcher watcher) {
    if (watcher == null) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path, "watcher is null");
    }
    Entry e = table.computeIfAbsent(path, p -> new EnumMap<>(Kind.class)).get(kind);
    if (e == null) {
      e = new Entry();
      e.guard = lastZxid.getAsLong();
      e.epoch = ++epochs;
      table.get(path).put(kind, e);
    }
    e.watchers.add(watcher);
    activated = !lost;
    if (stream != 0) {
      pump();
    }
    // Before the first stream, the read's answer (its zxid) starts it: see answered.
    return new Pending(path, kind, watcher, e);
  }

  /**
   * The read that sets {@code p} was answered ({@code reply} null: it failed). Applies ZooKeeper's
   * rules: exists leaves a data watch on a node that exists, an exist watch otherwise; getData and
   * getChildren leave none on a missing node; a failed read leaves none.
   */
  synchronized void answered(Pending p, Response reply) {
    EnumMap<Kind, Entry> here = table.get(p.path());
    if (here == null || here.get(p.kind()) != p.entry()) {
      // An event used the watch up (and ran the watcher) before the read was answered.
      pump();
      return;
    }
    Kind kind = p.kind();
    if (reply != null && kind == Kind.EXIST && reply.getErrValue() == 0) {
      kind = Kind.DATA;
    }
    boolean set = reply != null && (reply.getErrValue() == 0
        || kind == Kind.EXIST && reply.getErrValue() == KeelException.Code.NONODE.intValue());
    if (kind != p.kind() || !set) {
      dropWatcher(p.path(), p.kind(), p.watcher());
    }
    if (!set) {
      return;
    }
    Entry e = table.computeIfAbsent(p.path(), x -> new EnumMap<>(Kind.class)).get(kind);
    if (e == null) {
      e = new Entry();
      e.guard = reply.getZxid();
      e.epoch = ++epochs;
      table.get(p.path()).put(kind, e);
    }
    e.watchers.add(p.watcher());
    if (stream == 0) {
      // Not attached yet: the first restore registers this watch again, from the read's zxid
      // rather than the older one the client had when it asked.
      e.guard = Math.max(e.guard, reply.getZxid());
    }
    if (reply.getWatchStream() == stream && stream != 0
        && (e.stream != stream || e.confirmSeq < reply.getWatchSeq())) {
      // Registered in the current stream: its events up to the read are numbered at most this.
      e.guard = Math.max(e.guard, reply.getZxid());
      e.stream = stream;
      e.confirmSeq = Math.max(e.confirmSeq, reply.getWatchSeq());
    }
    pump();
  }

  /**
   * Removes {@code watcher}'s watches of {@code type} on {@code path} (every watcher's, when
   * {@code watcher} is null) and tells each removed watcher so. Returns the kinds no watcher holds
   * any more, which the server can drop; empty when nothing was removed.
   *
   * @throws KeelException NOWATCHER when there was no such watch
   */
  List<Kind> remove(String path, Watcher watcher, WatcherType type) {
    Map<Watcher, WatchedEvent.Type> told = new LinkedHashMap<>();
    List<Kind> emptied = new ArrayList<>();
    synchronized (this) {
      EnumMap<Kind, Entry> kinds = table.get(path);
      for (Kind k : kindsOf(type)) {
        Entry e = kinds == null ? null : kinds.get(k);
        if (e == null) {
          continue;
        }
        List<Watcher> gone = watcher == null ? List.copyOf(e.watchers)
            : e.watchers.contains(watcher) ? List.of(watcher) : List.of();
        for (Watcher w : gone) {
          e.watchers.remove(w);
          told.putIfAbsent(w, removedType(k));
        }
        if (e.watchers.isEmpty()) {
          kinds.remove(k);
          emptied.add(k);
        }
      }
      if (kinds != null && kinds.isEmpty()) {
        table.remove(path);
      }
    }
    if (told.isEmpty()) {
      throw KeelException.create(KeelException.Code.NOWATCHER, path,
          "no " + type.name().toLowerCase() + " watch" + (watcher == null ? "" : " of this watcher")
              + " on " + path);
    }
    dispatch(() -> told.forEach((w, t) -> call(w, new WatchedEvent(t, path, 0))));
    return emptied;
  }

  private static List<Kind> kindsOf(WatcherType type) {
    return switch (type) {
      case CHILDREN -> List.of(Kind.CHILD);
      case DATA -> List.of(Kind.DATA, Kind.EXIST);
      case PERSISTENT -> List.of(Kind.PERSISTENT);
      case PERSISTENT_RECURSIVE -> List.of(Kind.PERSISTENT_RECURSIVE);
      case ANY -> List.of(Kind.values());
    };
  }

  private static WatchedEvent.Type removedType(Kind k) {
    return switch (k) {
      case DATA, EXIST -> WatchedEvent.Type.DATA_WATCH_REMOVED;
      case CHILD -> WatchedEvent.Type.CHILD_WATCH_REMOVED;
      case PERSISTENT, PERSISTENT_RECURSIVE -> WatchedEvent.Type.PERSISTENT_WATCH_REMOVED;
    };
  }

  private void dropWatcher(String path, Kind kind, Watcher w) {
    EnumMap<Kind, Entry> kinds = table.get(path);
    Entry e = kinds == null ? null : kinds.get(kind);
    if (e != null && e.watchers.remove(w) && e.watchers.isEmpty()) {
      kinds.remove(kind);
      if (kinds.isEmpty()) {
        table.remove(path);
      }
    }
  }

  /** Number of (path, kind) watches this client holds. */
  synchronized int count() {
    int n = 0;
    for (EnumMap<Kind, Entry> kinds : table.values()) {
      n += kinds.size();
    }
    return n;
  }

  // ------------------------------------------------------------------ read ordering

  /**
   * Completes with {@code reply} once every event that must come before it has been delivered:
   * at once when this client holds no watch. {@code onDispatcher}: the read was issued by a watcher
   * (on the dispatch thread), so it cannot wait for watchers to run, only for events to arrive.
   */
  CompletableFuture<Response> admit(RaftPeerId from, Response reply, boolean onDispatcher) {
    CompletableFuture<Response> out;
    synchronized (this) {
      if (closed || !activated) {
        return CompletableFuture.completedFuture(reply);
      }
      Held h = new Held(reply.getWatchStream(), reply.getWatchSeq(), reply.getZxid(), onDispatcher,
          new CompletableFuture<>(), reply);
      // A stamp from before this stream's restore says nothing about the events the restore
      // replayed after it.
      if (h.stream() == stream && stream != 0 && h.seq() >= restoreFloor) {
        pending.merge(h.seq(), h.zxid(), Math::max);
      }
      if (ready(h)) {
        return CompletableFuture.completedFuture(reply);
      }
      held.add(h);
      out = h.out();
      RaftPeerId attached = reads.attached();
      if (h.stream() != stream && from != null && from.equals(attached)
          && !(inFlight && attached.equals(restoringAt))) {
        // Reads moved (or the server restarted): move the event stream there now.
        kick();
      }
    }
    return out;
  }

  private boolean ready(Held h) {
    long seq = h.onDispatcher() ? receivedSeq : deliveredSeq;
    if (h.stream() == stream && stream != 0 && !inRestore()) {
      return seq >= Math.max(h.seq(), restoreFloor);
    }
    return safeZxid(seq) >= h.zxid();
  }

  private boolean inRestore() {
    return needRestore || server == null;
  }

  /**
   * The zxid through which this client has every event of every watch it holds, counting the
   * events numbered up to {@code seq} as had.
   */
  private long safeZxid(long seq) {
    long safe = completeZxid;
    for (Map.Entry<Long, Long> p : pending.headMap(seq, true).entrySet()) {
      safe = Math.max(safe, p.getValue());
    }
    for (EnumMap<Kind, Entry> kinds : table.values()) {
      for (Entry e : kinds.values()) {
        if (e.stream != stream || stream == 0 || e.confirmSeq > seq) {
          safe = Math.min(safe, e.guard);
        }
      }
    }
    return safe;
  }

  private void releaseReady() {
    for (Iterator<Held> it = held.iterator(); it.hasNext(); ) {
      Held h = it.next();
      if (closed || ready(h)) {
        it.remove();
        callbacks.execute(() -> h.out().complete(h.reply()));
      }
    }
  }

  // ------------------------------------------------------------------ the event stream

  /** Starts the next poll or restore if none is in flight and there is something to watch. */
  private void pump() {
    if (closed || inFlight || !activated) {
      return;
    }
    RaftPeerId target = reads.attached();
    long gen = ++generation;
    inFlight = true;
    restoringAt = null;
    if (server == null || needRestore || !server.equals(target)) {
      restoringAt = target;
      restoreAt(target, gen);
    } else {
      pollAt(target, gen);
    }
  }

  /** Abandons the request in flight (its answer will be ignored) and starts over. */
  private void kick() {
    inFlight = false;
    needRestore = true;
    pump();
  }

  private void restoreAt(RaftPeerId target, long gen) {
    long from = safeZxid(receivedSeq);
    long coveredEpoch = epochs;
    RestoreWatchesOp.Builder op = RestoreWatchesOp.newBuilder().setLastZxid(from);
    table.forEach((path, kinds) -> {
      WatchSpec.Builder spec = WatchSpec.newBuilder().setPath(path);
      kinds.keySet().forEach(k -> spec.addKinds(k.proto));
      op.addWatches(spec);
    });
    ReadRequest request = ReadRequest.newBuilder().setSessionId(sessionId)
        .setMinZxid(lastZxid.getAsLong()).setRestoreWatches(op).build();
    send(target, request).whenComplete((r, e) -> restored(target, gen, from, coveredEpoch, r, e));
  }

  /**
   * Ends the request in flight: false when its answer is to be ignored (superseded, or failed, in
   * which case the next attempt is scheduled). Called under the lock.
   */
  private boolean usable(RaftPeerId target, long gen, Response r, Throwable e) {
    if (gen != generation || closed) {
      return false;
    }
    inFlight = false;
    if (e != null || r.getErrValue() != 0) {
      failed(target, e != null ? e : RaftTransport.toException(r));
      return false;
    }
    failuresInRow = 0;
    return true;
  }

  private synchronized void restored(RaftPeerId target, long gen, long from, long coveredEpoch,
                                     Response r, Throwable e) {
    if (!usable(target, gen, r, e)) {
      return;
    }
    WatchEvents ev = r.getEvents();
    server = target;
    stream = ev.getStreamId();
    receivedSeq = ev.getBaseSeq();
    // The new stream counts as delivered up to its base only once the old stream's events queued
    // for the watchers ahead of it have run.
    deliveredSeq = -1;
    restoreFloor = ev.getLastSeq();
    // Never claim more than this server has applied: a watch added later is only complete
    // through what the server reports from now on.
    completeZxid = Math.min(from, ev.getCompleteZxid());
    ordinalZxid = -1;
    ordinals.clear();
    pending.clear();
    // Reads this server stamped before the restore may carry numbers from before it: the restore
    // replayed everything up to the server's state, which those reads reflect.
    held.replaceAll(h -> h.stream() == stream
        ? new Held(h.stream(), 0, h.zxid(), h.onDispatcher(), h.out(), h.reply()) : h);
    pending.put(ev.getLastSeq(), ev.getCompleteZxid());
    needRestore = false;
    for (EnumMap<Kind, Entry> kinds : table.values()) {
      for (Entry en : kinds.values()) {
        if (en.epoch <= coveredEpoch) {
          en.guard = from;
          en.stream = stream;
          en.confirmSeq = ev.getLastSeq();
        } else {
          // Registered while the restore was on its way: it may have wiped that registration.
          needRestore = true;
        }
      }
    }
    LOG.debug("Session 0x{}: {} watches restored at {} from zxid {}", Long.toHexString(sessionId),
        count(), target, from);
    deliver(List.of(), receivedSeq);
    releaseReady();
    pump();
  }

  private void pollAt(RaftPeerId target, long gen) {
    ReadRequest request = ReadRequest.newBuilder().setSessionId(sessionId)
        .setPollWatches(PollWatchesOp.newBuilder().setStreamId(stream).setAfterSeq(receivedSeq)
            .setMaxEvents(MAX_EVENTS_PER_POLL).setWaitMs((int) AttachedReads.POLL_WAIT.toMillis()))
        .build();
    send(target, request).whenComplete((r, e) -> polled(target, gen, r, e));
  }

  private synchronized void polled(RaftPeerId target, long gen, Response r, Throwable e) {
    if (!usable(target, gen, r, e)) {
      return;
    }
    WatchEvents ev = r.getEvents();
    if (ev.getReset() || ev.getStreamId() != stream) {
      needRestore = true;
      pump();
      return;
    }
    List<Notification> fresh = new ArrayList<>();
    for (Notification n : ev.getEventsList()) {
      if (n.getSeq() > receivedSeq && firstTime(n)) {
        fresh.add(n);
      }
    }
    if (!ev.getEventsList().isEmpty()) {
      receivedSeq = Math.max(receivedSeq, ev.getEvents(ev.getEventsCount() - 1).getSeq());
    }
    // Seq 0 is a real position: nothing was ever queued for this session here.
    pending.merge(ev.getLastSeq(), ev.getCompleteZxid(), Math::max);
    deliver(fresh, receivedSeq);
    releaseReady();
    pump();
  }

  /**
   * False for an event that already arrived from an earlier stream (a restore replays from the
   * newest zxid known complete, which may be older than events received since). A stream's events
   * come in zxid order, so "the k-th event of this type and path at this zxid" names one change.
   */
  private boolean firstTime(Notification n) {
    if (n.getZxid() != ordinalZxid) {
      ordinalZxid = n.getZxid();
      ordinals.clear();
    }
    Notification bare = n.toBuilder().setSeq(0).build();
    int ordinal = ordinals.merge(bare, 1, Integer::sum);
    Notification key = bare.toBuilder().setSeq(ordinal).build();
    if (!recent.add(key)) {
      return false;
    }
    if (recent.size() > RECENT_EVENTS) {
      Iterator<Notification> eldest = recent.iterator();
      eldest.next();
      eldest.remove();
    }
    return true;
  }

  private void failed(RaftPeerId target, Throwable e) {
    KeelException k = RaftTransport.translate(e);
    LOG.debug("Session 0x{}: watch request to {} failed: {}", Long.toHexString(sessionId), target,
        k.getMessage());
    if (k.code() == KeelException.Code.SESSIONEXPIRED) {
      return;  // the connection-state listener clears everything
    }
    if (k.code() == KeelException.Code.CONNECTIONLOSS || k.code() == KeelException.Code.OPERATIONTIMEOUT
        || k.code() == KeelException.Code.SYSTEMERROR) {
      reads.moveFrom(target, e);
    }
    needRestore = true;
    long pauseMs = Math.min(1000, 20L << Math.min(6, failuresInRow++));
    long gen = generation;
    CompletableFuture.delayedExecutor(pauseMs, TimeUnit.MILLISECONDS).execute(() -> {
      synchronized (this) {
        if (gen == generation) {
          pump();
        }
      }
    });
  }

  private CompletableFuture<Response> send(RaftPeerId target, ReadRequest request) {
    Message m = Message.valueOf(UnsafeByteOperations.unsafeWrap(request.toByteString().asReadOnlyByteBuffer()));
    return reads.sendTo(target, m).thenApply(Watches::parse);
  }

  private static Response parse(RaftClientReply reply) {
    try {
      return Response.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
    } catch (InvalidProtocolBufferException e) {
      throw KeelException.create(KeelException.Code.MARSHALLINGERROR, null,
          "unreadable watch reply from the server: " + e.getMessage());
    }
  }

  /**
   * Sends the server a best-effort removal of kinds no watcher holds any more; the client has
   * already stopped delivering them, so a failure only leaves the server firing events nobody
   * receives, until the next restore.
   */
  CompletableFuture<Void> removeAtServer(String path, List<Kind> kinds) {
    RaftPeerId target;
    synchronized (this) {
      target = server;
    }
    if (kinds.isEmpty() || target == null) {
      return CompletableFuture.completedFuture(null);
    }
    RemoveWatchesOp.Builder op = RemoveWatchesOp.newBuilder().setPath(path);
    kinds.forEach(k -> op.addKinds(k.proto));
    return send(target, ReadRequest.newBuilder().setSessionId(sessionId).setRemoveWatches(op).build())
        .handle((r, e) -> {
          readdedMeanwhile(path, kinds);
          return null;
        });
  }

  /**
   * The removal and a registration of the same watch travel separately and unordered, so the
   * server may have applied the removal last: register everything again rather than hold a watch
   * the server dropped.
   */
  private synchronized void readdedMeanwhile(String path, List<Kind> kinds) {
    EnumMap<Kind, Entry> here = table.get(path);
    if (closed || here == null || kinds.stream().noneMatch(here::containsKey)) {
      return;
    }
    // Even over a restore in flight: that one may have reached the server before the removal.
    kick();
  }

  // ------------------------------------------------------------------ dispatch

  /** Works out which watchers each event fires (ZooKeeper's client rules) and queues them. */
  private void deliver(List<Notification> events, long upToSeq) {
    List<Runnable> calls = new ArrayList<>();
    for (Notification n : events) {
      WatchedEvent event = new WatchedEvent(typeOf(n), n.getPath(), n.getZxid());
      Set<Watcher> fired = fire(event);
      if (!fired.isEmpty()) {
        calls.add(() -> fired.forEach(w -> call(w, event)));
      }
    }
    long inStream = stream;
    dispatch(() -> {
      calls.forEach(Runnable::run);
      synchronized (this) {
        if (inStream != stream) {
          return;  // restored elsewhere meanwhile: these numbers mean nothing there
        }
        deliveredSeq = Math.max(deliveredSeq, upToSeq);
        for (Iterator<Map.Entry<Long, Long>> it = pending.headMap(deliveredSeq, true).entrySet().iterator();
             it.hasNext(); ) {
          completeZxid = Math.max(completeZxid, it.next().getValue());
          it.remove();
        }
        releaseReady();
      }
    });
  }

  private Set<Watcher> fire(WatchedEvent event) {
    Set<Watcher> out = new LinkedHashSet<>();
    String path = event.path();
    switch (event.type()) {
      case NODE_CREATED, NODE_DATA_CHANGED -> take(path, out, Kind.DATA, Kind.EXIST);
      case NODE_DELETED -> take(path, out, Kind.DATA, Kind.EXIST, Kind.CHILD);
      case NODE_CHILDREN_CHANGED -> take(path, out, Kind.CHILD);
      case HISTORY_GAP -> take(path, out, Kind.DATA, Kind.EXIST, Kind.CHILD);
      default -> { }
    }
    EnumMap<Kind, Entry> here = table.get(path);
    if (here != null && here.containsKey(Kind.PERSISTENT)) {
      out.addAll(here.get(Kind.PERSISTENT).watchers);
    }
    if (event.type() == WatchedEvent.Type.HISTORY_GAP) {
      if (here != null && here.containsKey(Kind.PERSISTENT_RECURSIVE)) {
        out.addAll(here.get(Kind.PERSISTENT_RECURSIVE).watchers);
      }
    } else if (event.type() != WatchedEvent.Type.NODE_CHILDREN_CHANGED) {
      for (String p = path; p != null; p = parent(p)) {
        EnumMap<Kind, Entry> kinds = table.get(p);
        if (kinds != null && kinds.containsKey(Kind.PERSISTENT_RECURSIVE)) {
          out.addAll(kinds.get(Kind.PERSISTENT_RECURSIVE).watchers);
        }
      }
    }
    return out;
  }

  /** Removes the one-shot watches of {@code kinds} on {@code path}, collecting their watchers. */
  private void take(String path, Set<Watcher> out, Kind... kinds) {
    EnumMap<Kind, Entry> here = table.get(path);
    if (here == null) {
      return;
    }
    for (Kind k : kinds) {
      Entry e = here.remove(k);
      if (e != null) {
        out.addAll(e.watchers);
      }
    }
    if (here.isEmpty()) {
      table.remove(path);
    }
  }

  private static String parent(String path) {
    if (path.equals("/")) {
      return null;
    }
    int at = path.lastIndexOf('/');
    return at == 0 ? "/" : path.substring(0, at);
  }

  private static WatchedEvent.Type typeOf(Notification n) {
    return switch (n.getType()) {
      case NODE_CREATED -> WatchedEvent.Type.NODE_CREATED;
      case NODE_DELETED -> WatchedEvent.Type.NODE_DELETED;
      case NODE_DATA_CHANGED -> WatchedEvent.Type.NODE_DATA_CHANGED;
      case NODE_CHILDREN_CHANGED -> WatchedEvent.Type.NODE_CHILDREN_CHANGED;
      default -> WatchedEvent.Type.HISTORY_GAP;
    };
  }

  private void dispatch(Runnable task) {
    try {
      dispatcher.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException closedMeanwhile) {
      // The client closed: nothing more is delivered.
    }
  }

  private static void call(Watcher w, WatchedEvent event) {
    try {
      w.process(event);
    } catch (RuntimeException e) {
      LOG.warn("A watcher failed on {}", event, e);
    }
  }

  // ------------------------------------------------------------------ the end

  /** The session expired: every watcher hears so once, and every watch is gone. */
  void sessionLost() {
    Map<Watcher, String> told = new LinkedHashMap<>();
    synchronized (this) {
      table.forEach((path, kinds) -> kinds.values().forEach(
          e -> e.watchers.forEach(w -> told.putIfAbsent(w, path))));
      table.clear();
      generation++;
      inFlight = false;
      server = null;
      stream = 0;
      // Every later request of an expired session fails: nothing more to poll for.
      activated = false;
      lost = true;
      releaseAll();
    }
    dispatch(() -> told.forEach(
        (w, path) -> call(w, new WatchedEvent(WatchedEvent.Type.SESSION_EXPIRED, path, 0))));
  }

  private void releaseAll() {
    for (Held h : held) {
      callbacks.execute(() -> h.out().complete(h.reply()));
    }
    held.clear();
  }

  @Override
  public void close() {
    Map<Watcher, String> told = new LinkedHashMap<>();
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      generation++;
      table.forEach((path, kinds) -> kinds.values().forEach(
          e -> e.watchers.forEach(w -> told.putIfAbsent(w, path))));
      table.clear();
      releaseAll();
    }
    // A thread blocked on a watch (a lock waiter, a queue taker) must wake and find the client
    // closed rather than wait forever for an event that can no longer come.
    dispatch(() -> told.forEach(
        (w, path) -> call(w, new WatchedEvent(WatchedEvent.Type.CLIENT_CLOSED, path, 0))));
    dispatcher.shutdown();
  }
}
