package io.keel.watch;

import io.keel.tree.Paths;
import io.keel.tree.TreeEvent;

/**
 * The firing rules in one pure function, shared by live dispatch and replay so the two cannot
 * disagree. Stateless and thread-safe.
 */
final class WatchMatch {

  /** A notification before it gets a seq and zxid. */
  record Notice(EventType type, String path) {
  }

  private WatchMatch() {
  }

  /**
   * What a watch of {@code kind} on {@code watchPath} reports for {@code event}, or null if it does
   * not fire.
   */
  static Notice match(WatchKind kind, String watchPath, TreeEvent event) {
    String path = event.path();
    if (path.equals(watchPath)) {
      if (kind == WatchKind.CHILD) {
        // A child watch cares about the node only when it disappears (its children go with it).
        return event.kind() == TreeEvent.Kind.DELETED ? new Notice(EventType.NODE_DELETED, path) : null;
      }
      return new Notice(nodeType(event.kind()), path);
    }
    boolean childListChanged = event.kind() != TreeEvent.Kind.DATA_CHANGED;
    if (childListChanged && (kind == WatchKind.CHILD || kind == WatchKind.PERSISTENT)
        && watchPath.equals(Paths.parent(path))) {
      return new Notice(EventType.NODE_CHILDREN_CHANGED, watchPath);
    }
    if (kind == WatchKind.PERSISTENT_RECURSIVE && isDescendant(path, watchPath)) {
      // As ZooKeeper: recursive watches report the changed node itself, never children-changed.
      return new Notice(nodeType(event.kind()), path);
    }
    return null;
  }

  static boolean isDescendant(String path, String ancestor) {
    if (ancestor.equals(Paths.ROOT)) {
      return !path.equals(Paths.ROOT);
    }
    return path.length() > ancestor.length() + 1 && path.startsWith(ancestor)
        && path.charAt(ancestor.length()) == '/';
  }

  static EventType nodeType(TreeEvent.Kind kind) {
    return switch (kind) {
      case CREATED -> EventType.NODE_CREATED;
      case DELETED -> EventType.NODE_DELETED;
      case DATA_CHANGED -> EventType.NODE_DATA_CHANGED;
    };
  }
}
