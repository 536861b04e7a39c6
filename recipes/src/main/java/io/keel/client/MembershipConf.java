package io.keel.client;

import io.keel.client.NodeStatus.Membership;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

/** One Raft configuration as {@link KeelAdmin} edits it: voters, observers, the leader. Immutable. */
record MembershipConf(List<RaftPeer> voters, List<RaftPeer> observers, RaftPeerId leader) {
  MembershipConf {
    voters = List.copyOf(voters);
    observers = List.copyOf(observers);
  }

  /** The configuration a status saw, with the peers' full descriptions from {@code group}. */
  static MembershipConf of(RaftGroup group, ClusterStatus status) {
    List<RaftPeer> voters = new ArrayList<>();
    List<RaftPeer> observers = new ArrayList<>();
    for (NodeStatus n : status.nodes()) {
      RaftPeer p = group.getPeer(RaftPeerId.valueOf(n.peerId()));
      (n.membership() == Membership.VOTER ? voters : observers).add(p);
    }
    RaftPeerId leader = status.leader().map(n -> RaftPeerId.valueOf(n.peerId())).orElse(null);
    return new MembershipConf(voters, observers, leader);
  }

  List<RaftPeer> all() {
    return Stream.concat(voters.stream(), observers.stream()).toList();
  }

  Optional<RaftPeer> find(int id) {
    return all().stream().filter(p -> AdminReplies.nodeId(p.getId()) == id).findFirst();
  }

  RaftPeer require(int id) {
    AdminReplies.peerId(id);
    return find(id).orElseThrow(() -> KeelException.create(KeelException.Code.BADARGUMENTS, null,
        "node " + id + " is not a member of the cluster"));
  }

  Membership membership(RaftPeer p) {
    return voters.stream().anyMatch(v -> v.getId().equals(p.getId()))
        ? Membership.VOTER : Membership.OBSERVER;
  }

  MembershipConf with(RaftPeer p, Membership as) {
    List<RaftPeer> v = new ArrayList<>(voters);
    List<RaftPeer> o = new ArrayList<>(observers);
    (as == Membership.VOTER ? v : o).add(p);
    return new MembershipConf(v, o, leader);
  }

  MembershipConf without(RaftPeer p) {
    return new MembershipConf(
        voters.stream().filter(x -> !x.getId().equals(p.getId())).toList(),
        observers.stream().filter(x -> !x.getId().equals(p.getId())).toList(), leader);
  }

  /** The same membership with {@code p}'s description replaced (its priority, say). */
  MembershipConf replace(RaftPeer p) {
    return new MembershipConf(
        voters.stream().map(x -> x.getId().equals(p.getId()) ? p : x).toList(),
        observers.stream().map(x -> x.getId().equals(p.getId()) ? p : x).toList(), leader);
  }
}
