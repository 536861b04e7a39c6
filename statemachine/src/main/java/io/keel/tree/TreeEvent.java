package io.keel.tree;

import java.util.Objects;

/**
 * One change an applied entry made to one node, for the watch layer: a node was created, deleted,
 * or had its data replaced. A parent's children changed whenever a child was created or deleted
 * ({@link Paths#parent}). ACL changes are not events (ZooKeeper fires no watch for them).
 *
 * <p>An entry's events come in the order the changes were made (a multi's ops in order; a
 * close-session's ephemerals by path). A failed entry has none. Immutable and thread-safe.
 *
 * @param kind what happened
 * @param path the node's full path (for a sequential create, with its suffix)
 */
public record TreeEvent(Kind kind, String path) {

  /** What happened to the node. */
  public enum Kind {
    CREATED,
    DELETED,
    DATA_CHANGED
  }

  public TreeEvent {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(path, "path");
  }
}
