package io.keel.client;

import java.util.List;

/**
 * One ZooKeeper ACL entry: permissions for {@code scheme:id}. Stored with every node; enforcement
 * arrives with authentication.
 */
public record Acl(int perms, String scheme, String id) {
  public static final int READ = 1;
  public static final int WRITE = 2;
  public static final int CREATE = 4;
  public static final int DELETE = 8;
  public static final int ADMIN = 16;
  public static final int ALL = READ | WRITE | CREATE | DELETE | ADMIN;

  /** world:anyone may do anything: the default of every node. */
  public static final List<Acl> OPEN_ACL_UNSAFE = List.of(new Acl(ALL, "world", "anyone"));

  /** world:anyone may read. */
  public static final List<Acl> READ_ACL_UNSAFE = List.of(new Acl(READ, "world", "anyone"));

  io.keel.proto.Acl toProto() {
    return io.keel.proto.Acl.newBuilder().setPerms(perms).setScheme(scheme).setId(id).build();
  }

  static Acl of(io.keel.proto.Acl a) {
    return new Acl(a.getPerms(), a.getScheme(), a.getId());
  }
}
