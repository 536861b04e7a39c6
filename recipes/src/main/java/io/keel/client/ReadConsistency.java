package io.keel.client;

/** How up to date a read must be. */
public enum ReadConsistency {
  /**
   * ZooKeeper's default: served by the client's own server once it has applied every change the
   * client has seen (its writes included), so reads never go back in time; may lag other clients'
   * writes. Cheapest, and available on a server that lost the leader. Use {@code sync(path)} first
   * when a read must see everything committed before it.
   */
  SEQUENTIAL,
  /** Every read reflects every write committed before it started (Raft read index). */
  LINEARIZABLE
}
