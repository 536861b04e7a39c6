package io.keel.client;

import java.util.Objects;

/**
 * What a {@link Watcher} is told. Immutable.
 *
 * @param type what happened
 * @param path the node it happened to: the watched node, its descendant for a
 *             {@link AddWatchMode#PERSISTENT_RECURSIVE} watch, the parent for
 *             {@link Type#NODE_CHILDREN_CHANGED}
 * @param zxid the zxid of the change (of the server's state for {@link Type#HISTORY_GAP}; 0 for
 *             the events the client makes itself: watch removed, session expired)
 */
public record WatchedEvent(Type type, String path, long zxid) {

  /** ZooKeeper's event types, plus Keel's explicit "you may have missed changes" events. */
  public enum Type {
    NODE_CREATED,
    NODE_DELETED,
    NODE_DATA_CHANGED,
    NODE_CHILDREN_CHANGED,
    /**
     * The server could not tell what changed under {@code path} while this client was moving
     * between servers (its change history did not reach back far enough) or was not reading its
     * events: re-read the path. A one-shot watch is used up by it; a persistent one stays.
     */
    HISTORY_GAP,
    /** The watcher's data or exist watch was removed by {@code removeWatches}. */
    DATA_WATCH_REMOVED,
    /** The watcher's child watch was removed by {@code removeWatches}. */
    CHILD_WATCH_REMOVED,
    /** The watcher's persistent (or recursive) watch was removed by {@code removeWatches}. */
    PERSISTENT_WATCH_REMOVED,
    /** The session expired: every watch is gone, and nothing more will come. */
    SESSION_EXPIRED,
    /** This client was closed: every watch is gone, and nothing more will come. */
    CLIENT_CLOSED
  }

  public WatchedEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(path, "path");
  }
}
