package io.keel.tree;

import com.google.protobuf.ByteString;
import io.keel.proto.Acl;
import io.keel.proto.Stat;
import java.util.Collections;
import java.util.List;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * One znode: data, ACL, ZooKeeper's stat fields and its children's names.
 *
 * <p>Mutable, and deliberately dumb: every change goes through {@link NodeTable}, which records how
 * to undo it (multi rollback). Not thread-safe: {@link DataTree}'s lock guards every access.
 *
 * <p>{@code childChanges} is the 64-bit count of child creations and deletions. ZooKeeper's
 * {@code cversion} is that count truncated to 32 bits, and the next sequential child's suffix is
 * the full count, so sequence numbers never wrap.
 */
final class ZNode {

  final long czxid;
  final long ctime;
  final long ephemeralOwner;

  ByteString data;
  List<Acl> acl;
  long mzxid;
  long mtime;
  long pzxid;
  int version;
  int aversion;
  long childChanges;

  /** Sorted child names; null while the node has no children, to keep leaves small. */
  private TreeSet<String> children;

  ZNode(long czxid, long ctime, long ephemeralOwner, ByteString data, List<Acl> acl) {
    this.czxid = czxid;
    this.ctime = ctime;
    this.ephemeralOwner = ephemeralOwner;
    this.data = data;
    this.acl = acl;
    this.mzxid = czxid;
    this.mtime = ctime;
    this.pzxid = czxid;
  }

  boolean isEphemeral() {
    return NodeTypes.isSessionOwner(ephemeralOwner);
  }

  int numChildren() {
    return children == null ? 0 : children.size();
  }

  /** Read-only, sorted view of the child names. */
  NavigableSet<String> children() {
    return children == null ? Collections.emptyNavigableSet() : Collections.unmodifiableNavigableSet(children);
  }

  void addChild(String name) {
    if (children == null) {
      children = new TreeSet<>();
    }
    children.add(name);
  }

  void removeChild(String name) {
    if (children != null) {
      children.remove(name);
      if (children.isEmpty()) {
        children = null;
      }
    }
  }

  Stat stat() {
    return Stat.newBuilder()
        .setCzxid(czxid)
        .setMzxid(mzxid)
        .setPzxid(pzxid)
        .setCtime(ctime)
        .setMtime(mtime)
        .setVersion(version)
        .setCversion((int) childChanges)
        .setAversion(aversion)
        .setEphemeralOwner(ephemeralOwner)
        .setDataLength(data.size())
        .setNumChildren(numChildren())
        .build();
  }
}
