package io.keel.tree;

import com.google.protobuf.ByteString;
import io.keel.proto.Acl;
import io.keel.proto.AclResult;
import io.keel.proto.ChildrenResult;
import io.keel.proto.Code;
import io.keel.proto.CountResult;
import io.keel.proto.CreateMode;
import io.keel.proto.CreateOp;
import io.keel.proto.CreateResult;
import io.keel.proto.DataResult;
import io.keel.proto.MultiResult;
import io.keel.proto.Op;
import io.keel.proto.OpResult;
import io.keel.proto.PathsResult;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import io.keel.proto.SessionResult;
import io.keel.proto.Stat;
import io.keel.proto.WriteRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A naive reference for {@link DataTree}: one sorted map from path to node, everything else
 * computed by scanning it (children, child counts, a session's ephemerals), and a multi applied to
 * a deep copy that is thrown away on failure. Slow and obvious on purpose; replies carry no
 * message (the property test compares everything else).
 */
final class ModelTree {

  static final class Node {
    ByteString data;
    List<Acl> acl;
    long czxid;
    long mzxid;
    long pzxid;
    long ctime;
    long mtime;
    int version;
    int aversion;
    long cversion;
    long owner;

    Node copy() {
      Node n = new Node();
      n.data = data;
      n.acl = acl;
      n.czxid = czxid;
      n.mzxid = mzxid;
      n.pzxid = pzxid;
      n.ctime = ctime;
      n.mtime = mtime;
      n.version = version;
      n.aversion = aversion;
      n.cversion = cversion;
      n.owner = owner;
      return n;
    }
  }

  /** A user-level failure of one op. */
  private static final class Failure extends Exception {
    private static final long serialVersionUID = 1L;
    final Code code;
    final String path;

    Failure(Code code, String path) {
      super(code + " " + path, null, false, false);
      this.code = code;
      this.path = path;
    }
  }

  private static final List<Acl> OPEN = List.of(Requests.acl(31, "world", "anyone"));

  TreeMap<String, Node> nodes = new TreeMap<>();
  TreeMap<Long, Integer> sessions = new TreeMap<>();
  long lastTime;
  /** The node changes of the last applied entry. */
  List<TreeEvent> events = new ArrayList<>();

  ModelTree() {
    Node root = new Node();
    root.data = ByteString.EMPTY;
    root.acl = OPEN;
    nodes.put("/", root);
  }

  // ------------------------------------------------------------ derived facts, by scanning

  static String parentOf(String path) {
    int slash = path.lastIndexOf('/');
    return slash == 0 ? "/" : path.substring(0, slash);
  }

  List<String> children(String path) {
    List<String> names = new ArrayList<>();
    for (String p : nodes.keySet()) {
      if (!p.equals("/") && parentOf(p).equals(path)) {
        names.add(p.substring(p.lastIndexOf('/') + 1));
      }
    }
    names.sort(null);
    return names;
  }

  Stat stat(String path) {
    Node n = nodes.get(path);
    return Requests.stat(n.czxid, n.mzxid, n.ctime, n.mtime, n.version, (int) n.cversion, n.aversion, n.owner,
        n.data.size(), children(path).size(), n.pzxid);
  }

  List<String> ephemeralsOf(long session) {
    List<String> paths = new ArrayList<>();
    nodes.forEach((path, node) -> {
      if (node.owner == session && session > 0) {
        paths.add(path);
      }
    });
    return paths;
  }

  /** ZooKeeper's rule, by scanning: a childless used container, or a childless TTL node idle longer than its TTL. */
  boolean isReapable(String path, long now) {
    Node n = nodes.get(path);
    if (!children(path).isEmpty()) {
      return false;
    }
    if (n.owner == Long.MIN_VALUE) {
      return n.cversion > 0;
    }
    if ((n.owner & 0xFF00000000000000L) == 0xFF00000000000000L) {
      return now > n.mtime && now - n.mtime > (n.owner & 0xFFFFFFFFFFL);
    }
    return false;
  }

  /** What {@link DataTree#reapable} should answer, by scanning every node. */
  List<Reapable> reapable(long now) {
    List<Reapable> due = new ArrayList<>();
    for (String path : nodes.keySet()) {
      if (!path.equals("/") && isReapable(path, now)) {
        due.add(new Reapable(path, nodes.get(path).czxid));
      }
    }
    return due;
  }

  // ------------------------------------------------------------ writes

  /** An entry that changed nothing (a deduplicated retry): time still moves. */
  void tick(long txnTime) {
    events = new ArrayList<>();
    lastTime = Math.max(lastTime, txnTime);
  }

  Response apply(long zxid, long txnTime, WriteRequest request) {
    events = new ArrayList<>();
    long time = Math.max(lastTime, txnTime);
    lastTime = time;
    Response.Builder reply = Response.newBuilder().setZxid(zxid);
    long session = request.getSessionId();
    // Malformed requests are refused first (stateless checks), then unknown sessions.
    if (session != 0 && request.getOpCase() != WriteRequest.OpCase.CREATE_SESSION
        && request.getOpCase() != WriteRequest.OpCase.REAP && !sessions.containsKey(session)
        && isWellFormed(request)) {
      return reply.setErr(Code.SESSIONEXPIRED).build();
    }
    switch (request.getOpCase()) {
      case CREATE_SESSION -> {
        sessions.put(zxid, request.getCreateSession().getTimeoutMs());
        return reply.setSession(SessionResult.newBuilder().setSessionId(zxid)
            .setTimeoutMs(request.getCreateSession().getTimeoutMs())).build();
      }
      case CLOSE_SESSION -> {
        long id = request.getCloseSession().getSessionId();
        List<String> deleted = sessions.containsKey(id) ? ephemeralsOf(id) : List.of();
        for (String path : deleted) {
          remove(path, zxid);
        }
        sessions.remove(id);
        return reply.setPaths(PathsResult.newBuilder().addAllPaths(deleted)).build();
      }
      case MULTI -> {
        return multi(request.getMulti().getOpsList(), session, zxid, time, reply);
      }
      case REAP -> {
        String path = request.getReap().getPath();
        Node n = nodes.get(path);
        boolean due = n != null && n.czxid == request.getReap().getCzxid() && isReapable(path, time);
        if (due) {
          remove(path, zxid);
        }
        return reply.setDone(due).build();
      }
      case SET_ACL -> {
        return setAcl(request, reply);
      }
      default -> {
        Op op = asOp(request);
        Failure invalid = invalid(op, session);
        if (invalid != null) {
          return reply.setErr(invalid.code).setPath(invalid.path).build();
        }
        try {
          OpResult result = execute(op, session, zxid, time);
          switch (request.getOpCase()) {
            case CREATE -> reply.setCreate(result.getCreate());
            case SET_DATA, SET_ACL -> reply.setStat(result.getStat());
            default -> reply.setDone(true);
          }
          return reply.build();
        } catch (Failure f) {
          return reply.setErr(f.code).setPath(f.path).build();
        }
      }
    }
  }

  private Response multi(List<Op> ops, long session, long zxid, long time, Response.Builder reply) {
    for (int i = 0; i < ops.size(); i++) {
      Failure invalid = invalid(ops.get(i), session);
      if (invalid != null) {
        return failedMulti(ops.size(), i, invalid, reply);
      }
    }
    ModelTree saved = deepCopy();
    MultiResult.Builder results = MultiResult.newBuilder();
    for (int i = 0; i < ops.size(); i++) {
      try {
        results.addResults(execute(ops.get(i), session, zxid, time));
      } catch (Failure f) {
        nodes = saved.nodes;
        sessions = saved.sessions;
        events = new ArrayList<>();
        return failedMulti(ops.size(), i, f, reply);
      }
    }
    return reply.setMulti(results).build();
  }

  private static Response failedMulti(int count, int failed, Failure f, Response.Builder reply) {
    MultiResult.Builder results = MultiResult.newBuilder();
    for (int i = 0; i < count; i++) {
      results.addResults(OpResult.newBuilder()
          .setErr(i < failed ? Code.OK : i == failed ? f.code : Code.RUNTIMEINCONSISTENCY));
    }
    return reply.setErr(f.code).setPath(f.path).setMulti(results).build();
  }

  /** The generator's invalid inputs: versions below -1, ephemerals without a session, bad ACLs, deleting "/". */
  private static Failure invalid(Op op, long session) {
    switch (op.getOpCase()) {
      case CREATE -> {
        CreateOp c = op.getCreate();
        if (isEphemeral(c.getMode()) && session == 0) {
          return new Failure(Code.BADARGUMENTS, c.getPath());
        }
        if (c.getAclList().stream().anyMatch(a -> a.getPerms() < 0 || a.getPerms() > 31 || a.getScheme().isEmpty())) {
          return new Failure(Code.INVALIDACL, c.getPath());
        }
        return null;
      }
      case DELETE -> {
        boolean bad = op.getDelete().getPath().equals("/") || op.getDelete().getVersion() < -1;
        return bad ? new Failure(Code.BADARGUMENTS, op.getDelete().getPath()) : null;
      }
      case SET_DATA -> {
        return op.getSetData().getVersion() < -1 ? new Failure(Code.BADARGUMENTS, op.getSetData().getPath()) : null;
      }
      case CHECK -> {
        return op.getCheck().getVersion() < -1 ? new Failure(Code.BADARGUMENTS, op.getCheck().getPath()) : null;
      }
      default -> throw new AssertionError(op);
    }
  }

  private static boolean isWellFormed(WriteRequest request) {
    long session = request.getSessionId();
    return switch (request.getOpCase()) {
      case MULTI -> request.getMulti().getOpsList().stream().allMatch(op -> invalid(op, session) == null);
      case SET_ACL -> request.getSetAcl().getVersion() >= -1 && request.getSetAcl().getAclList().stream()
          .noneMatch(a -> a.getPerms() < 0 || a.getPerms() > 31 || a.getScheme().isEmpty());
      case CREATE, DELETE, SET_DATA, CHECK -> invalid(asOp(request), session) == null;
      default -> true;
    };
  }

  /** A single write as the equivalent multi op. */
  private static Op asOp(WriteRequest request) {
    return switch (request.getOpCase()) {
      case CREATE -> Op.newBuilder().setCreate(request.getCreate()).build();
      case DELETE -> Op.newBuilder().setDelete(request.getDelete()).build();
      case SET_DATA -> Op.newBuilder().setSetData(request.getSetData()).build();
      case CHECK -> Op.newBuilder().setCheck(request.getCheck()).build();
      default -> throw new AssertionError("use setAcl() for " + request.getOpCase());
    };
  }

  /** setAcl is not a multi op, so it is handled apart. */
  private Response setAcl(WriteRequest request, Response.Builder reply) {
    var op = request.getSetAcl();
    if (op.getVersion() < -1) {
      return reply.setErr(Code.BADARGUMENTS).setPath(op.getPath()).build();
    }
    if (op.getAclList().stream().anyMatch(a -> a.getPerms() < 0 || a.getPerms() > 31 || a.getScheme().isEmpty())) {
      return reply.setErr(Code.INVALIDACL).setPath(op.getPath()).build();
    }
    Node n = nodes.get(op.getPath());
    if (n == null) {
      return reply.setErr(Code.NONODE).setPath(op.getPath()).build();
    }
    if (op.getVersion() != -1 && op.getVersion() != n.aversion) {
      return reply.setErr(Code.BADVERSION).setPath(op.getPath()).build();
    }
    n.acl = op.getAclCount() == 0 ? OPEN : List.copyOf(op.getAclList());
    n.aversion++;
    return reply.setStat(stat(op.getPath())).build();
  }

  private OpResult execute(Op op, long session, long zxid, long time) throws Failure {
    OpResult.Builder result = OpResult.newBuilder().setErr(Code.OK);
    switch (op.getOpCase()) {
      case CREATE -> {
        CreateOp c = op.getCreate();
        String path = create(c, session, zxid, time);
        result.setCreate(CreateResult.newBuilder().setPath(path).setStat(stat(path)));
      }
      case DELETE -> {
        String path = op.getDelete().getPath();
        Node n = existing(path);
        if (op.getDelete().getVersion() != -1 && op.getDelete().getVersion() != n.version) {
          throw new Failure(Code.BADVERSION, path);
        }
        if (!children(path).isEmpty()) {
          throw new Failure(Code.NOTEMPTY, path);
        }
        remove(path, zxid);
        result.setDeleted(true);
      }
      case SET_DATA -> {
        String path = op.getSetData().getPath();
        Node n = existing(path);
        if (op.getSetData().getVersion() != -1 && op.getSetData().getVersion() != n.version) {
          throw new Failure(Code.BADVERSION, path);
        }
        n.data = op.getSetData().getData();
        n.version++;
        n.mzxid = zxid;
        n.mtime = time;
        events.add(new TreeEvent(TreeEvent.Kind.DATA_CHANGED, path));
        result.setStat(stat(path));
      }
      case CHECK -> {
        String path = op.getCheck().getPath();
        Node n = existing(path);
        if (op.getCheck().getVersion() != -1 && op.getCheck().getVersion() != n.version) {
          throw new Failure(Code.BADVERSION, path);
        }
        result.setChecked(true);
      }
      default -> throw new AssertionError(op);
    }
    return result.build();
  }

  private String create(CreateOp c, long session, long zxid, long time) throws Failure {
    CreateMode mode = c.getMode();
    boolean sequential = mode == CreateMode.PERSISTENT_SEQUENTIAL || mode == CreateMode.EPHEMERAL_SEQUENTIAL
        || mode == CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL;
    if (isEphemeral(mode) && !sessions.containsKey(session)) {
      throw new Failure(Code.SESSIONEXPIRED, c.getPath());
    }
    if (!sequential && nodes.containsKey(c.getPath())) {
      throw new Failure(Code.NODEEXISTS, c.getPath());
    }
    String parentPath = parentOf(c.getPath());
    Node parent = nodes.get(parentPath);
    if (parent == null) {
      throw new Failure(Code.NONODE, c.getPath());
    }
    if (parent.owner > 0) {
      throw new Failure(Code.NOCHILDRENFOREPHEMERALS, c.getPath());
    }
    String path = sequential ? c.getPath() + String.format("%010d", parent.cversion) : c.getPath();
    if (nodes.containsKey(path)) {
      throw new Failure(Code.NODEEXISTS, path);
    }
    Node n = new Node();
    n.data = c.getData();
    n.acl = c.getAclCount() == 0 ? OPEN : List.copyOf(c.getAclList());
    n.czxid = n.mzxid = n.pzxid = zxid;
    n.ctime = n.mtime = time;
    n.owner = switch (mode) {
      case EPHEMERAL, EPHEMERAL_SEQUENTIAL -> session;
      case CONTAINER -> Long.MIN_VALUE;
      case PERSISTENT_WITH_TTL, PERSISTENT_SEQUENTIAL_WITH_TTL -> 0xFF00000000000000L | c.getTtl();
      default -> 0;
    };
    nodes.put(path, n);
    events.add(new TreeEvent(TreeEvent.Kind.CREATED, path));
    parent.cversion++;
    parent.pzxid = zxid;
    return path;
  }

  private void remove(String path, long zxid) {
    nodes.remove(path);
    events.add(new TreeEvent(TreeEvent.Kind.DELETED, path));
    Node parent = nodes.get(parentOf(path));
    parent.cversion++;
    parent.pzxid = zxid;
  }

  private Node existing(String path) throws Failure {
    Node n = nodes.get(path);
    if (n == null) {
      throw new Failure(Code.NONODE, path);
    }
    return n;
  }

  private static boolean isEphemeral(CreateMode mode) {
    return mode == CreateMode.EPHEMERAL || mode == CreateMode.EPHEMERAL_SEQUENTIAL;
  }

  private ModelTree deepCopy() {
    ModelTree copy = new ModelTree();
    copy.nodes = new TreeMap<>();
    for (Map.Entry<String, Node> e : nodes.entrySet()) {
      copy.nodes.put(e.getKey(), e.getValue().copy());
    }
    copy.sessions = new TreeMap<>(sessions);
    copy.lastTime = lastTime;
    return copy;
  }

  // ------------------------------------------------------------ reads

  Response read(long zxid, ReadRequest request) {
    Response.Builder reply = Response.newBuilder().setZxid(zxid);
    if (request.getSessionId() != 0 && !sessions.containsKey(request.getSessionId())) {
      return reply.setErr(Code.SESSIONEXPIRED).build();
    }
    if (request.getOpCase() == ReadRequest.OpCase.GET_EPHEMERALS) {
      String prefix = request.getGetEphemerals().getPath();
      List<String> paths = new ArrayList<>();
      for (String p : ephemeralsOf(request.getSessionId())) {
        if (p.startsWith(prefix)) {
          paths.add(p);
        }
      }
      return reply.setPaths(PathsResult.newBuilder().addAllPaths(paths)).build();
    }
    String path = switch (request.getOpCase()) {
      case GET_DATA -> request.getGetData().getPath();
      case EXISTS -> request.getExists().getPath();
      case GET_CHILDREN -> request.getGetChildren().getPath();
      case GET_ALL_CHILDREN_NUMBER -> request.getGetAllChildrenNumber().getPath();
      case GET_ACL -> request.getGetAcl().getPath();
      default -> throw new AssertionError(request);
    };
    Node n = nodes.get(path);
    if (n == null) {
      return reply.setErr(Code.NONODE).setPath(path).build();
    }
    switch (request.getOpCase()) {
      case GET_DATA -> reply.setData(DataResult.newBuilder().setData(n.data).setStat(stat(path)));
      case EXISTS -> reply.setStat(stat(path));
      case GET_CHILDREN -> reply.setChildren(ChildrenResult.newBuilder().addAllChildren(children(path)).setStat(stat(path)));
      case GET_ALL_CHILDREN_NUMBER -> {
        String below = path.equals("/") ? "/" : path + "/";
        long count = nodes.keySet().stream().filter(p -> !p.equals(path) && p.startsWith(below)).count();
        reply.setCount(CountResult.newBuilder().setCount(count));
      }
      case GET_ACL -> reply.setAcl(AclResult.newBuilder().addAllAcl(n.acl).setStat(stat(path)));
      default -> throw new AssertionError(request);
    }
    return reply.build();
  }
}
