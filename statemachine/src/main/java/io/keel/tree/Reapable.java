package io.keel.tree;

import java.util.Objects;

/**
 * A node the leader may propose to reap ({@code WriteRequest.reap}): an empty container that once
 * had children, or an expired, childless TTL node. The czxid names this incarnation of the path,
 * so a reap entry cannot delete a node that was deleted and created again in the meantime.
 * Immutable and thread-safe.
 *
 * @param path  the node's full path
 * @param czxid the zxid that created it
 */
public record Reapable(String path, long czxid) {

  public Reapable {
    Objects.requireNonNull(path, "path");
  }
}
