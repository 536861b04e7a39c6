package io.keel.tree;

import io.keel.proto.Acl;
import io.keel.proto.CheckOp;
import io.keel.proto.Code;
import io.keel.proto.CreateMode;
import io.keel.proto.CreateOp;
import io.keel.proto.DeleteOp;
import io.keel.proto.MultiOp;
import io.keel.proto.MultiResult;
import io.keel.proto.Op;
import io.keel.proto.OpResult;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import io.keel.proto.SetAclOp;
import io.keel.proto.SetDataOp;
import io.keel.proto.WriteRequest;
import java.util.List;

/**
 * The checks that do not depend on the tree's state: what the leader runs before a write may
 * enter the log, and what {@link DataTree#apply} runs again (without the size limit) because it
 * never trusts the log.
 *
 * <p>Rules: an operation is present; paths follow {@link Paths}; versions are -1 (any) or &gt;= 0;
 * data is at most {@code maxDataBytes}; a create's mode is known, its ttl is in
 * {@code 1..0xFFFFFFFFFF} for the *_WITH_TTL modes and 0 otherwise, an ephemeral needs a session
 * ({@code session_id != 0}); ACL entries have a scheme and perms in 0..31 (else INVALIDACL);
 * the root cannot be deleted; a session timeout is positive; close_session names a session; a
 * reap names a valid path and a czxid &gt; 0.
 * Every other failure is BADARGUMENTS. Messages name the rule and the value.
 *
 * <p>Thread-safety: stateless. Failure behaviour: returns a {@link Response} for every invalid
 * input, including null; throws only {@link IllegalArgumentException} for a negative
 * {@code maxDataBytes}.
 */
public final class RequestValidator {

  private RequestValidator() {
  }

  /**
   * Returns null when the write is valid, else a Response with err (BADARGUMENTS or INVALIDACL),
   * a message naming the rule and the value, and path. For a multi, the Response also carries
   * ZooKeeper's per-op result shape (OK before the bad op, its code, RUNTIMEINCONSISTENCY after).
   */
  public static Response validate(WriteRequest request, int maxDataBytes) {
    if (maxDataBytes < 0) {
      throw new IllegalArgumentException("maxDataBytes must be >= 0, got " + maxDataBytes);
    }
    if (request == null) {
      return badArguments("request is null");
    }
    try {
      switch (request.getOpCase()) {
        case CREATE -> checkCreate(request.getCreate(), request.getSessionId(), maxDataBytes);
        case DELETE -> checkDelete(request.getDelete());
        case SET_DATA -> checkSetData(request.getSetData(), maxDataBytes);
        case SET_ACL -> checkSetAcl(request.getSetAcl());
        case CHECK -> checkCheck(request.getCheck());
        case MULTI -> {
          return checkMulti(request.getMulti(), request.getSessionId(), maxDataBytes);
        }
        case CREATE_SESSION -> {
          int timeout = request.getCreateSession().getTimeoutMs();
          if (timeout <= 0) {
            throw bad("", "session timeout " + timeout + " ms is invalid: must be > 0");
          }
        }
        case CLOSE_SESSION -> {
          if (request.getCloseSession().getSessionId() == 0) {
            throw bad("", "close_session needs a session id (session_id is 0)");
          }
        }
        case REAP -> {
          checkPath(request.getReap().getPath(), false);
          long czxid = request.getReap().getCzxid();
          if (czxid <= 0) {
            throw bad(request.getReap().getPath(), "reap czxid " + czxid + " for "
                + Paths.quote(request.getReap().getPath()) + " is invalid: must be > 0");
          }
        }
        case BATCH -> throw bad("", "a batch of writes is not one write: apply its requests one by one");
        default -> throw bad("", "request has no operation");
      }
    } catch (OpFailure f) {
      return f.toResponse().build();
    }
    return null;
  }

  /**
   * Returns null when the read is valid (operation present, valid path; a ping names a session),
   * else a BADARGUMENTS Response.
   */
  public static Response validate(ReadRequest request) {
    if (request == null) {
      return badArguments("request is null");
    }
    String path;
    switch (request.getOpCase()) {
      case GET_DATA -> path = request.getGetData().getPath();
      case EXISTS -> path = request.getExists().getPath();
      case GET_CHILDREN -> path = request.getGetChildren().getPath();
      case GET_ALL_CHILDREN_NUMBER -> path = request.getGetAllChildrenNumber().getPath();
      case GET_ACL -> path = request.getGetAcl().getPath();
      case GET_EPHEMERALS -> {
        // A prefix, not a node: "/app/" (trailing '/') is allowed to mean "below /app".
        String prefix = request.getGetEphemerals().getPath();
        String problem = Paths.problem(prefix, true);
        return problem == null ? null
            : new OpFailure(Code.BADARGUMENTS, prefix,
                "prefix " + Paths.quote(prefix) + " is invalid: " + problem).toResponse().build();
      }
      case PING -> {
        return request.getSessionId() != 0 ? null : badArguments("ping needs a session id (session_id is 0)");
      }
      default -> {
        return badArguments("request has no operation");
      }
    }
    try {
      checkPath(path, false);
      return null;
    } catch (OpFailure f) {
      return f.toResponse().build();
    }
  }

