package io.keel.tree;

import io.keel.proto.CreateMode;

/**
 * What each {@link CreateMode} means, and ZooKeeper's encoding of the node type in
 * {@code Stat.ephemeralOwner}: a session id (positive) for ephemerals, {@link #CONTAINER_OWNER}
 * for containers, {@link #TTL_OWNER_TAG}{@code | ttl} for TTL nodes, 0 for plain persistent nodes.
 * Stateless and thread-safe.
 */
final class NodeTypes {

  /** ephemeralOwner of a CONTAINER node. */
  static final long CONTAINER_OWNER = Long.MIN_VALUE;

  /** Top byte of a TTL node's ephemeralOwner; the TTL in milliseconds fills the low 40 bits. */
  static final long TTL_OWNER_TAG = 0xFF00000000000000L;

  /** Largest TTL (milliseconds) the encoding holds: 40 bits, about 34 years. */
  static final long MAX_TTL = 0xFFFFFFFFFFL;

  private NodeTypes() {
  }

  static boolean isKnown(CreateMode mode) {
    return mode != null && mode != CreateMode.UNRECOGNIZED;
  }

  static boolean isSequential(CreateMode mode) {
    return mode == CreateMode.PERSISTENT_SEQUENTIAL
        || mode == CreateMode.EPHEMERAL_SEQUENTIAL
        || mode == CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL;
  }

  static boolean isEphemeral(CreateMode mode) {
    return mode == CreateMode.EPHEMERAL || mode == CreateMode.EPHEMERAL_SEQUENTIAL;
  }

  static boolean isTtl(CreateMode mode) {
    return mode == CreateMode.PERSISTENT_WITH_TTL || mode == CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL;
  }

  /** The ephemeralOwner of a node created in {@code mode}; the mode and ttl must be valid. */
  static long ownerFor(CreateMode mode, long sessionId, long ttl) {
    if (isEphemeral(mode)) {
      return sessionId;
    }
    if (mode == CreateMode.CONTAINER) {
      return CONTAINER_OWNER;
    }
    if (isTtl(mode)) {
      return TTL_OWNER_TAG | ttl;
    }
    return 0L;
  }

  /** True when the owner is a session, i.e. the node is ephemeral. Session ids are zxids, so positive. */
  static boolean isSessionOwner(long owner) {
    return owner > 0;
  }

  /** True when the owner marks a CONTAINER node. */
  static boolean isContainerOwner(long owner) {
    return owner == CONTAINER_OWNER;
  }

  /** True when the owner marks a TTL node (either *_WITH_TTL mode). */
  static boolean isTtlOwner(long owner) {
    return owner != CONTAINER_OWNER && (owner & ~MAX_TTL) == TTL_OWNER_TAG;
  }

  /** The TTL in milliseconds of a TTL node's owner (see {@link #isTtlOwner}). */
  static long ttlOf(long owner) {
    return owner & MAX_TTL;
  }

  /** True for every ephemeralOwner value {@link #ownerFor} can produce. */
  static boolean isValidOwner(long owner) {
    if (owner >= 0 || owner == CONTAINER_OWNER) {
      return true;
    }
    long ttl = owner & MAX_TTL;
    return (owner & ~MAX_TTL) == TTL_OWNER_TAG && ttl > 0;
  }
}
