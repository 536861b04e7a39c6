package io.keel.client;

import io.keel.client.NodeStatus.Membership;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.ProtoUtils;
import org.apache.ratis.util.TimeDuration;

/**
 * Administers a cluster: the status of every node, membership changes (add, remove, promote an
 * observer to voter, demote a voter to observer), leadership transfer and snapshots on demand. The
 * counterpart of ZooKeeper's {@code ZooKeeperAdmin} and {@code zkServer.sh status}, built on Ratis's
 * admin requests; it opens no session.
 *
 * <p>Membership changes go to the leader as one Raft configuration change each, compared and set
 * against the configuration read just before, so two operators' concurrent changes cannot
 * overwrite each other: the second fails with {@code RECONFIGINPROGRESS}. A node to be added must
 * be running first, started with a config that lists the members and itself and says
 * {@code initialClusterState=existing}; the change commits once it has caught up, and fails with
 * {@code NEWCONFIGNOQUORUM} if it does not within the timeout.
 *
 * <p>Thread-safe; every method blocks for at most about the timeout given to {@link #connect}.
 * Failures are {@link KeelException}s: {@code BADARGUMENTS} for a change that makes no sense
 * (unknown node, removing the last voter), {@code CONNECTIONLOSS} when no leader answers.
 */
public final class KeelAdmin implements AutoCloseable {
  private final List<String> addresses;
  private final Duration timeout;
  private final ExecutorService probes;
  /** The configuration last seen; refreshed by every status. */
  private volatile RaftGroup group;

