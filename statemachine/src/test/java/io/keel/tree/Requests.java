package io.keel.tree;

import com.google.protobuf.ByteString;
import io.keel.proto.Acl;
import io.keel.proto.CheckOp;
import io.keel.proto.CloseSessionOp;
import io.keel.proto.CreateMode;
import io.keel.proto.CreateOp;
import io.keel.proto.CreateSessionOp;
import io.keel.proto.DeleteOp;
import io.keel.proto.MultiOp;
import io.keel.proto.Op;
import io.keel.proto.PathOp;
import io.keel.proto.PingOp;
import io.keel.proto.ReadRequest;
import io.keel.proto.ReapOp;
import io.keel.proto.SetAclOp;
import io.keel.proto.SetDataOp;
import io.keel.proto.Stat;
import io.keel.proto.WriteRequest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Terse builders for requests and expected stats in tests. */
final class Requests {

  private Requests() {
  }

  static ByteString bytes(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  static Acl acl(int perms, String scheme, String id) {
    return Acl.newBuilder().setPerms(perms).setScheme(scheme).setId(id).build();
  }

  // ------------------------------------------------------------ writes

  static CreateOp createOp(String path, String data, CreateMode mode) {
    return CreateOp.newBuilder().setPath(path).setData(bytes(data)).setMode(mode).build();
  }

  static WriteRequest create(String path, String data, CreateMode mode) {
    return WriteRequest.newBuilder().setCreate(createOp(path, data, mode)).build();
  }

  static WriteRequest create(String path) {
    return create(path, "", CreateMode.PERSISTENT);
  }

  static WriteRequest create(String path, CreateMode mode) {
    return create(path, "", mode);
  }

  static WriteRequest createTtl(String path, CreateMode mode, long ttl) {
    return WriteRequest.newBuilder()
        .setCreate(CreateOp.newBuilder().setPath(path).setMode(mode).setTtl(ttl)).build();
  }

  static WriteRequest createWithAcl(String path, Acl... acl) {
    return WriteRequest.newBuilder()
        .setCreate(CreateOp.newBuilder().setPath(path).addAllAcl(Arrays.asList(acl))).build();
  }

  static WriteRequest asSession(long sessionId, WriteRequest request) {
    return request.toBuilder().setSessionId(sessionId).build();
  }

  /** The request as request {@code requestId} of the session, which holds the replies below {@code answeredBelow}. */
  static WriteRequest withId(long sessionId, long requestId, long answeredBelow, WriteRequest request) {
    return request.toBuilder().setSessionId(sessionId).setRequestId(requestId).setAnsweredBelow(answeredBelow).build();
  }

  static WriteRequest reap(String path, long czxid) {
    return WriteRequest.newBuilder().setReap(ReapOp.newBuilder().setPath(path).setCzxid(czxid)).build();
  }

  static WriteRequest delete(String path, int version) {
    return WriteRequest.newBuilder().setDelete(DeleteOp.newBuilder().setPath(path).setVersion(version)).build();
  }

  static WriteRequest setData(String path, String data, int version) {
    return WriteRequest.newBuilder()
        .setSetData(SetDataOp.newBuilder().setPath(path).setData(bytes(data)).setVersion(version)).build();
  }

  static WriteRequest setAcl(String path, int version, Acl... acl) {
    return WriteRequest.newBuilder()
        .setSetAcl(SetAclOp.newBuilder().setPath(path).setVersion(version).addAllAcl(Arrays.asList(acl))).build();
  }

  static WriteRequest check(String path, int version) {
    return WriteRequest.newBuilder().setCheck(CheckOp.newBuilder().setPath(path).setVersion(version)).build();
  }

  static WriteRequest multi(Op... ops) {
    return WriteRequest.newBuilder().setMulti(MultiOp.newBuilder().addAllOps(Arrays.asList(ops))).build();
  }

  static WriteRequest createSession(int timeoutMs) {
    return WriteRequest.newBuilder().setCreateSession(CreateSessionOp.newBuilder().setTimeoutMs(timeoutMs)).build();
  }

  static WriteRequest closeSession(long sessionId) {
    return WriteRequest.newBuilder().setCloseSession(CloseSessionOp.newBuilder().setSessionId(sessionId)).build();
  }

  static Op opCreate(String path, String data, CreateMode mode) {
    return Op.newBuilder().setCreate(createOp(path, data, mode)).build();
  }

  static Op opCreate(String path) {
    return opCreate(path, "", CreateMode.PERSISTENT);
  }

  static Op opCreateTtl(String path, CreateMode mode, long ttl) {
    return Op.newBuilder().setCreate(CreateOp.newBuilder().setPath(path).setMode(mode).setTtl(ttl)).build();
  }

  static Op opDelete(String path, int version) {
    return Op.newBuilder().setDelete(DeleteOp.newBuilder().setPath(path).setVersion(version)).build();
  }

  static Op opSetData(String path, String data, int version) {
    return Op.newBuilder().setSetData(SetDataOp.newBuilder().setPath(path).setData(bytes(data)).setVersion(version)).build();
  }

  static Op opCheck(String path, int version) {
    return Op.newBuilder().setCheck(CheckOp.newBuilder().setPath(path).setVersion(version)).build();
  }

  // ------------------------------------------------------------ reads

  private static PathOp p(String path) {
    return PathOp.newBuilder().setPath(path).build();
  }

  static ReadRequest getData(String path) {
    return ReadRequest.newBuilder().setGetData(p(path)).build();
  }

  static ReadRequest exists(String path) {
    return ReadRequest.newBuilder().setExists(p(path)).build();
  }

  static ReadRequest getChildren(String path) {
    return ReadRequest.newBuilder().setGetChildren(p(path)).build();
  }

  static ReadRequest getAllChildrenNumber(String path) {
    return ReadRequest.newBuilder().setGetAllChildrenNumber(p(path)).build();
  }

  static ReadRequest getAcl(String path) {
    return ReadRequest.newBuilder().setGetAcl(p(path)).build();
  }

  static ReadRequest ping(long sessionId) {
    return ReadRequest.newBuilder().setSessionId(sessionId).setPing(PingOp.getDefaultInstance()).build();
  }

  static ReadRequest getEphemerals(long sessionId, String prefix) {
    return ReadRequest.newBuilder().setSessionId(sessionId).setGetEphemerals(p(prefix)).build();
  }

  // ------------------------------------------------------------ stats

  /** An expected Stat, fields in the proto's order. */
  static Stat stat(long czxid, long mzxid, long ctime, long mtime, int version, int cversion, int aversion,
           long ephemeralOwner, int dataLength, int numChildren, long pzxid) {
    return Stat.newBuilder().setCzxid(czxid).setMzxid(mzxid).setCtime(ctime).setMtime(mtime)
        .setVersion(version).setCversion(cversion).setAversion(aversion).setEphemeralOwner(ephemeralOwner)
        .setDataLength(dataLength).setNumChildren(numChildren).setPzxid(pzxid).build();
  }
}
