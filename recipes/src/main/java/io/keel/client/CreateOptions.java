package io.keel.client;

import java.time.Duration;
import java.util.List;

/**
 * The less common parts of a create: the ACL and, for the TTL modes, the time to live.
 *
 * @param acl   the node's ACL; empty means {@link Acl#OPEN_ACL_UNSAFE}
 * @param ttlMs time to live for {@link CreateMode#PERSISTENT_WITH_TTL} and
 *              {@link CreateMode#PERSISTENT_SEQUENTIAL_WITH_TTL}, else 0
 */
public record CreateOptions(List<Acl> acl, long ttlMs) {
  public static final CreateOptions DEFAULT = new CreateOptions(List.of(), 0);

  public CreateOptions {
    acl = List.copyOf(acl);
  }

  public static CreateOptions ttl(Duration ttl) {
    return new CreateOptions(List.of(), ttl.toMillis());
  }

  public static CreateOptions acl(List<Acl> acl) {
    return new CreateOptions(acl, 0);
  }

  public CreateOptions withTtl(Duration ttl) {
    return new CreateOptions(acl, ttl.toMillis());
  }
}
