package io.keel.front;

import io.keel.proto.Acl;
import io.keel.proto.CheckOp;
import io.keel.proto.CloseSessionOp;
import io.keel.proto.Code;
import io.keel.proto.CreateOp;
import io.keel.proto.DeleteOp;
import io.keel.proto.MultiOp;
import io.keel.proto.Op;
import io.keel.proto.PathOp;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import io.keel.proto.SetAclOp;
import io.keel.proto.SetDataOp;
import io.keel.proto.WriteRequest;
import io.keel.tree.Paths;
import io.keel.tree.RequestValidator;
import io.keel.watch.WatchKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.jute.InputArchive;
import org.apache.jute.Record;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.proto.AddWatchRequest;
import org.apache.zookeeper.proto.CheckVersionRequest;
import org.apache.zookeeper.proto.CheckWatchesRequest;
import org.apache.zookeeper.proto.CreateRequest;
import org.apache.zookeeper.proto.CreateTTLRequest;
import org.apache.zookeeper.proto.DeleteRequest;
import org.apache.zookeeper.proto.ExistsRequest;
import org.apache.zookeeper.proto.GetACLRequest;
import org.apache.zookeeper.proto.GetAllChildrenNumberRequest;
import org.apache.zookeeper.proto.GetChildren2Request;
import org.apache.zookeeper.proto.GetChildrenRequest;
import org.apache.zookeeper.proto.GetDataRequest;
import org.apache.zookeeper.proto.GetEphemeralsRequest;
import org.apache.zookeeper.proto.MultiHeader;
import org.apache.zookeeper.proto.RemoveWatchesRequest;
import org.apache.zookeeper.proto.SetACLRequest;
import org.apache.zookeeper.proto.SetDataRequest;
import org.apache.zookeeper.proto.SetWatches;
import org.apache.zookeeper.proto.SetWatches2;
import org.apache.zookeeper.proto.SyncRequest;

/**
 * ZooKeeper requests as Keel's: decodes the record after a request header into a {@link Call}
 * holding Keel's read or write, validated the way the leader validates. Stateless.
 */
final class Requests {

  /** ZooKeeper's AddWatchMode numbers. */
  static final int ADD_WATCH_PERSISTENT = 0;
  static final int ADD_WATCH_PERSISTENT_RECURSIVE = 1;

  private Requests() {
  }

