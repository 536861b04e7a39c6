package io.keel.tree;

import io.keel.proto.CheckOp;
import io.keel.proto.Code;
import io.keel.proto.CreateMode;
import io.keel.proto.CreateOp;
import io.keel.proto.CreateResult;
import io.keel.proto.DeleteOp;
import io.keel.proto.MultiOp;
import io.keel.proto.MultiResult;
import io.keel.proto.Op;
import io.keel.proto.OpResult;
import io.keel.proto.PathsResult;
import io.keel.proto.ReapOp;
import io.keel.proto.Response;
import io.keel.proto.SessionResult;
import io.keel.proto.SetAclOp;
import io.keel.proto.SetDataOp;
import io.keel.proto.Stat;
import io.keel.proto.WriteRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * ZooKeeper's write semantics over a {@link NodeTable} and a {@link SessionTable}: one method per
 * operation, each checking everything that can fail before it changes anything, and recording
 * every change in the {@link UndoLog} so a multi can be rolled back.
 *
 * <p>Expects a request that passed {@link RequestValidator} (paths, versions, modes, ttl and ACLs
 * are well formed). Not thread-safe: runs under {@link DataTree}'s write lock.
 */
final class WriteOps {

  private final NodeTable nodes;
  private final SessionTable sessions;

  WriteOps(NodeTable nodes, SessionTable sessions) {
    this.nodes = nodes;
    this.sessions = sessions;
  }

  /**
   * Applies a validated request exactly once: the session rules, then {@link #execute}.
   *
   * <ul>
   *   <li>create_session and reap ignore {@code session_id}; so does everything when it is 0
   *       (tools, tests): no session check, no deduplication.
   *   <li>Otherwise the session must be open, else SESSIONEXPIRED (ZooKeeper refuses the
   *       requests of an expired session; without this, a retry arriving after expiry would
   *       be applied again).
   *   <li>With {@code request_id > 0}: a remembered request gets its first reply back, byte
   *       for byte, and changes nothing; an id below the session's answered_below that is not
   *       remembered is refused with RUNTIMEINCONSISTENCY (its reply is gone, so it cannot be
   *       answered again, and applying it twice would be worse); anything else is executed and
   *       its reply, success or user-level failure, remembered.
   * </ul>
   */
  Response executeOnce(WriteRequest request, long zxid, long time, UndoLog undo, List<TreeEvent> events) {
    long sessionId = request.getSessionId();
    WriteRequest.OpCase op = request.getOpCase();
    if (sessionId == 0 || op == WriteRequest.OpCase.CREATE_SESSION || op == WriteRequest.OpCase.REAP) {
      return execute(request, zxid, time, undo, events);
    }
    if (!sessions.contains(sessionId)) {
      return Response.newBuilder().setZxid(zxid).setErr(Code.SESSIONEXPIRED)
          .setMessage("session " + SessionTable.hex(sessionId) + " does not exist (expired or closed)")
          .build();
    }
    long requestId = request.getRequestId();
    if (requestId <= 0) {
      return execute(request, zxid, time, undo, events);
    }
    Response remembered = sessions.remembered(sessionId, requestId);
    if (remembered != null) {
      return remembered;
    }
    long answeredBelow = Math.max(sessions.answeredBelow(sessionId), request.getAnsweredBelow());
    if (requestId < answeredBelow) {
      return Response.newBuilder().setZxid(zxid).setErr(Code.RUNTIMEINCONSISTENCY)
          .setMessage("request " + requestId + " of session " + SessionTable.hex(sessionId)
              + " was already answered (answered_below is " + answeredBelow + "); nothing applied")
          .build();
    }
    Response response = execute(request, zxid, time, undo, events);
    // A session that closed itself took its remembered replies with it.
    if (sessions.contains(sessionId)) {
      sessions.remember(sessionId, requestId, answeredBelow, response, undo);
    }
    return response;
  }

