package io.keel.client;

import java.util.List;
import java.util.Optional;

/**
 * Every member of the cluster's current Raft configuration, as each reported itself (see
 * {@link KeelAdmin#status()}), in node-id order. Immutable.
 *
 * @param nodes one entry per voter and observer
 * @param changing true while a membership change is being committed (old and new configurations
 *     both count)
 */
public record ClusterStatus(List<NodeStatus> nodes, boolean changing) {
  public ClusterStatus {
    nodes = List.copyOf(nodes);
  }

  /** The node that answered as leader; with two (an old one not yet told), the higher term's. */
  public Optional<NodeStatus> leader() {
    return nodes.stream().filter(n -> n.role() == NodeStatus.Role.LEADER)
        .max((a, b) -> Long.compare(a.term(), b.term()));
  }

  /** The node with this id. */
  public Optional<NodeStatus> node(int id) {
    return nodes.stream().filter(n -> n.id() == id).findFirst();
  }

  /** True when a leader answered and so did every other node. */
  public boolean healthy() {
    return leader().isPresent() && nodes.stream().allMatch(NodeStatus::reachable);
  }
}
