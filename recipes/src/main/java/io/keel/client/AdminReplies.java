package io.keel.client;

import io.keel.client.NodeStatus.Membership;
import io.keel.client.NodeStatus.Role;
import java.io.IOException;
import org.apache.ratis.proto.RaftProtos.LogInfoProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.TermIndexProto;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.ReconfigurationInProgressException;
import org.apache.ratis.protocol.exceptions.ReconfigurationTimeoutException;
import org.apache.ratis.protocol.exceptions.SetConfigurationException;
import org.apache.ratis.protocol.exceptions.TransferLeadershipException;

/** Reading Ratis's admin replies for {@link KeelAdmin}: node ids, statuses, failures. */
final class AdminReplies {
  private AdminReplies() {}

  /** Keel names node N's Raft peer {@code nN} (KeelServer.peerId); -1 for any other name. */
  static int nodeId(RaftPeerId peer) {
    String s = peer.toString();
    if (s.matches("n[1-9][0-9]{0,8}")) {
      return Integer.parseInt(s.substring(1));
    }
    return -1;
  }

  static RaftPeerId peerId(int id) {
    if (id < 1) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, null,
          "node id must be a positive number (server.N of the config), got " + id);
    }
    return RaftPeerId.valueOf("n" + id);
  }

  static RaftPeer withRole(RaftPeer p, RaftPeerRole role, int priority) {
    return RaftPeer.newBuilder().setId(p.getId()).setAddress(p.getAddress())
        .setClientAddress(p.getClientAddress()).setAdminAddress(p.getAdminAddress())
        .setDataStreamAddress(p.getDataStreamAddress())
        .setPriority(priority).setStartupRole(role).build();
  }

  static NodeStatus nodeStatus(RaftPeer peer, Membership membership, GroupInfoReply reply,
      String error) {
    int id = nodeId(peer.getId());
    if (reply == null) {
      return new NodeStatus(id, peer.getId().toString(), peer.getAddress(), membership,
          Role.UNREACHABLE, -1, -1, -1, -1, -1, -1, -1, error);
    }
    RoleInfoProto role = reply.getRoleInfoProto();
    LogInfoProto log = reply.getLogInfoProto();
    Role r = switch (role.getRole()) {
      case LEADER -> Role.LEADER;
      case CANDIDATE -> Role.CANDIDATE;
      case LISTENER -> Role.OBSERVER;
      default -> Role.FOLLOWER;
    };
    long term = r == Role.LEADER ? role.getLeaderInfo().getTerm() : log.getLastEntry().getTerm();
    int leader = -1;
    if (r == Role.LEADER) {
      leader = id;
    } else if (role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo()
        && !role.getFollowerInfo().getLeaderInfo().getId().getId().isEmpty()) {
      leader = nodeId(RaftPeerId.valueOf(role.getFollowerInfo().getLeaderInfo().getId().getId()));
    }
    return new NodeStatus(id, peer.getId().toString(), peer.getAddress(), membership, r, term,
        leader, index(log.hasApplied(), log.getApplied()), index(log.hasCommitted(), log.getCommitted()),
        index(log.hasLastEntry(), log.getLastEntry()), index(log.hasLastSnapshot(), log.getLastSnapshot()),
        role.getRoleElapsedTimeMs(), null);
  }

  private static long index(boolean present, TermIndexProto ti) {
    return present ? ti.getIndex() : -1;
  }

  /** Throws the reply's failure, if it failed. */
  static void check(RaftClientReply reply, String what) {
    if (!reply.isSuccess()) {
      throw failure(what, reply.getException() == null
          ? new IOException("refused without a reason") : reply.getException());
    }
  }

  /** A failed admin request as a KeelException that says what was tried and why it failed. */
  static KeelException failure(String what, Throwable t) {
    Throwable e = t;
    // Ratis wraps the cause it got from the server in plain IOExceptions and future exceptions.
    while ((e instanceof java.util.concurrent.CompletionException
        || e instanceof java.util.concurrent.ExecutionException || e.getClass() == IOException.class)
        && e.getCause() != null && e.getCause() != e) {
      e = e.getCause();
    }
    String why = reason(e);
    KeelException.Code code;
    if (e instanceof ReconfigurationInProgressException) {
      code = KeelException.Code.RECONFIGINPROGRESS;
    } else if (e instanceof ReconfigurationTimeoutException) {
      code = KeelException.Code.NEWCONFIGNOQUORUM;
      why += " (are the new nodes running and reachable from the leader?)";
    } else if (e instanceof SetConfigurationException) {
      // Compare-and-set lost: the configuration changed between reading and setting it.
      code = KeelException.Code.RECONFIGINPROGRESS;
    } else if (e instanceof TransferLeadershipException) {
      code = KeelException.Code.SYSTEMERROR;
    } else {
      return KeelException.create(KeelException.Code.CONNECTIONLOSS, null,
          what + " failed: " + why, t, null);
    }
    return KeelException.create(code, null, what + " failed: " + why, t, null);
  }

  /** One line on why a request failed: the innermost cause that says something. */
  static String reason(Throwable t) {
    String m = null;
    for (Throwable e = t; e != null; e = e.getCause() == e ? null : e.getCause()) {
      if (e instanceof java.net.ConnectException) {
        // Netty's wording is "finishConnect(..) failed with error(-111): Connection refused".
        return "connection refused";
      }
      if (e.getMessage() != null && !e.getMessage().isBlank()) {
        m = e.getMessage();
      }
    }
    return m == null ? t.getClass().getSimpleName() : m.replaceAll("\\s+", " ").strip();
  }
}
