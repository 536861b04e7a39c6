package io.keel.tree;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The replicated session table: every open session's id and timeout, and the paths of the
 * ephemeral nodes it owns. Sorted by id (and path) so that snapshots and close-session deletions
 * are deterministic. Changes record their inverse in an {@link UndoLog}. Not thread-safe:
 * {@link DataTree}'s lock guards it.
 */
final class SessionTable {

  private static final class Session {
    final int timeoutMs;
    final TreeSet<String> ephemerals = new TreeSet<>();

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

  void loadEphemeral(long sessionId, String path) {
    sessions.get(sessionId).ephemerals.add(path);
  }

  static String hex(long sessionId) {
    return "0x" + Long.toHexString(sessionId);
  }
}
