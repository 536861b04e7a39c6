package io.keel.recipes.internal;

import io.keel.client.NodeData;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/** Pure functions over {@link TreeCache}'s snapshots: path to node, sorted by path. */
final class TreeSnapshots {
  private TreeSnapshots() {}

  /** {@code before} with what a batch found: a node read as gone takes its descendants along. */
  static SortedMap<String, NodeData> apply(SortedMap<String, NodeData> before,
                                                   Map<String, Optional<NodeData>> found) {
    TreeMap<String, NodeData> next = new TreeMap<>(before);
    // In path order, so a parent read as gone takes its cached descendants along first.
    for (Map.Entry<String, Optional<NodeData>> e : new TreeMap<>(found).entrySet()) {
      String path = e.getKey();
      if (e.getValue().isPresent()) {
        next.put(path, e.getValue().get());
      } else {
        next.remove(path);
        next.subMap(path + "/", path + "0").clear();  // '0' follows '/': every descendant
      }
    }
    return Collections.unmodifiableSortedMap(next);
  }

  /** True when both hold the same nodes with the same values (czxid and mzxid). */
  static boolean sameValues(SortedMap<String, NodeData> a, SortedMap<String, NodeData> b) {
    if (!a.keySet().equals(b.keySet())) {
      return false;
    }
    for (Map.Entry<String, NodeData> e : a.entrySet()) {
      NodeData other = b.get(e.getKey());
      if (other.stat().czxid() != e.getValue().stat().czxid()
          || other.stat().mzxid() != e.getValue().stat().mzxid()) {
        return false;
      }
    }
    return true;
  }

  /** The paths in {@code tree} one level below {@code path}. */
  static List<String> childrenOf(SortedMap<String, NodeData> tree, String path) {
    String prefix = path.equals("/") ? "/" : path + "/";
    List<String> out = new ArrayList<>();
    for (String p : tree.subMap(prefix, prefix.substring(0, prefix.length() - 1) + "0").keySet()) {
      if (p.length() > prefix.length() && p.indexOf('/', prefix.length()) < 0) {
        out.add(p);
      }
    }
    return out;
  }

  /** Levels of {@code path} below {@code root}: 0 for the root itself. */
  static int depth(String root, String path) {
    if (path.equals(root)) {
      return 0;
    }
    int from = root.equals("/") ? 1 : root.length() + 1;
    int d = 1;
    for (int i = from; i < path.length(); i++) {
      if (path.charAt(i) == '/') {
        d++;
      }
    }
    return d;
  }
}