  /**
   * Applies a validated request at {@code zxid} with the entry's {@code time}, appending the node
   * changes to {@code events}. On a user-level failure every change is undone, {@code events} is
   * emptied, and the failure is the reply.
   */
  Response execute(WriteRequest request, long zxid, long time, UndoLog undo, List<TreeEvent> events) {
    Response.Builder ok = Response.newBuilder().setZxid(zxid).setErr(Code.OK);
    long sessionId = request.getSessionId();
    try {
      switch (request.getOpCase()) {
        case CREATE -> ok.setCreate(create(request.getCreate(), sessionId, zxid, time, undo, events));
        case DELETE -> {
          delete(request.getDelete(), zxid, undo, events);
          ok.setDone(true);
        }
        case SET_DATA -> ok.setStat(setData(request.getSetData(), zxid, time, undo, events));
        case SET_ACL -> ok.setStat(setAcl(request.getSetAcl(), undo));
        case CHECK -> {
          check(request.getCheck());
          ok.setDone(true);
        }
        case MULTI -> {
          return multi(request.getMulti(), sessionId, zxid, time, undo, events);
        }
        case CREATE_SESSION -> {
          int timeout = request.getCreateSession().getTimeoutMs();
          sessions.open(zxid, timeout, undo);
          ok.setSession(SessionResult.newBuilder().setSessionId(zxid).setTimeoutMs(timeout));
        }
        case CLOSE_SESSION -> ok.setPaths(PathsResult.newBuilder()
            .addAllPaths(closeSession(request.getCloseSession().getSessionId(), zxid, undo, events)));
        case REAP -> ok.setDone(reap(request.getReap(), zxid, time, undo, events));
        default -> throw new OpFailure(Code.BADARGUMENTS, "", "request has no operation");
      }
      return ok.build();
    } catch (OpFailure f) {
      undo.rollback();
      events.clear();
      return f.toResponse().setZxid(zxid).build();
    }
  }

  private Response multi(MultiOp multi, long sessionId, long zxid, long time, UndoLog undo, List<TreeEvent> events) {
    List<Op> ops = multi.getOpsList();
    List<OpResult> results = new ArrayList<>(ops.size());
    for (int i = 0; i < ops.size(); i++) {
      Op op = ops.get(i);
      OpResult.Builder result = OpResult.newBuilder().setErr(Code.OK);
      try {
        switch (op.getOpCase()) {
          case CREATE -> result.setCreate(create(op.getCreate(), sessionId, zxid, time, undo, events));
          case DELETE -> {
            delete(op.getDelete(), zxid, undo, events);
            result.setDeleted(true);
          }
          case SET_DATA -> result.setStat(setData(op.getSetData(), zxid, time, undo, events));
          case CHECK -> {
            check(op.getCheck());
            result.setChecked(true);
          }
          default -> throw new OpFailure(Code.BADARGUMENTS, "", "op " + i + " of multi has no operation");
        }
      } catch (OpFailure f) {
        undo.rollback();
        events.clear();
        return RequestValidator.multiFailure(ops.size(), i, f).setZxid(zxid).build();
      }
      results.add(result.build());
    }
    return Response.newBuilder().setZxid(zxid).setErr(Code.OK)
        .setMulti(MultiResult.newBuilder().addAllResults(results))
        .build();
  }

  private CreateResult create(CreateOp op, long sessionId, long zxid, long time, UndoLog undo, List<TreeEvent> events)
      throws OpFailure {
    String requested = op.getPath();
    CreateMode mode = op.getMode();
    boolean sequential = NodeTypes.isSequential(mode);
    boolean ephemeral = NodeTypes.isEphemeral(mode);
    if (ephemeral && !sessions.contains(sessionId)) {
      throw new OpFailure(Code.SESSIONEXPIRED, requested, "session " + SessionTable.hex(sessionId)
          + " of ephemeral " + Paths.quote(requested) + " does not exist (expired or closed)");
    }
    if (!sequential && nodes.get(requested) != null) {
      throw nodeExists(requested);
    }
    String parentPath = Paths.parentForCreate(requested);
    ZNode parent = nodes.get(parentPath);
    if (parent == null) {
      throw new OpFailure(Code.NONODE, requested,
          "parent " + Paths.quote(parentPath) + " of " + Paths.quote(requested) + " does not exist");
    }
    if (parent.isEphemeral()) {
      throw new OpFailure(Code.NOCHILDRENFOREPHEMERALS, requested,
          "parent " + Paths.quote(parentPath) + " of " + Paths.quote(requested) + " is ephemeral and cannot have children");
    }
    String path = sequential ? requested + String.format("%010d", parent.childChanges) : requested;
    if (sequential && nodes.get(path) != null) {
      throw nodeExists(path); // someone created a node with that name by hand
    }
    ZNode node = new ZNode(zxid, time, NodeTypes.ownerFor(mode, sessionId, op.getTtl()),
        op.getData(), Acls.orDefault(op.getAclList()));
    nodes.create(parent, path, node, zxid, undo);
    if (ephemeral) {
      sessions.addEphemeral(sessionId, path, undo);
    }
    events.add(new TreeEvent(TreeEvent.Kind.CREATED, path));
    return CreateResult.newBuilder().setPath(path).setStat(node.stat()).build();
  }

