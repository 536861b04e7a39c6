package io.keel.front;

import io.keel.proto.Acl;
import io.keel.proto.Code;
import io.keel.proto.OpResult;
import io.keel.proto.Response;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.jute.OutputArchive;
import org.apache.jute.Record;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.proto.Create2Response;
import org.apache.zookeeper.proto.CreateResponse;
import org.apache.zookeeper.proto.ErrorResponse;
import org.apache.zookeeper.proto.ExistsResponse;
import org.apache.zookeeper.proto.GetACLResponse;
import org.apache.zookeeper.proto.GetAllChildrenNumberResponse;
import org.apache.zookeeper.proto.GetChildren2Response;
import org.apache.zookeeper.proto.GetChildrenResponse;
import org.apache.zookeeper.proto.GetDataResponse;
import org.apache.zookeeper.proto.GetEphemeralsResponse;
import org.apache.zookeeper.proto.MultiHeader;
import org.apache.zookeeper.proto.SetACLResponse;
import org.apache.zookeeper.proto.SetDataResponse;
import org.apache.zookeeper.proto.SyncResponse;

/**
 * Keel's answers as ZooKeeper's: the error code for the reply header and the record after it, in
 * the shape the request type calls for. Stateless.
 */
final class Replies {

  private Replies() {
  }

  /** The header's error code: a multi reports its per-op failures in its body, as ZooKeeper does. */
  static int err(Call c) {
    Response r = c.result;
    if (c.opCode == OpCodes.MULTI && r.hasMulti()) {
      return 0;
    }
    if (c.opCode == OpCodes.MULTI_READ && c.results != null) {
      return 0;
    }
    return r.getErrValue();
  }

  /** The record after the header, or null when the request type has none or the call failed. */
  static Record body(Call c) {
    Response r = c.result;
    if (err(c) != 0) {
      return null;
    }
    if (c.body != null) {
      return c.body;
    }
    return switch (c.opCode) {
      case OpCodes.CREATE -> new CreateResponse(r.getCreate().getPath());
      case OpCodes.CREATE2, OpCodes.CREATE_CONTAINER, OpCodes.CREATE_TTL ->
          new Create2Response(r.getCreate().getPath(), stat(r.getCreate().getStat()));
      case OpCodes.SET_DATA -> new SetDataResponse(stat(r.getStat()));
      case OpCodes.SET_ACL -> new SetACLResponse(stat(r.getStat()));
      case OpCodes.EXISTS -> new ExistsResponse(stat(r.getStat()));
      case OpCodes.GET_DATA -> new GetDataResponse(r.getData().getData().toByteArray(), stat(r.getData().getStat()));
      case OpCodes.GET_CHILDREN -> new GetChildrenResponse(new ArrayList<>(r.getChildren().getChildrenList()));
      case OpCodes.GET_CHILDREN2 ->
          new GetChildren2Response(new ArrayList<>(r.getChildren().getChildrenList()), stat(r.getChildren().getStat()));
      case OpCodes.GET_ACL -> new GetACLResponse(acls(r.getAcl().getAclList()), stat(r.getAcl().getStat()));
      case OpCodes.GET_ALL_CHILDREN_NUMBER ->
          new GetAllChildrenNumberResponse((int) Math.min(Integer.MAX_VALUE, r.getCount().getCount()));
      case OpCodes.GET_EPHEMERALS -> new GetEphemeralsResponse(new ArrayList<>(r.getPaths().getPathsList()));
      case OpCodes.SYNC -> new SyncResponse(c.watchPath);
      case OpCodes.MULTI -> new MultiBody(c.multiOps, r.getMulti().getResultsList(), r.getErr() == Code.OK);
      case OpCodes.MULTI_READ -> new MultiReadBody(c.multiOps, c.results);
      case OpCodes.ADD_WATCH -> new ErrorResponse(0);
      default -> null;
    };
  }

  static Stat stat(io.keel.proto.Stat s) {
    return new Stat(s.getCzxid(), s.getMzxid(), s.getCtime(), s.getMtime(), s.getVersion(),
        s.getCversion(), s.getAversion(), s.getEphemeralOwner(), s.getDataLength(),
        s.getNumChildren(), s.getPzxid());
  }

  static List<ACL> acls(List<Acl> acl) {
    List<ACL> out = new ArrayList<>(acl.size());
    for (Acl a : acl) {
      out.add(new ACL(a.getPerms(), new Id(a.getScheme(), a.getId())));
    }
    return out;
  }

  /** ZooKeeper's MultiResponse: a header and a record per op, then a closing header. */
  private record MultiBody(int[] types, List<OpResult> results, boolean ok) implements Record {
    @Override
    public void serialize(OutputArchive out, String tag) throws IOException {
      out.startRecord(this, tag);
      for (int i = 0; i < results.size(); i++) {
        OpResult r = results.get(i);
        if (!ok) {
          new MultiHeader(OpCodes.ERROR, false, r.getErrValue()).serialize(out, tag);
          new ErrorResponse(r.getErrValue()).serialize(out, tag);
          continue;
        }
        int type = i < types.length ? types[i] : OpCodes.ERROR;
        new MultiHeader(type, false, 0).serialize(out, tag);
        switch (type) {
          case OpCodes.CREATE -> new CreateResponse(r.getCreate().getPath()).serialize(out, tag);
          case OpCodes.CREATE2, OpCodes.CREATE_TTL, OpCodes.CREATE_CONTAINER ->
              new Create2Response(r.getCreate().getPath(), stat(r.getCreate().getStat())).serialize(out, tag);
          case OpCodes.SET_DATA -> new SetDataResponse(stat(r.getStat())).serialize(out, tag);
          default -> { }  // delete, check: the header alone
        }
      }
      new MultiHeader(-1, true, -1).serialize(out, tag);
      out.endRecord(this, tag);
    }

    @Override
    public void deserialize(org.apache.jute.InputArchive in, String tag) {
      throw new UnsupportedOperationException("the front only writes multi replies");
    }
  }

  /** ZooKeeper's multiRead reply: each op's result, or its error. */
  private record MultiReadBody(int[] types, List<Response> results) implements Record {
    @Override
    public void serialize(OutputArchive out, String tag) throws IOException {
      out.startRecord(this, tag);
      for (int i = 0; i < results.size(); i++) {
        Response r = results.get(i);
        if (r.getErr() != Code.OK) {
          new MultiHeader(OpCodes.ERROR, false, r.getErrValue()).serialize(out, tag);
          new ErrorResponse(r.getErrValue()).serialize(out, tag);
        } else if (types[i] == OpCodes.GET_DATA) {
          new MultiHeader(OpCodes.GET_DATA, false, 0).serialize(out, tag);
          new GetDataResponse(r.getData().getData().toByteArray(), stat(r.getData().getStat())).serialize(out, tag);
        } else {
          new MultiHeader(OpCodes.GET_CHILDREN, false, 0).serialize(out, tag);
          new GetChildrenResponse(new ArrayList<>(r.getChildren().getChildrenList())).serialize(out, tag);
        }
      }
      new MultiHeader(-1, true, -1).serialize(out, tag);
      out.endRecord(this, tag);
    }

    @Override
    public void deserialize(org.apache.jute.InputArchive in, String tag) {
      throw new UnsupportedOperationException("the front only writes multiRead replies");
    }
  }
}
