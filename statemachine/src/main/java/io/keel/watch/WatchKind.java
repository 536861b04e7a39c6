package io.keel.watch;

/**
 * The kinds of watch a session can hold on a path. Immutable and thread-safe.
 *
 * <p>{@link #DATA}, {@link #EXIST} and {@link #CHILD} are ZooKeeper's one-shot watches: removed
 * once they fire. {@link #PERSISTENT} and {@link #PERSISTENT_RECURSIVE} are {@code addWatch}'s
 * modes and stay until removed or the session closes.
 */
public enum WatchKind {
  /** Set by getData, or by exists on a node that exists. */
  DATA,
  /** Set by exists on a node that does not exist. */
  EXIST,
  /** Set by getChildren. */
  CHILD,
  /** The node's own changes and its children's creations and deletions; stays. */
  PERSISTENT,
  /** The node's and every descendant's creation, deletion and data change; stays. */
  PERSISTENT_RECURSIVE;

  /** Whether the watch stays after it fires. */
  public boolean persistent() {
    return this == PERSISTENT || this == PERSISTENT_RECURSIVE;
  }
}
