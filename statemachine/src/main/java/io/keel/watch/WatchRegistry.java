package io.keel.watch;

import io.keel.tree.Paths;
import io.keel.tree.TreeEvent;
import io.keel.watch.WatchMatch.Notice;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * The watches of the sessions attached to this server, the events they fired, queued per session,
 * and a bounded history of recent changes for replay (DESIGN §4).
 *
 * <p><b>Firing rules</b> (ZooKeeper's): a {@link WatchKind#DATA} or {@link WatchKind#EXIST} watch
 * on P fires on P's creation, data change or deletion (the server does not tell them apart, as in
 * ZooKeeper; the first of several changes in one entry wins); {@link WatchKind#CHILD} on P fires
 * NODE_CHILDREN_CHANGED(P) when a child of P is created or deleted, and NODE_DELETED(P) when P is
 * deleted; {@link WatchKind#PERSISTENT} on P reports P's creation, data change and deletion and its
 * children's creation and deletion; {@link WatchKind#PERSISTENT_RECURSIVE} on P reports the
 * creation, data change and deletion of P and every descendant (with the descendant's path; no
 * NODE_CHILDREN_CHANGED). One-shot watches are removed when they fire.
 *
 * <p><b>Deduplication.</b> One change (one {@link TreeEvent}) gives a session at most one event per
 * (type, path), however many of its watches it fires: a DATA and a CHILD watch on P, P deleted,
 * give one NODE_DELETED(P); a PERSISTENT on /a and a PERSISTENT_RECURSIVE on / give one
 * NODE_DATA_CHANGED(/a). Two changes of the same node in one entry (a multi) are two events.
 *
 * <p><b>Ordering.</b> A session's events have strictly increasing seq and non-decreasing zxid;
 * the events of one entry come in the entry's order. A change that is replayed at
 * {@link #register} time (it happened between the read and the registration) would land behind
 * events already queued for the session; it then carries the newest queued zxid instead of its own
 * (the change happened at or before it), so zxids never go backwards.
 *
 * <p><b>History.</b> The last {@code historyEntries} tree events (not entries) are kept with their
 * zxids. History is <em>complete after</em> zxid H when every change with zxid &gt; H is in it;
 * H starts at the constructor's {@code startZxid} and moves up as old changes are evicted. A
 * registration or restore that needs changes at or before H gets a {@link EventType#HISTORY_GAP}
 * event instead.
 *
 * <p><b>Queue bound.</b> A session's unacknowledged events are capped at {@code maxQueuedEvents}.
 * When an event would exceed it, the queued events that came only from persistent watches
 * (including earlier gap events) are dropped and replaced by one HISTORY_GAP per path the session
 * holds a persistent watch on, at the current zxid: a persistent watcher that stops polling loses
 * detail, never the fact that it missed something. Events of one-shot watches are never dropped;
 * there are at most as many of them as one-shot registrations.
 *
 * <p><b>Thread-safety.</b> Every method may be called from any thread; {@link #applied} is meant
 * for the apply thread, the rest for request threads. One lock guards all state; futures are
 * completed after it is released, so a caller's continuation never runs under it and may call
 * back in. Nothing blocks except for that lock, held for the work of one call.
 */
public final class WatchRegistry {

  /** ZooKeeper has no limit; 100,000 events of a few hundred bytes is tens of MB per session. */
  public static final int DEFAULT_MAX_QUEUED_EVENTS = 100_000;

  /**
   * A node's zxid stamps as the tree has them now, for {@link #restore}. Called without the
   * registry's lock held.
   */
  @FunctionalInterface
  public interface NodeView {
    /** The node's stamps, or null if it does not exist. */
    NodeStamp stamp(String path);
  }

  /**
   * The zxids that tell whether a node changed since some zxid: created, data last modified,
   * children last changed.
   */
  public record NodeStamp(long czxid, long mzxid, long pzxid) {
  }

  private record Change(long zxid, TreeEvent event) {
  }

  /** A queued event; droppable when only persistent watches produced it. */
  private record Queued(WatchEvent event, boolean droppable) {
  }

  /** Which watches a dispatch may fire: all, or only those just registered (replay). */
  private interface Filter {
    boolean accepts(long session, String path, WatchKind kind);
  }

  private static final class SessionState {
    final long id;
    /** Paths this session has at least one watch on, to undo the index on close. */
    final Set<String> paths = new HashSet<>();
    final ArrayDeque<Queued> queue = new ArrayDeque<>();
    int droppable;
    long lastSeq;
    /** Newest zxid ever queued, so replayed events never go back in zxid. */
    long lastZxid;
    CompletableFuture<List<WatchEvent>> waiter;
    int waiterMax;

    SessionState(long id) {
      this.id = id;
    }
  }

  /** A future to complete once the lock is released. */
  private record Wake(CompletableFuture<List<WatchEvent>> future, List<WatchEvent> events) {
    void run() {
      future.complete(events);
    }
  }

  private final Object lock = new Object();
  private final int historyCapacity;
  private final int maxQueued;

  // Everything below is guarded by lock.
  private final ArrayDeque<Change> history = new ArrayDeque<>();
  private long historyCompleteAfter;
  private long appliedZxid;
  /** path -> session -> kind -> guard zxid: the watch ignores changes at or before its guard. */
  private final Map<String, Map<Long, EnumMap<WatchKind, Long>>> byPath = new HashMap<>();
  /** Recursive watches held; when 0, a change's ancestors above its parent need no lookup. */
  private int recursiveCount;
  private final Map<Long, SessionState> sessions = new HashMap<>();

  /**
   * @param historyEntries how many tree events to keep for replay (0 disables replay: every
   *                       late registration or restore then gets a HISTORY_GAP)
   * @param startZxid      the zxid of the tree when the registry starts (0 for an empty tree, the
   *                       snapshot's zxid after a restart): history is complete after it
   */
  public WatchRegistry(int historyEntries, long startZxid) {
    this(historyEntries, startZxid, DEFAULT_MAX_QUEUED_EVENTS);
  }

  /**
   * @param maxQueuedEvents the per-session bound on unacknowledged events, at least 1
   * @see #WatchRegistry(int, long)
   */
  public WatchRegistry(int historyEntries, long startZxid, int maxQueuedEvents) {
    if (historyEntries < 0) {
      throw new IllegalArgumentException("historyEntries must be >= 0: " + historyEntries);
    }
    if (maxQueuedEvents < 1) {
      throw new IllegalArgumentException("maxQueuedEvents must be >= 1: " + maxQueuedEvents);
    }
    if (startZxid < 0) {
      throw new IllegalArgumentException("startZxid must be >= 0: " + startZxid);
    }
    this.historyCapacity = historyEntries;
    this.maxQueued = maxQueuedEvents;
    this.historyCompleteAfter = startZxid;
    this.appliedZxid = startZxid;
  }

  /**
   * Registers a watch after a read served at {@code readZxid} (the reply's zxid). Changes after
   * {@code readZxid} that were already applied here fire it at once (from the history), so a change
   * between the read and the registration is never missed; changes at or before {@code readZxid}
   * never fire it, even if this registry has not seen them yet (the read already reflects them).
   * If the history is no longer complete after {@code readZxid}, the session gets a HISTORY_GAP for
   * the path instead, and a one-shot watch is used up by it. Registering a watch the session
   * already holds keeps one watch.
   *
   * @throws IllegalArgumentException for an invalid path
   * @throws NullPointerException     for a null kind
   */
  public void register(long session, String path, WatchKind kind, long readZxid) {
    checkPath(path);
    Objects.requireNonNull(kind, "kind");
    Wake wake;
    synchronized (lock) {
      SessionState s = sessions.computeIfAbsent(session, SessionState::new);
      if (readZxid < historyCompleteAfter) {
        enqueue(s, EventType.HISTORY_GAP, path, appliedZxid, kind.persistent());
        if (kind.persistent()) {
          addWatch(session, s, path, kind, appliedZxid);
        } else {
          // A client hands a gap on a path to every one-shot watcher there; keep the same view.
          EnumMap<WatchKind, Long> held = byPath.getOrDefault(path, Map.of()).get(session);
          if (held != null) {
            for (WatchKind k : List.copyOf(held.keySet())) {
              if (!k.persistent()) {
                removeWatch(session, s, path, k);
              }
            }
          }
        }
      } else {
        addWatch(session, s, path, kind, readZxid);
        replay(session, readZxid, (id, p, k) -> id == session && p.equals(path) && k == kind);
      }
      wake = wakeLocked(s);
    }
    run(wake);
  }

  /**
   * ZooKeeper's removeWatches: removes the session's watch of {@code kind} on {@code path}, or all
   * its watches on the path when {@code kind} is null. ZooKeeper's "Data" watcher type is
   * {@link WatchKind#DATA} and {@link WatchKind#EXIST} here: remove both. Events already queued
   * stay queued.
   *
   * @return whether any watch was removed
   */
  public boolean remove(long session, String path, WatchKind kind) {
    synchronized (lock) {
      SessionState s = sessions.get(session);
      Map<Long, EnumMap<WatchKind, Long>> watchers = byPath.get(path);
      EnumMap<WatchKind, Long> kinds = watchers == null ? null : watchers.get(session);
      if (s == null || kinds == null) {
        return false;
      }
      List<WatchKind> doomed = kind == null ? List.copyOf(kinds.keySet())
          : kinds.containsKey(kind) ? List.of(kind) : List.of();
      for (WatchKind k : doomed) {
        removeWatch(session, s, path, k);
      }
      return !doomed.isEmpty();
    }
  }

  /** Whether the session holds a watch of {@code kind} on {@code path} (any kind when null). */
  public boolean holds(long session, String path, WatchKind kind) {
    synchronized (lock) {
      Map<Long, EnumMap<WatchKind, Long>> watchers = byPath.get(path);
      EnumMap<WatchKind, Long> kinds = watchers == null ? null : watchers.get(session);
      return kinds != null && (kind == null ? !kinds.isEmpty() : kinds.containsKey(kind));
    }
  }

  /**
   * Fires the watches that entry {@code zxid}'s changes trigger. Called by the apply thread after
   * each applied entry, in log order, with an empty list for entries that changed no node; must not
   * be called while holding the tree's lock (a {@link NodeView} may be reading it).
   *
   * @throws IllegalArgumentException if {@code zxid} is not after the previous call's (or the
   *                                  start zxid); nothing is changed then
   */
  public void applied(long zxid, List<TreeEvent> events) {
    List<TreeEvent> changes = List.copyOf(events);
    List<Wake> wakes = new ArrayList<>();
    synchronized (lock) {
      if (zxid <= appliedZxid) {
        throw new IllegalArgumentException("entry " + zxid + " is not after the last applied " + appliedZxid);
      }
      appliedZxid = zxid;
      Set<SessionState> touched = new LinkedHashSet<>();
      for (TreeEvent event : changes) {
        remember(zxid, event);
        touched.addAll(dispatch(zxid, event, null));
      }
      for (SessionState s : touched) {
        Wake wake = wakeLocked(s);
        if (wake != null) {
          wakes.add(wake);
        }
      }
    }
    wakes.forEach(Wake::run);
  }

  /**
   * The session's events with seq &gt; {@code afterSeq}, oldest first, at most {@code maxEvents}.
   * Events up to {@code afterSeq} are acknowledged and dropped. The future is complete at once
   * when there are such events; otherwise it completes when the next one is queued. A long-poll
   * times out by the caller completing the future itself (with an empty list) from its own timer;
   * nothing is lost then, since events leave the queue only when acknowledged. A new poll of the
   * session completes the previous still-waiting one with an empty list; so does
   * {@link #sessionClosed} and {@link #restore}.
   *
   * <p>The future fails with {@link IllegalArgumentException} when {@code afterSeq} is above
   * {@link #lastSeq}: the client's numbering belongs to another server (or to this one before a
   * restart), and it must {@link #restore} first.
   */
  public CompletableFuture<List<WatchEvent>> poll(long session, long afterSeq, int maxEvents) {
    if (maxEvents < 1) {
      throw new IllegalArgumentException("maxEvents must be >= 1: " + maxEvents);
    }
    CompletableFuture<List<WatchEvent>> superseded;
    CompletableFuture<List<WatchEvent>> result;
    synchronized (lock) {
      SessionState s = sessions.computeIfAbsent(session, SessionState::new);
      if (afterSeq > s.lastSeq) {
        return CompletableFuture.failedFuture(new IllegalArgumentException(
            "afterSeq " + afterSeq + " is above the session's last seq " + s.lastSeq + " at this server"));
      }
      while (!s.queue.isEmpty() && s.queue.peekFirst().event().seq() <= afterSeq) {
        Queued acked = s.queue.pollFirst();
        if (acked.droppable()) {
          s.droppable--;
        }
      }
      superseded = s.waiter;
      s.waiter = null;
      if (!s.queue.isEmpty()) {
        result = CompletableFuture.completedFuture(batch(s, maxEvents));
      } else {
        result = new CompletableFuture<>();
        s.waiter = result;
        s.waiterMax = maxEvents;
      }
    }
    if (superseded != null) {
      superseded.complete(List.of());
    }
    return result;
  }

  /**
   * Ends a long-poll that is still waiting: detaches {@code poll} (a future {@link #poll} returned)
   * so that nothing else completes it, and returns {@link #appliedZxid} as of that moment; the
   * caller then completes it with an empty list and may tell the client that it has every event up
   * to that zxid. Returns -1 when the poll was already completed or taken over (by events, a newer
   * poll, a restore or a close): its answer stands.
   */
  public long expirePoll(long session, CompletableFuture<List<WatchEvent>> poll) {
    synchronized (lock) {
      SessionState s = sessions.get(session);
      if (s == null || s.waiter != poll) {
        return -1;
      }
      s.waiter = null;
      return appliedZxid;
    }
  }

  /**
   * The seq of the session's newest event at this server, 0 if none. A read reply carries it, so
   * the client holds the reply until it has delivered every event up to it. Only meaningful once
   * {@link #applied} has been called for the read's zxid (see {@link #appliedZxid}).
   */
  public long lastSeq(long session) {
    synchronized (lock) {
      SessionState s = sessions.get(session);
      return s == null ? 0 : s.lastSeq;
    }
  }

  /**
   * {@link #lastSeq} if this registry has applied {@code zxid}, else -1: the position a read at
   * {@code zxid} may be stamped with, taken in one step.
   */
  public long lastSeqAt(long session, long zxid) {
    synchronized (lock) {
      if (appliedZxid < zxid) {
        return -1;
      }
      SessionState s = sessions.get(session);
      return s == null ? 0 : s.lastSeq;
    }
  }

  /** Whether this registry holds any state (watches, events, numbering) of the session. */
  public boolean hasSession(long session) {
    synchronized (lock) {
      return sessions.containsKey(session);
    }
  }

  /** The zxid of the last {@link #applied} call (or the start zxid). */
  public long appliedZxid() {
    synchronized (lock) {
      return appliedZxid;
    }
  }

  /**
   * Failover (ZooKeeper's SetWatches, plus replay): replaces whatever the session had at this
   * server by {@code watches}, as seen by a client whose last seen zxid is {@code lastZxid}. Queued
   * events of the session are discarded and a waiting poll completes empty; seq numbering continues,
   * and the return value is the seq after which this session's new events start: the client's next
   * poll passes it as {@code afterSeq}.
   *
   * <p>When the history is complete after {@code lastZxid}, every change since is replayed through
   * the firing rules as if the watches had been here all along (one-shot watches fire at most once,
   * with the first change; persistent ones report every change, each with its own zxid). Otherwise
   * each persistent watch path gets one HISTORY_GAP at {@link #appliedZxid} and stays, and each
   * one-shot watch asks {@code view} whether its node changed: DATA fires NODE_DELETED if the node is
   * gone or NODE_DATA_CHANGED if {@code mzxid > lastZxid}; EXIST fires NODE_CREATED if the node now
   * exists; CHILD fires NODE_DELETED if gone or NODE_CHILDREN_CHANGED if {@code pzxid > lastZxid}.
   * Such an event carries the stamp's zxid (NODE_DELETED: {@link #appliedZxid}); if the stamp is
   * newer than {@link #appliedZxid} the watch is registered instead, and the entry, still to be
   * applied here, fires it with its own zxid. Unchanged nodes fire nothing and keep their watch.
   *
   * @param watches path -> kinds; an empty set is ignored
   * @param view    the current tree; called before the lock is taken
   * @return the session's last seq before the restored events
   * @throws IllegalArgumentException for an invalid path; nothing is changed then
   */
  public long restore(long session, long lastZxid, Map<String, Set<WatchKind>> watches, NodeView view) {
    // Stamps read now may miss changes applied before the lock below: those are replayed.
    long stampsAt = appliedZxid();
    // Sorted so that events of one zxid come out in the same order on every call.
    Map<String, Set<WatchKind>> wanted = new TreeMap<>();
    Map<String, NodeStamp> stamps = new HashMap<>();
    for (Map.Entry<String, Set<WatchKind>> e : watches.entrySet()) {
      checkPath(e.getKey());
      Set<WatchKind> kinds = e.getValue().isEmpty() ? Set.of() : EnumSet.copyOf(e.getValue());
      if (kinds.isEmpty()) {
        continue;
      }
      wanted.put(e.getKey(), kinds);
      if (kinds.stream().anyMatch(k -> !k.persistent())) {
        stamps.put(e.getKey(), view.stamp(e.getKey()));
      }
    }
    CompletableFuture<List<WatchEvent>> oldWaiter;
    Wake wake;
    long base;
    synchronized (lock) {
      SessionState old = sessions.remove(session);
      oldWaiter = old == null ? null : old.waiter;
      if (old != null) {
        detachAll(session, old);
      }
      SessionState s = new SessionState(session);
      s.lastSeq = old == null ? 0 : old.lastSeq;
      base = s.lastSeq;
      sessions.put(session, s);
      if (lastZxid >= historyCompleteAfter) {
        wanted.forEach((path, kinds) -> kinds.forEach(k -> addWatch(session, s, path, k, lastZxid)));
        replay(session, lastZxid, (id, p, k) -> id == session);
      } else {
        restoreWithoutHistory(session, s, lastZxid, wanted, stamps);
        catchUpOneShots(session, s, stampsAt);
      }
      wake = wakeLocked(s);
    }
    if (oldWaiter != null) {
      oldWaiter.complete(List.of());
    }
    run(wake);
    return base;
  }

  /** Drops the session's watches and queue; a waiting poll completes with an empty list. */
  public void sessionClosed(long session) {
    CompletableFuture<List<WatchEvent>> waiter = null;
    synchronized (lock) {
      SessionState s = sessions.remove(session);
      if (s != null) {
        detachAll(session, s);
        waiter = s.waiter;
      }
    }
    if (waiter != null) {
      waiter.complete(List.of());
    }
  }

  /** Number of watches held, all sessions and kinds (for metrics and tests). */
  public int watchCount() {
    synchronized (lock) {
      int n = 0;
      for (Map<Long, EnumMap<WatchKind, Long>> watchers : byPath.values()) {
        for (EnumMap<WatchKind, Long> kinds : watchers.values()) {
          n += kinds.size();
        }
      }
      return n;
    }
  }

  // ------------------------------------------------------------------------- under the lock

  private void restoreWithoutHistory(long session, SessionState s, long lastZxid,
      Map<String, Set<WatchKind>> wanted, Map<String, NodeStamp> stamps) {
    record Fired(long zxid, Notice notice) {
    }
    List<Fired> fired = new ArrayList<>();
    List<String> gaps = new ArrayList<>();
    for (Map.Entry<String, Set<WatchKind>> e : wanted.entrySet()) {
      String path = e.getKey();
      NodeStamp stamp = stamps.get(path);
      Set<Notice> firedHere = new HashSet<>();
      boolean gap = false;
      for (WatchKind kind : e.getValue()) {
        if (kind.persistent()) {
          gap = true;
          addWatch(session, s, path, kind, appliedZxid);
          continue;
        }
        Notice notice = null;
        long zxid = appliedZxid;
        if (stamp == null) {
          if (kind != WatchKind.EXIST) {
            notice = new Notice(EventType.NODE_DELETED, path);
          }
        } else if (kind == WatchKind.EXIST) {
          notice = new Notice(EventType.NODE_CREATED, path);
          zxid = stamp.czxid();
        } else if (kind == WatchKind.DATA && stamp.mzxid() > lastZxid) {
          notice = new Notice(EventType.NODE_DATA_CHANGED, path);
          zxid = stamp.mzxid();
        } else if (kind == WatchKind.CHILD && stamp.pzxid() > lastZxid) {
          notice = new Notice(EventType.NODE_CHILDREN_CHANGED, path);
          zxid = stamp.pzxid();
        }
        if (notice == null || zxid > appliedZxid) {
          // Unchanged, or changed by an entry not yet applied here, which will fire it itself.
          addWatch(session, s, path, kind, lastZxid);
        } else if (firedHere.add(notice)) {
          fired.add(new Fired(zxid, notice));
        }
      }
      if (gap) {
        gaps.add(path);
      }
    }
    fired.sort(Comparator.comparingLong(Fired::zxid)); // stable: ties keep path order
    for (Fired f : fired) {
      enqueue(s, f.notice().type(), f.notice().path(), f.zxid(), false);
    }
    for (String path : gaps) {
      enqueue(s, EventType.HISTORY_GAP, path, appliedZxid, true);
    }
  }

  /**
   * Changes applied between reading the nodes' stamps and taking the lock were dispatched before
   * the restored one-shot watches existed: replay them through those watches, or, when even that
   * stretch has left the history, tell each such watch HISTORY_GAP (using it up).
   */
  private void catchUpOneShots(long session, SessionState s, long stampsAt) {
    if (appliedZxid <= stampsAt) {
      return;
    }
    if (stampsAt >= historyCompleteAfter) {
      replay(session, stampsAt, (id, p, k) -> id == session && !k.persistent());
      return;
    }
    for (String path : List.copyOf(s.paths)) {
      EnumMap<WatchKind, Long> kinds = byPath.get(path).get(session);
      List<WatchKind> oneShots = kinds.keySet().stream().filter(k -> !k.persistent()).toList();
      if (!oneShots.isEmpty()) {
        oneShots.forEach(k -> removeWatch(session, s, path, k));
        enqueue(s, EventType.HISTORY_GAP, path, appliedZxid, false);
      }
    }
  }

  /** Re-runs the history after {@code afterZxid} through the watches {@code filter} accepts. */
  private void replay(long session, long afterZxid, Filter filter) {
    List<Change> recent = new ArrayList<>();
    for (Iterator<Change> it = history.descendingIterator(); it.hasNext(); ) {
      Change change = it.next();
      if (change.zxid() <= afterZxid) {
        break;
      }
      recent.add(change);
    }
    Collections.reverse(recent);
    for (Change change : recent) {
      dispatch(change.zxid(), change.event(), filter);
    }
  }

  private void remember(long zxid, TreeEvent event) {
    if (historyCapacity == 0) {
      historyCompleteAfter = zxid;
      return;
    }
    if (history.size() == historyCapacity) {
      // Part of this entry may still be in the history, so it is complete only after it.
      historyCompleteAfter = history.pollFirst().zxid();
    }
    history.addLast(new Change(zxid, event));
  }

  /**
   * Fires the watches on the changed node, its parent and (when any recursive watch exists) its
   * ancestors, one event per (session, type, path). Returns the sessions that got events.
   */
  private Set<SessionState> dispatch(long zxid, TreeEvent event, Filter filter) {
    Map<Long, LinkedHashMap<Notice, Boolean>> fired = new LinkedHashMap<>();
    record Spent(long session, String path, WatchKind kind) {
    }
    List<Spent> spent = new ArrayList<>();
    String level = event.path();
    for (int depth = 0; level != null && (depth < 2 || recursiveCount > 0); depth++) {
      Map<Long, EnumMap<WatchKind, Long>> watchers = byPath.get(level);
      if (watchers != null) {
        for (Map.Entry<Long, EnumMap<WatchKind, Long>> w : watchers.entrySet()) {
          long session = w.getKey();
          for (Map.Entry<WatchKind, Long> k : w.getValue().entrySet()) {
            WatchKind kind = k.getKey();
            if (k.getValue() >= zxid || (filter != null && !filter.accepts(session, level, kind))) {
              continue;
            }
            Notice notice = WatchMatch.match(kind, level, event);
            if (notice == null) {
              continue;
            }
            // Droppable only if every watch behind the event is persistent.
            fired.computeIfAbsent(session, id -> new LinkedHashMap<>())
                .merge(notice, kind.persistent(), Boolean::logicalAnd);
            if (!kind.persistent()) {
              spent.add(new Spent(session, level, kind));
            }
          }
        }
      }
      level = Paths.parent(level);
    }
    for (Spent x : spent) {
      removeWatch(x.session(), sessions.get(x.session()), x.path(), x.kind());
    }
    Set<SessionState> touched = new LinkedHashSet<>();
    fired.forEach((session, notices) -> {
      SessionState s = sessions.get(session);
      notices.forEach((n, droppable) -> enqueue(s, n.type(), n.path(), zxid, droppable));
      touched.add(s);
    });
    return touched;
  }

  private void enqueue(SessionState s, EventType type, String path, long zxid, boolean droppable) {
    if (s.queue.size() >= maxQueued && s.droppable > 0) {
      overflow(s, zxid);
    }
    long at = Math.max(zxid, s.lastZxid);
    s.lastZxid = at;
    s.queue.addLast(new Queued(new WatchEvent(++s.lastSeq, type, path, at), droppable));
    if (droppable) {
      s.droppable++;
    }
  }

  /** Drops the persistent watches' events and tells each persistent watch it missed some. */
  private void overflow(SessionState s, long zxid) {
    s.queue.removeIf(Queued::droppable);
    s.droppable = 0;
    Set<String> persistentPaths = new TreeSet<>();
    for (String path : s.paths) {
      if (byPath.get(path).get(s.id).keySet().stream().anyMatch(WatchKind::persistent)) {
        persistentPaths.add(path);
      }
    }
    long at = Math.max(zxid, s.lastZxid);
    s.lastZxid = at;
    for (String path : persistentPaths) {
      s.queue.addLast(new Queued(new WatchEvent(++s.lastSeq, EventType.HISTORY_GAP, path, at), true));
      s.droppable++;
    }
  }

  private void addWatch(long session, SessionState s, String path, WatchKind kind, long guard) {
    EnumMap<WatchKind, Long> kinds = byPath.computeIfAbsent(path, p -> new HashMap<>())
        .computeIfAbsent(session, id -> new EnumMap<>(WatchKind.class));
    Long old = kinds.get(kind);
    if (old == null && kind == WatchKind.PERSISTENT_RECURSIVE) {
      recursiveCount++;
    }
    // Keep the older guard: the earlier registration's read must still see later changes.
    kinds.put(kind, old == null ? guard : Math.min(old, guard));
    s.paths.add(path);
  }

  private void removeWatch(long session, SessionState s, String path, WatchKind kind) {
    Map<Long, EnumMap<WatchKind, Long>> watchers = byPath.get(path);
    EnumMap<WatchKind, Long> kinds = watchers.get(session);
    if (kinds.remove(kind) != null && kind == WatchKind.PERSISTENT_RECURSIVE) {
      recursiveCount--;
    }
    if (kinds.isEmpty()) {
      watchers.remove(session);
      s.paths.remove(path);
      if (watchers.isEmpty()) {
        byPath.remove(path);
      }
    }
  }

  private void detachAll(long session, SessionState s) {
    for (String path : List.copyOf(s.paths)) {
      for (WatchKind kind : List.copyOf(byPath.get(path).get(session).keySet())) {
        removeWatch(session, s, path, kind);
      }
    }
  }

  private Wake wakeLocked(SessionState s) {
    if (s.waiter == null || s.queue.isEmpty()) {
      return null;
    }
    Wake wake = new Wake(s.waiter, batch(s, s.waiterMax));
    s.waiter = null;
    return wake;
  }

  private static List<WatchEvent> batch(SessionState s, int max) {
    List<WatchEvent> out = new ArrayList<>(Math.min(max, s.queue.size()));
    for (Queued q : s.queue) {
      if (out.size() == max) {
        break;
      }
      out.add(q.event());
    }
    return List.copyOf(out);
  }

  private static void run(Wake wake) {
    if (wake != null) {
      wake.run();
    }
  }

  private static void checkPath(String path) {
    String problem = Paths.problem(path, false);
    if (problem != null) {
      throw new IllegalArgumentException("invalid watch path: " + problem);
    }
  }
}
