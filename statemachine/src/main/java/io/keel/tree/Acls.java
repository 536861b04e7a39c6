package io.keel.tree;

import io.keel.proto.Acl;
import java.util.List;

/** ACL defaults and validity. ACLs are stored and snapshotted but not enforced yet. Stateless. */
final class Acls {

  /** READ | WRITE | CREATE | DELETE | ADMIN. */
  static final int ALL_PERMS = 31;

  /** What an empty ACL list means: world:anyone may do everything (ZooKeeper's OPEN_ACL_UNSAFE). */
  static final List<Acl> OPEN = List.of(Acl.newBuilder().setPerms(ALL_PERMS).setScheme("world").setId("anyone").build());

  private Acls() {
  }

  /** The list to store for a requested list: the default when empty, else an immutable copy. */
  static List<Acl> orDefault(List<Acl> requested) {
    return requested.isEmpty() ? OPEN : List.copyOf(requested);
  }

  /** Null when the entry is valid, else what is wrong with it. */
  static String problem(Acl acl) {
    if (acl.getScheme().isEmpty()) {
      return "scheme is empty";
    }
    if (acl.getPerms() < 0 || acl.getPerms() > ALL_PERMS) {
      return "perms " + acl.getPerms() + " outside 0.." + ALL_PERMS;
    }
    return null;
  }
}
