package io.keel.watch;

import java.util.Objects;

/**
 * One notification queued for a session. Immutable and thread-safe.
 *
 * @param seq  the session's sequence number at this server: 1, 2, 3, ... strictly increasing
 *             (numbers of dropped events are not reused, so gaps in seq are possible; a
 *             {@link EventType#HISTORY_GAP} event explains them)
 * @param type what happened
 * @param path the watched node's path; for {@link WatchKind#PERSISTENT_RECURSIVE} the changed
 *             descendant's path, and for {@link EventType#NODE_CHILDREN_CHANGED} the parent's
 * @param zxid the zxid of the entry that made the change; never less than an earlier event's of
 *             the same session (see {@link WatchRegistry} for the replay and gap cases)
 */
public record WatchEvent(long seq, EventType type, String path, long zxid) {

  public WatchEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(path, "path");
  }
}
