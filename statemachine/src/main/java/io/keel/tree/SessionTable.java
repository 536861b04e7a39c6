package io.keel.tree;

import io.keel.proto.Response;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The replicated session table: every open session's id and timeout, the paths of the ephemeral
 * nodes it owns, and the replies it may still ask for again (exactly-once retries). Sorted by id
 * (and path, and request id) so that snapshots and close-session deletions are deterministic.
 * Changes record their inverse in an {@link UndoLog}. Not thread-safe: {@link DataTree}'s lock
 * guards it.
 *
 * <p><b>Remembered replies.</b> A session remembers the reply of each applied request whose id is
 * at least its {@code answeredBelow} (the largest {@code WriteRequest.answered_below} it sent: the
 * client holds every reply below it, so the servers may forget those). At most
 * {@link #MAX_REMEMBERED} replies are kept per session, the smallest ids dropped first, so a
 * client that never advances {@code answered_below} cannot grow the replicated state without
 * bound; a retry of a dropped id is then refused (RUNTIMEINCONSISTENCY) instead of applied twice.
 */
final class SessionTable {

  /** Most replies remembered per session; a client with more requests in flight loses the oldest. */
  static final int MAX_REMEMBERED = 10_000;

  private static final class Session {
    final int timeoutMs;
    final TreeSet<String> ephemerals = new TreeSet<>();
    long answeredBelow;
    final TreeMap<Long, Response> remembered = new TreeMap<>();

    Session(int timeoutMs) {
      this.timeoutMs = timeoutMs;
    }
  }

  private final TreeMap<Long, Session> sessions = new TreeMap<>();

  boolean contains(long sessionId) {
    return sessions.containsKey(sessionId);
  }

  int size() {
    return sessions.size();
  }

  void open(long sessionId, int timeoutMs, UndoLog undo) {
    if (sessions.putIfAbsent(sessionId, new Session(timeoutMs)) != null) {
      throw new IllegalStateException("session " + hex(sessionId) + " already exists");
    }
    undo.record(() -> sessions.remove(sessionId));
  }

  /** Removes a session that owns no ephemerals any more. */
  void close(long sessionId, UndoLog undo) {
    Session session = sessions.get(sessionId);
    if (session == null || !session.ephemerals.isEmpty()) {
      throw new IllegalStateException("cannot close session " + hex(sessionId));
    }
    sessions.remove(sessionId);
    undo.record(() -> sessions.put(sessionId, session));
  }

  void addEphemeral(long sessionId, String path, UndoLog undo) {
    TreeSet<String> paths = sessions.get(sessionId).ephemerals;
    paths.add(path);
    undo.record(() -> paths.remove(path));
  }

  void removeEphemeral(long sessionId, String path, UndoLog undo) {
    TreeSet<String> paths = sessions.get(sessionId).ephemerals;
    if (!paths.remove(path)) {
      throw new IllegalStateException("session " + hex(sessionId) + " does not own " + Paths.quote(path));
    }
    undo.record(() -> paths.add(path));
  }

  /** Read-only, sorted view of a session's ephemeral paths; empty for an unknown session. */
  NavigableSet<String> ephemerals(long sessionId) {
    Session session = sessions.get(sessionId);
    return session == null ? Collections.emptyNavigableSet() : Collections.unmodifiableNavigableSet(session.ephemerals);
  }

  /** The session's timeout; the session must exist. */
  int timeoutMs(long sessionId) {
    return sessions.get(sessionId).timeoutMs;
  }

  /** The reply remembered for the session's request, or null (unknown session or request). */
  Response remembered(long sessionId, long requestId) {
    Session session = sessions.get(sessionId);
    return session == null ? null : session.remembered.get(requestId);
  }

  /** The largest answered_below the session has sent (0 for none or an unknown session). */
  long answeredBelow(long sessionId) {
    Session session = sessions.get(sessionId);
    return session == null ? 0 : session.answeredBelow;
  }

  /**
   * Raises the session's answeredBelow to {@code answeredBelow} (never lowers it), forgets the
   * replies below it, and remembers {@code response} as the reply to {@code requestId}. Beyond
   * {@link #MAX_REMEMBERED} replies the smallest ids are dropped and answeredBelow moves past
   * them, so that a retry of a dropped id is refused rather than applied a second time. The
   * session must exist and must not remember {@code requestId} yet.
   */
  void remember(long sessionId, long requestId, long answeredBelow, Response response, UndoLog undo) {
    Session session = sessions.get(sessionId);
    if (session.remembered.putIfAbsent(requestId, response) != null) {
      throw new IllegalStateException("request " + requestId + " of session " + hex(sessionId) + " was already answered");
    }
    undo.record(() -> session.remembered.remove(requestId));
    long newAnsweredBelow = Math.max(session.answeredBelow, answeredBelow);
    while (session.remembered.size() > MAX_REMEMBERED) {
      newAnsweredBelow = Math.max(newAnsweredBelow, session.remembered.firstKey() + 1);
      Map.Entry<Long, Response> oldest = session.remembered.pollFirstEntry();
      undo.record(() -> session.remembered.put(oldest.getKey(), oldest.getValue()));
    }
    long oldAnsweredBelow = session.answeredBelow;
    if (newAnsweredBelow > oldAnsweredBelow) {
      session.answeredBelow = newAnsweredBelow;
      undo.record(() -> session.answeredBelow = oldAnsweredBelow);
      NavigableMap<Long, Response> below = session.remembered.headMap(newAnsweredBelow, false);
      if (!below.isEmpty()) {
        TreeMap<Long, Response> forgotten = new TreeMap<>(below);
        below.clear();
        undo.record(() -> session.remembered.putAll(forgotten));
      }
    }
  }

  /** Read-only, request-id-ordered view of the session's remembered replies; empty if unknown. */
  NavigableMap<Long, Response> rememberedReplies(long sessionId) {
    Session session = sessions.get(sessionId);
    return session == null ? Collections.emptyNavigableMap() : Collections.unmodifiableNavigableMap(session.remembered);
  }

  /** Session id to timeout, in id order (a copy). */
  Map<Long, Integer> timeouts() {
    Map<Long, Integer> copy = new LinkedHashMap<>();
    sessions.forEach((id, session) -> copy.put(id, session.timeoutMs));
    return copy;
  }

  // ------------------------------------------------------------ snapshot loading (no undo)

  void load(long sessionId, int timeoutMs) {
    sessions.put(sessionId, new Session(timeoutMs));
  }

  void loadAnsweredBelow(long sessionId, long answeredBelow) {
    sessions.get(sessionId).answeredBelow = answeredBelow;
  }

  void loadRemembered(long sessionId, long requestId, Response response) {
    sessions.get(sessionId).remembered.put(requestId, response);
  }

  void loadEphemeral(long sessionId, String path) {
    sessions.get(sessionId).ephemerals.add(path);
  }

  static String hex(long sessionId) {
    return "0x" + Long.toHexString(sessionId);
  }
}