  // ------------------------------------------------------------ per operation

  private static void checkCreate(CreateOp op, long sessionId, int maxDataBytes) throws OpFailure {
    String path = op.getPath();
    CreateMode mode = op.getMode();
    if (!NodeTypes.isKnown(mode)) {
      throw bad(path, "create mode " + op.getModeValue() + " for " + Paths.quote(path) + " is unknown");
    }
    checkPath(path, NodeTypes.isSequential(mode));
    long ttl = op.getTtl();
    if (NodeTypes.isTtl(mode)) {
      if (ttl <= 0 || ttl > NodeTypes.MAX_TTL) {
        throw bad(path, "ttl " + ttl + " for " + Paths.quote(path) + " is invalid: mode " + mode
            + " needs 0 < ttl <= " + NodeTypes.MAX_TTL);
      }
    } else if (ttl != 0) {
      throw bad(path, "ttl " + ttl + " for " + Paths.quote(path) + " is invalid: mode " + mode
          + " takes no ttl (must be 0)");
    }
    if (NodeTypes.isEphemeral(mode) && sessionId == 0) {
      throw bad(path, "mode " + mode + " for " + Paths.quote(path) + " needs a session (session_id is 0)");
    }
    checkData(path, op.getData().size(), maxDataBytes);
    checkAcl(path, op.getAclList());
  }

  private static void checkDelete(DeleteOp op) throws OpFailure {
    String path = op.getPath();
    checkPath(path, false);
    if (path.equals(Paths.ROOT)) {
      throw bad(path, "the root '/' cannot be deleted");
    }
    checkVersion(path, op.getVersion());
  }

  private static void checkSetData(SetDataOp op, int maxDataBytes) throws OpFailure {
    checkPath(op.getPath(), false);
    checkVersion(op.getPath(), op.getVersion());
    checkData(op.getPath(), op.getData().size(), maxDataBytes);
  }

  private static void checkSetAcl(SetAclOp op) throws OpFailure {
    checkPath(op.getPath(), false);
    checkVersion(op.getPath(), op.getVersion());
    checkAcl(op.getPath(), op.getAclList());
  }

  private static void checkCheck(CheckOp op) throws OpFailure {
    checkPath(op.getPath(), false);
    checkVersion(op.getPath(), op.getVersion());
  }

  private static Response checkMulti(MultiOp multi, long sessionId, int maxDataBytes) {
    List<Op> ops = multi.getOpsList();
    for (int i = 0; i < ops.size(); i++) {
      Op op = ops.get(i);
      try {
        switch (op.getOpCase()) {
          case CREATE -> checkCreate(op.getCreate(), sessionId, maxDataBytes);
          case DELETE -> checkDelete(op.getDelete());
          case SET_DATA -> checkSetData(op.getSetData(), maxDataBytes);
          case CHECK -> checkCheck(op.getCheck());
          default -> throw bad("", "op " + i + " of multi has no operation");
        }
      } catch (OpFailure f) {
        return multiFailure(ops.size(), i, f).build();
      }
    }
    return null;
  }

  /**
   * ZooKeeper's reply to a failed multi: err and path of the failing op, OK for the ops before
   * it, its code for it, RUNTIMEINCONSISTENCY for the ops after it.
   */
  static Response.Builder multiFailure(int opCount, int failedIndex, OpFailure failure) {
    MultiResult.Builder results = MultiResult.newBuilder();
    for (int i = 0; i < opCount; i++) {
      Code code = i < failedIndex ? Code.OK : i == failedIndex ? failure.code() : Code.RUNTIMEINCONSISTENCY;
      results.addResults(OpResult.newBuilder().setErr(code));
    }
    return failure.toResponse()
        .setMessage("multi op " + failedIndex + " failed: " + failure.getMessage())
        .setMulti(results);
  }

  // ------------------------------------------------------------ single rules

  private static void checkPath(String path, boolean sequential) throws OpFailure {
    String problem = Paths.problem(path, sequential);
    if (problem != null) {
      throw bad(path, "path " + Paths.quote(path) + " is invalid: " + problem);
    }
  }

  private static void checkVersion(String path, int version) throws OpFailure {
    if (version < -1) {
      throw bad(path, "version " + version + " for " + Paths.quote(path) + " is invalid: must be -1 (any) or >= 0");
    }
  }

  private static void checkData(String path, int size, int maxDataBytes) throws OpFailure {
    if (size > maxDataBytes) {
      throw bad(path, "data of " + size + " bytes for " + Paths.quote(path)
          + " exceeds maxDataBytes (" + maxDataBytes + ")");
    }
  }

  private static void checkAcl(String path, List<Acl> acl) throws OpFailure {
    for (int i = 0; i < acl.size(); i++) {
      String problem = Acls.problem(acl.get(i));
      if (problem != null) {
        throw new OpFailure(Code.INVALIDACL, path,
            "acl entry " + i + " for " + Paths.quote(path) + " is invalid: " + problem);
      }
    }
  }

  private static OpFailure bad(String path, String message) {
    return new OpFailure(Code.BADARGUMENTS, path, message);
  }

  private static Response badArguments(String message) {
    return bad("", message).toResponse().build();
  }
}
