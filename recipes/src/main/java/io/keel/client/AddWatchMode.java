package io.keel.client;

/** ZooKeeper's {@code AddWatchMode}: watches that stay until removed. */
public enum AddWatchMode {
  /** The node's creation, data changes and deletion, and its children's creation and deletion. */
  PERSISTENT,
  /**
   * Creation, data change and deletion of the node and of every node below it, each reported with
   * the changed node's path (no NODE_CHILDREN_CHANGED, as in ZooKeeper).
   */
  PERSISTENT_RECURSIVE
}