  /** A request whose bytes are not the record its type promises. */
  static final class MalformedException extends IOException {
    MalformedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * The call for a request of {@code type} whose record follows in {@code in}. A request that
   * decodes but breaks a rule is a {@link Call.Kind#DONE} call carrying the error; bytes that do
   * not decode throw {@link MalformedException}.
   */
  static Call decode(int xid, int type, InputArchive in, long session, int maxDataBytes)
      throws MalformedException {
    try {
      return switch (type) {
        case OpCodes.CREATE, OpCodes.CREATE2, OpCodes.CREATE_CONTAINER ->
            write(xid, type, session, maxDataBytes, create(read(in, new CreateRequest()), 0));
        case OpCodes.CREATE_TTL -> write(xid, type, session, maxDataBytes, createTtl(read(in, new CreateTTLRequest())));
        case OpCodes.DELETE -> write(xid, type, session, maxDataBytes, delete(read(in, new DeleteRequest())));
        case OpCodes.SET_DATA -> write(xid, type, session, maxDataBytes, setData(read(in, new SetDataRequest())));
        case OpCodes.SET_ACL -> {
          SetACLRequest r = read(in, new SetACLRequest());
          yield write(xid, type, session, maxDataBytes, WriteRequest.newBuilder().setSetAcl(
              SetAclOp.newBuilder().setPath(r.getPath()).addAllAcl(acls(r.getAcl())).setVersion(r.getVersion())));
        }
        case OpCodes.CHECK -> write(xid, type, session, maxDataBytes, check(read(in, new CheckVersionRequest())));
        case OpCodes.MULTI -> multi(xid, in, session, maxDataBytes);
        case OpCodes.CLOSE_SESSION -> {
          Call c = new Call(xid, type, Call.Kind.WRITE);
          c.write = WriteRequest.newBuilder().setSessionId(session)
              .setCloseSession(CloseSessionOp.newBuilder().setSessionId(session)).build();
          yield c;
        }
        case OpCodes.EXISTS -> {
          ExistsRequest r = read(in, new ExistsRequest());
          yield read(xid, type, session, ReadRequest.newBuilder().setExists(path(r.getPath())),
              r.getWatch() ? WatchKind.EXIST : null, r.getPath());
        }
        case OpCodes.GET_DATA -> {
          GetDataRequest r = read(in, new GetDataRequest());
          yield read(xid, type, session, ReadRequest.newBuilder().setGetData(path(r.getPath())),
              r.getWatch() ? WatchKind.DATA : null, r.getPath());
        }
        case OpCodes.GET_CHILDREN -> {
          GetChildrenRequest r = read(in, new GetChildrenRequest());
          yield read(xid, type, session, ReadRequest.newBuilder().setGetChildren(path(r.getPath())),
              r.getWatch() ? WatchKind.CHILD : null, r.getPath());
        }
        case OpCodes.GET_CHILDREN2 -> {
          GetChildren2Request r = read(in, new GetChildren2Request());
          yield read(xid, type, session, ReadRequest.newBuilder().setGetChildren(path(r.getPath())),
              r.getWatch() ? WatchKind.CHILD : null, r.getPath());
        }
        case OpCodes.GET_ACL -> read(xid, type, session,
            ReadRequest.newBuilder().setGetAcl(path(read(in, new GetACLRequest()).getPath())), null, null);
        case OpCodes.GET_ALL_CHILDREN_NUMBER -> read(xid, type, session, ReadRequest.newBuilder()
            .setGetAllChildrenNumber(path(read(in, new GetAllChildrenNumberRequest()).getPath())), null, null);
        case OpCodes.GET_EPHEMERALS -> read(xid, type, session, ReadRequest.newBuilder()
            .setGetEphemerals(path(read(in, new GetEphemeralsRequest()).getPrefixPath())), null, null);
        case OpCodes.MULTI_READ -> multiRead(xid, in, session);
        case OpCodes.SYNC -> {
          String p = read(in, new SyncRequest()).getPath();
          String problem = Paths.problem(p, false);
          if (problem != null) {
            yield refused(xid, type, Code.BADARGUMENTS, p, "path " + Paths.quote(p) + " is invalid: " + problem);
          }
          Call c = new Call(xid, type, Call.Kind.SYNC);
          c.watchPath = p;
          yield c;
        }
        case OpCodes.ADD_WATCH -> watches(xid, type, read(in, new AddWatchRequest()));
        case OpCodes.REMOVE_WATCHES -> watches(xid, type, read(in, new RemoveWatchesRequest()));
        case OpCodes.CHECK_WATCHES -> watches(xid, type, read(in, new CheckWatchesRequest()));
        case OpCodes.SET_WATCHES -> watches(xid, type, read(in, new SetWatches()));
        case OpCodes.SET_WATCHES2 -> watches(xid, type, read(in, new SetWatches2()));
        case OpCodes.RECONFIG, OpCodes.DELETE_CONTAINER, OpCodes.SASL -> refused(xid, type, Code.UNIMPLEMENTED,
            "", "request type " + type + " is not supported by Keel (membership: keel cluster add|remove)");
        default -> refused(xid, type, Code.UNIMPLEMENTED, "", "unknown request type " + type);
      };
    } catch (IOException | RuntimeException e) {
      throw new MalformedException("request type " + type + " (xid " + xid + "): " + e, e);
    }
  }

  static Call refused(int xid, int type, Code code, String path, String message) {
    return Call.done(xid, type, Response.newBuilder().setErr(code).setPath(path == null ? "" : path)
        .setMessage(message).build());
  }

  private static <T extends Record> T read(InputArchive in, T record) throws IOException {
    record.deserialize(in, "request");
    return record;
  }

  private static Call write(int xid, int type, long session, int maxDataBytes, WriteRequest.Builder w) {
    w.setSessionId(session);
    WriteRequest request = w.build();
    Response problem = aclProblem(request);
    if (problem == null) {
      problem = RequestValidator.validate(request, maxDataBytes);
    }
    if (problem != null) {
      return Call.done(xid, type, problem);
    }
    Call c = new Call(xid, type, Call.Kind.WRITE);
    c.write = request;
    return c;
  }

  /** ZooKeeper refuses a create with no ACL entries; Keel's own default does not apply here. */
  private static Response aclProblem(WriteRequest request) {
    if (request.hasCreate() && request.getCreate().getAclCount() == 0) {
      return emptyAcl(request.getCreate().getPath());
    }
    if (request.hasSetAcl() && request.getSetAcl().getAclCount() == 0) {
      return emptyAcl(request.getSetAcl().getPath());
    }
    return null;
  }

  private static Response emptyAcl(String path) {
    return Response.newBuilder().setErr(Code.INVALIDACL).setPath(path)
        .setMessage("the ACL of " + Paths.quote(path) + " is empty").build();
  }

  private static Call read(int xid, int type, long session, ReadRequest.Builder r, WatchKind watch,
                           String watchPath) {
    Call c = new Call(xid, type, Call.Kind.READ);
    c.read = r.setSessionId(session).build();
    c.watchKind = watch;
    c.watchPath = watch == null ? null : watchPath;
    return c;
  }

  private static Call watches(int xid, int type, Record op) {
    Call c = new Call(xid, type, Call.Kind.WATCHES);
    c.watchOp = op;
    return c;
  }

  private static PathOp.Builder path(String p) {
    return PathOp.newBuilder().setPath(p == null ? "" : p);
  }

  private static WriteRequest.Builder create(CreateRequest r, long ttl) {
    return WriteRequest.newBuilder().setCreate(createOp(r.getPath(), r.getData(), r.getAcl(), r.getFlags(), ttl));
  }

  private static WriteRequest.Builder createTtl(CreateTTLRequest r) {
    return WriteRequest.newBuilder().setCreate(
        createOp(r.getPath(), r.getData(), r.getAcl(), r.getFlags(), r.getTtl()));
  }

  private static CreateOp createOp(String path, byte[] data, List<ACL> acl, int flags, long ttl) {
    return CreateOp.newBuilder().setPath(path == null ? "" : path).setData(bytes(data))
        .addAllAcl(acls(acl)).setModeValue(flags).setTtl(ttl).build();
  }

  private static WriteRequest.Builder delete(DeleteRequest r) {
    return WriteRequest.newBuilder().setDelete(DeleteOp.newBuilder().setPath(nonNull(r.getPath())).setVersion(r.getVersion()));
  }

  private static WriteRequest.Builder setData(SetDataRequest r) {
    return WriteRequest.newBuilder().setSetData(SetDataOp.newBuilder().setPath(nonNull(r.getPath()))
        .setData(bytes(r.getData())).setVersion(r.getVersion()));
  }

  private static WriteRequest.Builder check(CheckVersionRequest r) {
    return WriteRequest.newBuilder().setCheck(CheckOp.newBuilder().setPath(nonNull(r.getPath())).setVersion(r.getVersion()));
  }

  private static Call multi(int xid, InputArchive in, long session, int maxDataBytes) throws IOException {
    MultiOp.Builder ops = MultiOp.newBuilder();
    List<Integer> types = new ArrayList<>();
    MultiHeader h = read(in, new MultiHeader());
    while (!h.getDone()) {
      Op.Builder op = Op.newBuilder();
      switch (h.getType()) {
        case OpCodes.CREATE, OpCodes.CREATE2, OpCodes.CREATE_CONTAINER -> {
          CreateRequest r = read(in, new CreateRequest());
          op.setCreate(createOp(r.getPath(), r.getData(), r.getAcl(), r.getFlags(), 0));
        }
        case OpCodes.CREATE_TTL -> {
          CreateTTLRequest r = read(in, new CreateTTLRequest());
          op.setCreate(createOp(r.getPath(), r.getData(), r.getAcl(), r.getFlags(), r.getTtl()));
        }
        case OpCodes.DELETE -> op.setDelete(delete(read(in, new DeleteRequest())).getDelete());
        case OpCodes.SET_DATA -> op.setSetData(setData(read(in, new SetDataRequest())).getSetData());
        case OpCodes.CHECK -> op.setCheck(check(read(in, new CheckVersionRequest())).getCheck());
        default -> throw new IOException("multi op type " + h.getType() + " is not a write");
      }
      ops.addOps(op);
      types.add(h.getType());
      h = read(in, new MultiHeader());
    }
    for (Op op : ops.getOpsList()) {
      if (op.hasCreate() && op.getCreate().getAclCount() == 0) {
        Response bad = emptyAcl(op.getCreate().getPath());
        Call c = Call.done(xid, OpCodes.MULTI, multiFailure(ops.getOpsCount(), ops.getOpsList().indexOf(op), bad));
        c.multiOps = types.stream().mapToInt(Integer::intValue).toArray();
        return c;
      }
    }
    Call c = write(xid, OpCodes.MULTI, session, maxDataBytes, WriteRequest.newBuilder().setMulti(ops));
    c.multiOps = types.stream().mapToInt(Integer::intValue).toArray();
    return c;
  }

  /** ZooKeeper's shape of a failed multi: OK before the bad op, its error, then RUNTIMEINCONSISTENCY. */
  private static Response multiFailure(int ops, int failed, Response why) {
    io.keel.proto.MultiResult.Builder m = io.keel.proto.MultiResult.newBuilder();
    for (int i = 0; i < ops; i++) {
      Code code = i < failed ? Code.OK : i == failed ? why.getErr() : Code.RUNTIMEINCONSISTENCY;
      m.addResults(io.keel.proto.OpResult.newBuilder().setErr(code));
    }
    return why.toBuilder().setMulti(m).build();
  }

  private static Call multiRead(int xid, InputArchive in, long session) throws IOException {
    List<ReadRequest> reads = new ArrayList<>();
    List<Integer> types = new ArrayList<>();
    MultiHeader h = read(in, new MultiHeader());
    while (!h.getDone()) {
      switch (h.getType()) {
        case OpCodes.GET_CHILDREN -> reads.add(ReadRequest.newBuilder().setSessionId(session)
            .setGetChildren(path(read(in, new GetChildrenRequest()).getPath())).build());
        case OpCodes.GET_DATA -> reads.add(ReadRequest.newBuilder().setSessionId(session)
            .setGetData(path(read(in, new GetDataRequest()).getPath())).build());
        default -> throw new IOException("multiRead op type " + h.getType() + " is not a read");
      }
      types.add(h.getType());
      h = read(in, new MultiHeader());
    }
    Call c = new Call(xid, OpCodes.MULTI_READ, Call.Kind.MULTI_READ);
    c.reads = reads;
    c.multiOps = types.stream().mapToInt(Integer::intValue).toArray();
    return c;
  }

  static List<Acl> acls(List<ACL> acl) {
    List<Acl> out = new ArrayList<>();
    if (acl != null) {
      for (ACL a : acl) {
        out.add(Acl.newBuilder().setPerms(a.getPerms())
            .setScheme(a.getId() == null ? "" : nonNull(a.getId().getScheme()))
            .setId(a.getId() == null ? "" : nonNull(a.getId().getId())).build());
      }
    }
    return out;
  }

  private static com.google.protobuf.ByteString bytes(byte[] data) {
    return data == null ? com.google.protobuf.ByteString.EMPTY : com.google.protobuf.ByteString.copyFrom(data);
  }

  private static String nonNull(String s) {
    return s == null ? "" : s;
  }
}