  private KeelAdmin(List<String> addresses, RaftGroup group, Duration timeout) {
    this.addresses = addresses;
    this.group = group;
    this.timeout = timeout;
    this.probes = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "keel-admin-probe");
      t.setDaemon(true);
      return t;
    });
  }

  /** Finds the cluster through any reachable server of {@code connectString}. */
  public static KeelAdmin connect(String connectString, Duration timeout) {
    List<String> addresses = RaftTransport.parseConnectString(connectString);
    return new KeelAdmin(addresses, RaftTransport.discover(addresses, timeout).group(), timeout);
  }

  /**
   * Asks every member of the configuration, in parallel, how it is. Members that do not answer
   * within a few seconds are reported {@link NodeStatus.Role#UNREACHABLE}. The membership is the
   * leader's configuration when a leader answers.
   */
  public ClusterStatus status() {
    List<RaftPeer> asked = new ArrayList<>(group.getPeers());
    List<Probe> answers = probeAll(asked);
    Optional<GroupInfoReply> newest = answers.stream().map(Probe::reply).filter(r -> r != null)
        .max(Comparator.comparing((GroupInfoReply r) -> r.getRoleInfoProto().getRole() == RaftPeerRole.LEADER)
            .thenComparingLong(r -> r.getLogInfoProto().getCommitted().getIndex()));
    if (newest.isEmpty()) {
      throw KeelException.create(KeelException.Code.CONNECTIONLOSS, null,
          "no member of the cluster answered (" + String.join(",", addresses) + ")");
    }
    RaftConfigurationProto conf = newest.get().getConf().orElseThrow();
    List<RaftPeer> members = new ArrayList<>(ProtoUtils.toRaftPeers(conf.getPeersList()));
    members.addAll(ProtoUtils.toRaftPeers(conf.getListenersList()));
    group = RaftGroup.valueOf(group.getGroupId(), members);
    List<RaftPeer> notAsked = members.stream()
        .filter(m -> asked.stream().noneMatch(a -> a.getId().equals(m.getId()))).toList();
    List<Probe> all = new ArrayList<>(answers);
    all.addAll(probeAll(notAsked));
    List<NodeStatus> nodes = new ArrayList<>();
    for (RaftPeer m : members) {
      Membership membership = conf.getListenersList().stream()
          .anyMatch(l -> l.getId().equals(m.getId().toByteString())) ? Membership.OBSERVER : Membership.VOTER;
      Probe p = all.stream().filter(x -> x.peer().getId().equals(m.getId())).findFirst().orElseThrow();
      nodes.add(AdminReplies.nodeStatus(m, membership, p.reply(), p.error()));
    }
    nodes.sort(Comparator.comparingInt(NodeStatus::id).thenComparing(NodeStatus::peerId));
    return new ClusterStatus(nodes, conf.getOldPeersCount() > 0 || conf.getOldListenersCount() > 0);
  }

  /** Adds a running node that is not yet a member, as a voter or an observer. */
  public void addNode(int id, String address, Membership as) {
    String hostPort = RaftTransport.parseConnectString(address).get(0);
    changeMembership("add node " + id, conf -> {
      if (conf.find(id).isPresent()) {
        throw bad("node " + id + " is already a member (" + conf.find(id).get().getAddress() + ")");
      }
      conf.all().stream().filter(p -> p.getAddress().equals(hostPort)).findFirst().ifPresent(p -> {
        throw bad("address " + hostPort + " already belongs to node " + AdminReplies.nodeId(p.getId()));
      });
      return conf.with(RaftPeer.newBuilder().setId(AdminReplies.peerId(id)).setAddress(hostPort)
          .setStartupRole(as == Membership.OBSERVER ? RaftPeerRole.LISTENER : RaftPeerRole.FOLLOWER)
          .build(), as);
    });
  }

  /**
   * Removes a member; it keeps running until stopped, but no longer takes part. The leader first
   * hands leadership to another voter: Ratis closes a leader's group once it has committed a
   * configuration without itself, which would leave a Keel process serving nothing.
   */
  public void removeNode(int id) {
    handOverIfLeading(id);
    changeMembership("remove node " + id, conf -> {
      RaftPeer p = conf.require(id);
      if (conf.membership(p) == Membership.VOTER && conf.voters().size() == 1) {
        throw bad("node " + id + " is the last voter; a cluster needs one");
      }
      return conf.without(p);
    });
  }

  /** Makes an observer a voter. */
  public void promote(int id) {
    changeMembership("promote node " + id, conf -> {
      RaftPeer p = conf.require(id);
      if (conf.membership(p) == Membership.VOTER) {
        throw bad("node " + id + " is already a voter");
      }
      return conf.without(p).with(AdminReplies.withRole(p, RaftPeerRole.FOLLOWER, p.getPriority()),
          Membership.VOTER);
    });
  }

  /** Makes a voter an observer; a leader first hands leadership to another voter. */
  public void demote(int id) {
    handOverIfLeading(id);
    changeMembership("demote node " + id, conf -> {
      RaftPeer p = conf.require(id);
      if (conf.membership(p) == Membership.OBSERVER) {
        throw bad("node " + id + " is already an observer");
      }
      if (conf.voters().size() == 1) {
        throw bad("node " + id + " is the last voter; a cluster needs one");
      }
      return conf.without(p).with(AdminReplies.withRole(p, RaftPeerRole.LISTENER, 0),
          Membership.OBSERVER);
    });
  }

  /**
   * Makes voter {@code id} the leader. Ratis hands leadership only to a peer of the highest
   * priority, so the target's priority is raised for the transfer and every priority is put back
   * afterwards; otherwise the node would take leadership back whenever it could.
   */
  public void transferLeadership(int id) {
    MembershipConf before = readConf();
    RaftPeer target = before.require(id);
    if (before.membership(target) != Membership.VOTER) {
      throw bad("node " + id + " is an observer; only a voter can lead");
    }
    int top = before.voters().stream().mapToInt(RaftPeer::getPriority).max().orElse(0) + 1;
    MembershipConf raised = before.replace(AdminReplies.withRole(target, RaftPeerRole.FOLLOWER, top));
    setConfiguration("transfer leadership to node " + id, before, raised);
    try (RaftClient c = leaderClient(null)) {
      RaftClientReply reply = c.admin().transferLeadership(target.getId(), timeout.toMillis());
      AdminReplies.check(reply, "transfer leadership to node " + id);
    } catch (IOException e) {
      throw AdminReplies.failure("transfer leadership to node " + id, e);
    } finally {
      restorePriorities(before);
    }
  }

  /**
   * Has node {@code id} take a snapshot now (a node compacts its own log); returns the Raft log
   * index the snapshot covers (the entry of zxid {@code index << 16} and on).
   */
  public long snapshot(int id) {
    // A node snapshots on its own: no leader is needed, so the last known members will do,
    // asked again only when they do not include the node.
    RaftPeerId peerId = AdminReplies.peerId(id);
    if (group.getPeer(peerId) == null) {
      status();
    }
    RaftPeer p = group.getPeer(peerId);
    if (p == null) {
      throw bad("node " + id + " is not a member of the cluster");
    }
    RaftProperties props = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(props,
        TimeDuration.valueOf(timeout.toMillis(), TimeUnit.MILLISECONDS));
    try (RaftClient c = RaftClient.newBuilder().setClientId(ClientId.randomId()).setRaftGroup(group)
        .setProperties(props).setRetryPolicy(RetryPolicies.noRetry()).build()) {
      // A creation gap of 1: with the default, Ratis skips snapshots closer than 1024 entries.
      RaftClientReply reply = c.getSnapshotManagementApi(p.getId()).create(1, timeout.toMillis());
      AdminReplies.check(reply, "snapshot of node " + id);
      return reply.getLogIndex();
    } catch (IOException e) {
      throw AdminReplies.failure("snapshot of node " + id, e);
    }
  }

  @Override
  public void close() {
    probes.shutdownNow();
  }

  private void handOverIfLeading(int id) {
    ClusterStatus s = status();
    if (s.leader().map(NodeStatus::id).orElse(-1) != id) {
      return;
    }
    // The most caught-up other voter takes over soonest.
    Optional<NodeStatus> next = s.nodes().stream()
        .filter(n -> n.id() != id && n.membership() == Membership.VOTER && n.reachable())
        .max(Comparator.comparingLong(NodeStatus::appliedIndex));
    if (next.isEmpty()) {
      throw bad("node " + id + " leads and no other voter is reachable to take over");
    }
    transferLeadership(next.get().id());
  }

  private void restorePriorities(MembershipConf original) {
    // Best effort: the transfer's outcome stands either way; a failed reset only leaves the
    // target preferred, which the next status shows.
    try {
      MembershipConf now = readConf();
      MembershipConf reset = now;
      for (RaftPeer p : now.voters()) {
        int was = original.find(AdminReplies.nodeId(p.getId())).map(RaftPeer::getPriority).orElse(0);
        reset = reset.replace(AdminReplies.withRole(p, RaftPeerRole.FOLLOWER, was));
      }
      setConfiguration("reset priorities", now, reset);
    } catch (KeelException ignored) {
      // see above
    }
  }

  private void changeMembership(String what, UnaryOperator<MembershipConf> change) {
    MembershipConf before = readConf();
    setConfiguration(what, before, change.apply(before));
  }

  private MembershipConf readConf() {
    ClusterStatus s = status();
    if (s.leader().isEmpty()) {
      throw KeelException.create(KeelException.Code.CONNECTIONLOSS, null,
          "no leader answered; membership cannot change without one");
    }
    if (s.changing()) {
      throw KeelException.create(KeelException.Code.RECONFIGINPROGRESS, null,
          "a membership change is still being committed; try again");
    }
    return MembershipConf.of(group, s);
  }

  private void setConfiguration(String what, MembershipConf current, MembershipConf next) {
    SetConfigurationRequest.Arguments args = SetConfigurationRequest.Arguments.newBuilder()
        .setServersInCurrentConf(current.voters()).setListenersInCurrentConf(current.observers())
        .setServersInNewConf(next.voters()).setListenersInNewConf(next.observers())
        .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
        .build();
    try (RaftClient c = leaderClient(current.leader())) {
      AdminReplies.check(c.admin().setConfiguration(args), what);
    } catch (IOException e) {
      throw AdminReplies.failure(what, e);
    }
  }

  /** A client whose one request may take the whole timeout: a change waits for new nodes to catch up. */
  private RaftClient leaderClient(RaftPeerId leader) {
    RaftProperties p = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(p,
        TimeDuration.valueOf(timeout.toMillis(), TimeUnit.MILLISECONDS));
    RaftClient.Builder b = RaftClient.newBuilder().setClientId(ClientId.randomId())
        .setRaftGroup(group).setProperties(p)
        .setRetryPolicy(new RaftTransport.DeadlineRetry(timeout.toMillis()));
    if (leader != null) {
      b.setLeaderId(leader);
    }
    return b.build();
  }

  private record Probe(RaftPeer peer, GroupInfoReply reply, String error) {}

  private List<Probe> probeAll(List<RaftPeer> peers) {
    long probeMs = Math.max(500, Math.min(3000, timeout.toMillis()));
    RaftGroup g = RaftGroup.valueOf(group.getGroupId(), peers);
    List<CompletableFuture<Probe>> asks = peers.stream().map(peer -> CompletableFuture.supplyAsync(() -> {
      RaftProperties p = new RaftProperties();
      RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(probeMs, TimeUnit.MILLISECONDS));
      try (RaftClient c = RaftClient.newBuilder().setClientId(ClientId.randomId()).setRaftGroup(g)
          .setProperties(p).setRetryPolicy(RetryPolicies.noRetry()).build()) {
        return new Probe(peer, c.getGroupManagementApi(peer.getId()).info(g.getGroupId()), null);
      } catch (IOException | RuntimeException e) {
        return new Probe(peer, null, AdminReplies.reason(e));
      }
    }, probes)).toList();
    return asks.stream().map(CompletableFuture::join).toList();
  }

  private static KeelException bad(String message) {
    return KeelException.create(KeelException.Code.BADARGUMENTS, null, message);
  }
}