  private void delete(DeleteOp op, long zxid, UndoLog undo, List<TreeEvent> events) throws OpFailure {
    String path = op.getPath();
    if (path.equals(Paths.ROOT)) {
      throw new OpFailure(Code.BADARGUMENTS, path, "the root '/' cannot be deleted");
    }
    ZNode node = existing(path);
    checkVersion(path, "version", op.getVersion(), node.version);
    if (node.numChildren() > 0) {
      throw new OpFailure(Code.NOTEMPTY, path,
          "node " + Paths.quote(path) + " has " + node.numChildren() + " children");
    }
    removeNode(path, node, zxid, undo, events);
  }

  private Stat setData(SetDataOp op, long zxid, long time, UndoLog undo, List<TreeEvent> events) throws OpFailure {
    ZNode node = existing(op.getPath());
    checkVersion(op.getPath(), "version", op.getVersion(), node.version);
    nodes.setData(node, op.getData(), zxid, time, undo);
    events.add(new TreeEvent(TreeEvent.Kind.DATA_CHANGED, op.getPath()));
    return node.stat();
  }

  private Stat setAcl(SetAclOp op, UndoLog undo) throws OpFailure {
    ZNode node = existing(op.getPath());
    checkVersion(op.getPath(), "aversion", op.getVersion(), node.aversion);
    nodes.setAcl(node, Acls.orDefault(op.getAclList()), undo);
    return node.stat();
  }

  private void check(CheckOp op) throws OpFailure {
    ZNode node = existing(op.getPath());
    checkVersion(op.getPath(), "version", op.getVersion(), node.version);
  }

  /**
   * Deletes every ephemeral of the session (each like a delete), then the session with its
   * remembered replies; returns the deleted paths, sorted. Unknown session: a no-op.
   */
  private List<String> closeSession(long sessionId, long zxid, UndoLog undo, List<TreeEvent> events) {
    if (!sessions.contains(sessionId)) {
      return List.of(); // idempotent: already closed or expired
    }
    List<String> paths = List.copyOf(sessions.ephemerals(sessionId));
    for (String path : paths) {
      removeNode(path, nodes.get(path), zxid, undo, events);
    }
    sessions.close(sessionId, undo);
    return paths;
  }

  /**
   * Deletes the node if it is still the one the leader saw (same czxid) and still qualifies at
   * this entry's time; the leader's view may be stale by the time the entry commits (a child was
   * added, the TTL node was written to, the node was deleted and recreated).
   */
  private boolean reap(ReapOp op, long zxid, long time, UndoLog undo, List<TreeEvent> events) {
    String path = op.getPath();
    ZNode node = nodes.get(path);
    if (node == null || node.czxid != op.getCzxid() || !NodeTable.isReapable(node, time)) {
      return false;
    }
    removeNode(path, node, zxid, undo, events);
    return true;
  }

  private void removeNode(String path, ZNode node, long zxid, UndoLog undo, List<TreeEvent> events) {
    nodes.delete(path, zxid, undo);
    if (node.isEphemeral()) {
      sessions.removeEphemeral(node.ephemeralOwner, path, undo);
    }
    events.add(new TreeEvent(TreeEvent.Kind.DELETED, path));
  }

  private ZNode existing(String path) throws OpFailure {
    ZNode node = nodes.get(path);
    if (node == null) {
      throw OpFailure.noNode(path);
    }
    return node;
  }

  private static void checkVersion(String path, String what, int expected, int actual) throws OpFailure {
    if (expected != -1 && expected != actual) {
      throw OpFailure.badVersion(path, what, expected, actual);
    }
  }

  private static OpFailure nodeExists(String path) {
    return new OpFailure(Code.NODEEXISTS, path, "node " + Paths.quote(path) + " already exists");
  }
}
