package io.keel.tree;

import io.keel.proto.AclResult;
import io.keel.proto.ChildrenResult;
import io.keel.proto.Code;
import io.keel.proto.CountResult;
import io.keel.proto.DataResult;
import io.keel.proto.PathsResult;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import io.keel.proto.SessionResult;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * ZooKeeper's read operations over the node and session tables. Expects a request that passed
 * {@link RequestValidator#validate(ReadRequest)}. Changes nothing; runs under {@link DataTree}'s
 * read lock, so several reads may run at once.
 */
final class Reads {

  private final NodeTable nodes;
  private final SessionTable sessions;

  Reads(NodeTable nodes, SessionTable sessions) {
    this.nodes = nodes;
    this.sessions = sessions;
  }

  /** The answer, without its zxid (the caller sets it). */
  Response.Builder answer(ReadRequest request) {
    Response.Builder ok = Response.newBuilder().setErr(Code.OK);
    try {
      long sessionId = request.getSessionId();
      // ZooKeeper answers nothing to an expired session: its client must learn it is LOST rather
      // than keep reading and set watches that will never fire. The read has waited for the
      // client's last zxid, which covers its session's creation, so a live session is here.
      if (sessionId != 0 && !sessions.contains(sessionId)) {
        throw new OpFailure(Code.SESSIONEXPIRED, "",
            "session " + SessionTable.hex(sessionId) + " does not exist (expired or closed)");
      }
      switch (request.getOpCase()) {
        case GET_DATA -> {
          ZNode node = existing(request.getGetData().getPath());
          ok.setData(DataResult.newBuilder().setData(node.data).setStat(node.stat()));
        }
        case EXISTS -> ok.setStat(existing(request.getExists().getPath()).stat());
        case GET_CHILDREN -> {
          ZNode node = existing(request.getGetChildren().getPath());
          ok.setChildren(ChildrenResult.newBuilder().addAllChildren(node.children()).setStat(node.stat()));
        }
        case GET_ALL_CHILDREN_NUMBER -> {
          String path = request.getGetAllChildrenNumber().getPath();
          existing(path);
          ok.setCount(CountResult.newBuilder().setCount(descendants(path)));
        }
        case GET_EPHEMERALS -> {
          String prefix = request.getGetEphemerals().getPath();
          PathsResult.Builder paths = PathsResult.newBuilder();
          // The session's set is sorted, so the matches are one contiguous run from the prefix.
          for (String path : sessions.ephemerals(request.getSessionId()).tailSet(prefix, true)) {
            if (!path.startsWith(prefix)) {
              break;
            }
            paths.addPaths(path);
          }
          ok.setPaths(paths);
        }
        case GET_ACL -> {
          ZNode node = existing(request.getGetAcl().getPath());
          ok.setAcl(AclResult.newBuilder().addAllAcl(node.acl).setStat(node.stat()));
        }
        case PING -> {
          if (sessionId == 0) {
            throw new OpFailure(Code.SESSIONEXPIRED, "", "a ping needs a session (session_id is 0)");
          }
          ok.setSession(SessionResult.newBuilder().setSessionId(sessionId).setTimeoutMs(sessions.timeoutMs(sessionId)));
        }
        default -> throw new OpFailure(Code.BADARGUMENTS, "", "request has no operation");
      }
      return ok;
    } catch (OpFailure f) {
      return f.toResponse();
    }
  }

  /** Number of nodes below {@code path}, not counting itself. Iterative: trees may be deep. */
  private long descendants(String path) {
    long count = 0;
    Deque<String> pending = new ArrayDeque<>();
    pending.push(path);
    while (!pending.isEmpty()) {
      String parentPath = pending.pop();
      for (String name : nodes.get(parentPath).children()) {
        count++;
        String childPath = Paths.child(parentPath, name);
        if (nodes.get(childPath).numChildren() > 0) {
          pending.push(childPath);
        }
      }
    }
    return count;
  }

  private ZNode existing(String path) throws OpFailure {
    ZNode node = nodes.get(path);
    if (node == null) {
      throw OpFailure.noNode(path);
    }
    return node;
  }
}
