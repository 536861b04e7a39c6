package io.keel.tree;

/**
 * ZooKeeper's znode path rules, and the two splits every tree operation needs.
 *
 * <p>A valid path is absolute ({@code "/"} or {@code "/a/b"}), at most {@link #MAX_LENGTH}
 * characters, has no empty segment, no trailing {@code '/'} (except the root itself, and except
 * the path given to a sequential create, where the suffix fills the last segment: {@code "/q/"}
 * becomes {@code "/q/0000000007"}), no {@code "."} or {@code ".."} segment, no control character
 * (U+0000..U+001F, U+007F..U+009F) and no character in U+D800..U+F8FF or U+FFF0..U+FFFF (which
 * excludes surrogates, hence every character outside the Basic Multilingual Plane, as ZooKeeper
 * does).
 *
 * <p>Thread-safety: stateless; every method may be called from any thread. Failure behaviour:
 * {@link #problem} never throws; {@link #parent} and {@link #name} throw
 * {@link IllegalArgumentException} for a string that does not start with {@code '/'}.
 */
public final class Paths {

  /** The root's path. */
  public static final String ROOT = "/";

  /**
   * Longest path a node may have, in UTF-16 characters. ZooKeeper has no explicit limit (only
   * its 1 MB packet size); 4096 is far above any sane name and keeps messages, snapshots and
   * per-request work bounded.
   */
  public static final int MAX_LENGTH = 4096;

  /**
   * Characters reserved after the path given to a sequential create: a 64-bit counter has at
   * most 19 digits, so a sequential node's final path never exceeds {@link #MAX_LENGTH}.
   */
  public static final int SEQUENTIAL_SUFFIX_RESERVE = 19;

  /** Longest path a message quotes before eliding the rest. */
  private static final int QUOTE_LIMIT = 120;

  private Paths() {
  }

  /**
   * Returns null when {@code path} is valid, else a description of the first problem found from
   * the left, e.g. {@code "empty segment at index 2"} for {@code "/a//b"}. Segment problems name
   * the index of the {@code '/'} that opens the segment; character problems name the character's
   * index.
   *
   * @param sequential true for the path of a sequential create, which may end with {@code '/'}
   *                   and must leave {@link #SEQUENTIAL_SUFFIX_RESERVE} characters for the suffix
   */
  public static String problem(String path, boolean sequential) {
    if (path == null) {
      return "path is null";
    }
    if (path.isEmpty()) {
      return "path is empty";
    }
    int limit = sequential ? MAX_LENGTH - SEQUENTIAL_SUFFIX_RESERVE : MAX_LENGTH;
    if (path.length() > limit) {
      return "length " + path.length() + " exceeds the maximum of " + limit + " characters"
          + (sequential ? " for a sequential create" : "");
    }
    if (path.charAt(0) != '/') {
      return "must start with '/'";
    }
    int n = path.length();
    if (n == 1) {
      return null;
    }
    int segmentStart = 1; // index of the segment's first character, just after its '/'
    for (int i = 1; i <= n; i++) {
      if (i < n && path.charAt(i) != '/') {
        String bad = characterProblem(path.charAt(i), i);
        if (bad != null) {
          return bad;
        }
        continue;
      }
      int length = i - segmentStart;
      if (length == 0) {
        if (i == n) {
          // A trailing '/': only the sequential suffix may fill the last segment.
          return sequential ? null : "must not end with '/'";
        }
        return "empty segment at index " + (segmentStart - 1);
      }
      if (isRelative(path, segmentStart, length) && !(sequential && i == n)) {
        // "/a/." is relative, but as a sequential create it becomes "/a/.0000000001".
        return "relative segment '" + path.substring(segmentStart, i) + "' at index " + (segmentStart - 1);
      }
      segmentStart = i + 1;
    }
    return null;
  }

  /**
   * The parent of a valid path: {@code "/a/b"} gives {@code "/a"}, {@code "/a"} gives
   * {@code "/"}, and the root gives null.
   */
  public static String parent(String path) {
    int slash = lastSlash(path);
    if (path.length() == 1) {
      return null;
    }
    return slash == 0 ? ROOT : path.substring(0, slash);
  }

  /** The last segment of a valid path: {@code "/a/b"} gives {@code "b"}; the root gives {@code ""}. */
  public static String name(String path) {
    return path.substring(lastSlash(path) + 1);
  }

  /** The parent of the node a (possibly sequential, possibly trailing-'/') create would make. */
  static String parentForCreate(String requested) {
    int slash = lastSlash(requested);
    return slash == 0 ? ROOT : requested.substring(0, slash);
  }

  /** Joins a parent path and a child name. */
  static String child(String parent, String name) {
    return parent.length() == 1 ? "/" + name : parent + "/" + name;
  }

  /**
   * The path in single quotes for a message, with control and unusual characters escaped as
   * {@code \\uXXXX} and very long paths elided, so a hostile path cannot garble a log line.
   */
  public static String quote(String path) {
    if (path == null) {
      return "null";
    }
    StringBuilder sb = new StringBuilder(Math.min(path.length(), QUOTE_LIMIT) + 24).append('\'');
    int shown = Math.min(path.length(), QUOTE_LIMIT);
    for (int i = 0; i < shown; i++) {
      char c = path.charAt(i);
      if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\') {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    if (shown < path.length()) {
      sb.append("...");
    }
    sb.append('\'');
    if (shown < path.length()) {
      sb.append(" (").append(path.length()).append(" chars)");
    }
    return sb.toString();
  }

  private static int lastSlash(String path) {
    if (path == null || path.isEmpty() || path.charAt(0) != '/') {
      throw new IllegalArgumentException("not an absolute path: " + quote(path));
    }
    return path.lastIndexOf('/');
  }

  private static boolean isRelative(String path, int start, int length) {
    return (length == 1 && path.charAt(start) == '.')
        || (length == 2 && path.charAt(start) == '.' && path.charAt(start + 1) == '.');
  }

  private static String characterProblem(char c, int index) {
    if (c <= '\u001f' || (c >= '\u007f' && c <= '\u009f')) {
      return String.format("control character U+%04X at index %d", (int) c, index);
    }
    if ((c >= '\ud800' && c <= '\uf8ff') || c >= '\ufff0') {
      return String.format("character U+%04X at index %d is not allowed", (int) c, index);
    }
    return null;
  }
}
