package io.keel.tree;

import com.google.protobuf.ByteString;
import io.keel.proto.Acl;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * Every znode by path, and the only place that changes them. Each change records its inverse in
 * the {@link UndoLog} it is given, and keeps the derived parts consistent (the parent's child
 * names, child-change counter and pzxid).
 *
 * <p>The map is a {@link HashMap} for O(1) lookup; nothing that reaches a reply or a snapshot
 * iterates it (children come from each node's sorted set). Not thread-safe: {@link DataTree}'s
 * lock guards it. Methods trust their arguments (the caller has checked existence, versions,
 * ...); a violated precondition is a bug and throws.
 *
 * <p>The paths of CONTAINER and TTL nodes are also kept in a sorted set, so that finding the
 * nodes to reap costs O(containers + TTL nodes), not a walk over the whole tree.
 */
final class NodeTable {

  private final Map<String, ZNode> byPath = new HashMap<>();
  private final TreeSet<String> reapCandidates = new TreeSet<>();

  /** A table holding only a root with zeroed stats and the open ACL. */
  static NodeTable withRoot() {
    NodeTable table = new NodeTable();
    table.putRoot(new ZNode(0, 0, 0, ByteString.EMPTY, Acls.OPEN));
    return table;
  }

  ZNode get(String path) {
    return byPath.get(path);
  }

  int size() {
    return byPath.size();
  }

  /** Read-only, sorted view of the paths of every CONTAINER and TTL node. */
  NavigableSet<String> reapCandidates() {
    return Collections.unmodifiableNavigableSet(reapCandidates);
  }

  /**
   * True when the node may be reaped at {@code now} (the leader's time, or an entry's): a
   * childless container that once had children (ZooKeeper leaves a never-used container alone,
   * or it would vanish before its creator could add the first child), or a childless TTL node
   * not modified for more than its TTL.
   */
  static boolean isReapable(ZNode node, long now) {
    if (node.numChildren() > 0) {
      return false;
    }
    if (NodeTypes.isContainerOwner(node.ephemeralOwner)) {
      return node.childChanges > 0;
    }
    if (NodeTypes.isTtlOwner(node.ephemeralOwner)) {
      // When now > mtime the true difference fits in 64 unsigned bits, even for absurd times.
      return now > node.mtime && Long.compareUnsigned(now - node.mtime, NodeTypes.ttlOf(node.ephemeralOwner)) > 0;
    }
    return false;
  }

  private static boolean isReapCandidate(ZNode node) {
    return NodeTypes.isContainerOwner(node.ephemeralOwner) || NodeTypes.isTtlOwner(node.ephemeralOwner);
  }

  private void index(String path, ZNode node) {
    if (isReapCandidate(node)) {
      reapCandidates.add(path);
    }
  }

  /** Adds a created node under its parent: the parent's cversion+1, pzxid=zxid, numChildren+1. */
  void create(ZNode parent, String path, ZNode node, long zxid, UndoLog undo) {
    String name = Paths.name(path);
    long oldChildChanges = parent.childChanges;
    long oldPzxid = parent.pzxid;
    if (byPath.putIfAbsent(path, node) != null) {
      throw new IllegalStateException("node " + Paths.quote(path) + " already exists");
    }
    parent.addChild(name);
    parent.childChanges = oldChildChanges + 1;
    parent.pzxid = zxid;
    index(path, node);
    undo.record(() -> {
      reapCandidates.remove(path);
      byPath.remove(path);
      parent.removeChild(name);
      parent.childChanges = oldChildChanges;
      parent.pzxid = oldPzxid;
    });
  }

  /** Removes a childless node: the parent's cversion+1, pzxid=zxid, numChildren-1. */
  void delete(String path, long zxid, UndoLog undo) {
    ZNode node = byPath.get(path);
    ZNode parent = byPath.get(Paths.parent(path));
    if (node == null || parent == null || node.numChildren() != 0) {
      throw new IllegalStateException("cannot delete " + Paths.quote(path));
    }
    String name = Paths.name(path);
    long oldChildChanges = parent.childChanges;
    long oldPzxid = parent.pzxid;
    byPath.remove(path);
    reapCandidates.remove(path);
    parent.removeChild(name);
    parent.childChanges = oldChildChanges + 1;
    parent.pzxid = zxid;
    undo.record(() -> {
      byPath.put(path, node);
      index(path, node);
      parent.addChild(name);
      parent.childChanges = oldChildChanges;
      parent.pzxid = oldPzxid;
    });
  }

  /** Replaces the data: version+1, mzxid=zxid, mtime=time. */
  void setData(ZNode node, ByteString data, long zxid, long time, UndoLog undo) {
    ByteString oldData = node.data;
    int oldVersion = node.version;
    long oldMzxid = node.mzxid;
    long oldMtime = node.mtime;
    node.data = data;
    node.version = oldVersion + 1; // wraps like ZooKeeper's int version
    node.mzxid = zxid;
    node.mtime = time;
    undo.record(() -> {
      node.data = oldData;
      node.version = oldVersion;
      node.mzxid = oldMzxid;
      node.mtime = oldMtime;
    });
  }

  /** Replaces the ACL: aversion+1. */
  void setAcl(ZNode node, List<Acl> acl, UndoLog undo) {
    List<Acl> oldAcl = node.acl;
    int oldAversion = node.aversion;
    node.acl = acl;
    node.aversion = oldAversion + 1;
    undo.record(() -> {
      node.acl = oldAcl;
      node.aversion = oldAversion;
    });
  }

  // ------------------------------------------------------------ snapshot loading (no undo, no stat changes)

  void putRoot(ZNode root) {
    byPath.put(Paths.ROOT, root);
  }

  /** Links a node read from a snapshot under its (already present) parent, stats untouched. */
  void attach(ZNode parent, String path, ZNode node) {
    byPath.put(path, node);
    parent.addChild(Paths.name(path));
    index(path, node);
  }
}
