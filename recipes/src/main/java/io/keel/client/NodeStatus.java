package io.keel.client;

/**
 * What one node of the cluster reported about itself, or that it did not answer. Immutable.
 *
 * <p>Indexes are Raft log indexes; the zxids of an entry's writes are {@code index << 16} plus their
 * position in it, so a zxid's entry is {@code zxid >>> 16}. {@code -1} means unknown (the node did
 * not answer, or has no such entry yet).
 *
 * @param id the node's number ({@code server.N} of its config), or -1 for a peer id Keel did not
 *     name
 * @param peerId the Raft peer id ({@code n1}, {@code n2}, ...)
 * @param address {@code host:port} the node serves clients and the other nodes on
 * @param membership voter or observer, as the cluster's configuration says
 * @param role what the node says it is now; {@link Role#UNREACHABLE} if it did not answer
 * @param term the leader's current term; for other nodes the term of their newest log entry,
 *     which is the current term once they have heard from the leader
 * @param leaderId the node this one takes for the leader, or -1 if it knows none
 * @param appliedIndex the newest entry applied to its tree (its newest zxid)
 * @param committedIndex the newest entry it knows to be committed
 * @param lastIndex the newest entry in its log
 * @param snapshotIndex the entry its newest snapshot covers, -1 if it has none
 * @param roleMillis how long it has been in its role
 * @param error why it did not answer (null when it did)
 */
public record NodeStatus(int id, String peerId, String address, Membership membership, Role role,
    long term, int leaderId, long appliedIndex, long committedIndex, long lastIndex,
    long snapshotIndex, long roleMillis, String error) {

  /** How a node takes part in the cluster. */
  public enum Membership {
    /** Votes in elections and counts toward the write quorum. */
    VOTER,
    /** A Raft listener: receives the log and serves reads and watches, never votes. */
    OBSERVER
  }

  /** What a node is doing now. */
  public enum Role { LEADER, FOLLOWER, CANDIDATE, OBSERVER, UNREACHABLE }

  /** True when the node answered. */
  public boolean reachable() {
    return role != Role.UNREACHABLE;
  }
}
