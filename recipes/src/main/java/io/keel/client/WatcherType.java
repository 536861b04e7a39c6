package io.keel.client;

/** Which watches {@code removeWatches} removes (ZooKeeper's {@code WatcherType}). */
public enum WatcherType {
  /** Child watches (getChildren). */
  CHILDREN,
  /** Data and exist watches (getData, exists). */
  DATA,
  /** {@link AddWatchMode#PERSISTENT} watches. */
  PERSISTENT,
  /** {@link AddWatchMode#PERSISTENT_RECURSIVE} watches. */
  PERSISTENT_RECURSIVE,
  /** All of the above. */
  ANY
}
