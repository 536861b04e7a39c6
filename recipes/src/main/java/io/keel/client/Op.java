package io.keel.client;

/**
 * One operation of a {@link KeelClient#multi multi}: all of a multi's ops commit together at one
 * zxid, or none does.
 */
public sealed interface Op {
  String path();

  io.keel.proto.Op toProto();

  static Op create(String path, byte[] data, CreateMode mode) {
    return new Create(path, data, mode, CreateOptions.DEFAULT);
  }

  static Op create(String path, byte[] data, CreateMode mode, CreateOptions options) {
    return new Create(path, data, mode, options);
  }

  static Op delete(String path, int version) {
    return new Delete(path, version);
  }

  static Op setData(String path, byte[] data, int version) {
    return new SetData(path, data, version);
  }

  /** Fails the multi unless the node exists with {@code version} (-1: exists at all). */
  static Op check(String path, int version) {
    return new Check(path, version);
  }

  /** See {@link Op#create(String, byte[], CreateMode, CreateOptions)}. */
  record Create(String path, byte[] data, CreateMode mode, CreateOptions options) implements Op {
    @Override
    public io.keel.proto.Op toProto() {
      return io.keel.proto.Op.newBuilder().setCreate(KeelClient.createOp(path, data, mode, options)).build();
    }
  }

  /** See {@link Op#delete}. */
  record Delete(String path, int version) implements Op {
    @Override
    public io.keel.proto.Op toProto() {
      return io.keel.proto.Op.newBuilder().setDelete(
          io.keel.proto.DeleteOp.newBuilder().setPath(KeelClient.orEmpty(path)).setVersion(version)).build();
    }
  }

  /** See {@link Op#setData}. */
  record SetData(String path, byte[] data, int version) implements Op {
    @Override
    public io.keel.proto.Op toProto() {
      return io.keel.proto.Op.newBuilder().setSetData(io.keel.proto.SetDataOp.newBuilder()
          .setPath(KeelClient.orEmpty(path)).setData(KeelClient.bytes(data)).setVersion(version)).build();
    }
  }

  /** See {@link Op#check}. */
  record Check(String path, int version) implements Op {
    @Override
    public io.keel.proto.Op toProto() {
      return io.keel.proto.Op.newBuilder().setCheck(
          io.keel.proto.CheckOp.newBuilder().setPath(KeelClient.orEmpty(path)).setVersion(version)).build();
    }
  }
}
