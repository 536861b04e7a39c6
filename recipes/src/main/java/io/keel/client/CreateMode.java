package io.keel.client;

/** ZooKeeper's seven kinds of znode. */
public enum CreateMode {
  /** Stays until deleted. */
  PERSISTENT(io.keel.proto.CreateMode.PERSISTENT),
  /** Deleted when the creating session ends; cannot have children. */
  EPHEMERAL(io.keel.proto.CreateMode.EPHEMERAL),
  /** Persistent, with the parent's 10-digit counter appended to the name. */
  PERSISTENT_SEQUENTIAL(io.keel.proto.CreateMode.PERSISTENT_SEQUENTIAL),
  /** Ephemeral and sequential. */
  EPHEMERAL_SEQUENTIAL(io.keel.proto.CreateMode.EPHEMERAL_SEQUENTIAL),
  /** Deleted by the server once its last child is gone (for lock and queue parents). */
  CONTAINER(io.keel.proto.CreateMode.CONTAINER),
  /** Persistent, deleted once unchanged and childless for its TTL. */
  PERSISTENT_WITH_TTL(io.keel.proto.CreateMode.PERSISTENT_WITH_TTL),
  /** Sequential with a TTL. */
  PERSISTENT_SEQUENTIAL_WITH_TTL(io.keel.proto.CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL);

  private final io.keel.proto.CreateMode proto;

  CreateMode(io.keel.proto.CreateMode proto) {
    this.proto = proto;
  }

  public boolean isEphemeral() {
    return this == EPHEMERAL || this == EPHEMERAL_SEQUENTIAL;
  }

  public boolean isSequential() {
    return this == PERSISTENT_SEQUENTIAL || this == EPHEMERAL_SEQUENTIAL
        || this == PERSISTENT_SEQUENTIAL_WITH_TTL;
  }

  public boolean isContainer() {
    return this == CONTAINER;
  }

  public boolean isTtl() {
    return this == PERSISTENT_WITH_TTL || this == PERSISTENT_SEQUENTIAL_WITH_TTL;
  }

  io.keel.proto.CreateMode toProto() {
    return proto;
  }
}
