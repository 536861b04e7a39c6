package io.keel.recipes.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Order and parts of the names sequential creates make: {@code [_c_<uuid>-]<prefix><counter>}.
 *
 * <p>The counter is the parent's, 10 digits and wider once it passes them, so names are ordered by
 * the number, never as text. The optional {@code _c_<uuid>-} head is a protected name: it lets a
 * client that lost the reply of its create find the node it made. Pure functions; thread-safe.
 */
public final class Sequence {
  /** Starts every protected name. */
  public static final String PROTECTED = "_c_";
  private static final int UUID_LENGTH = 36;

  /** Orders names by their counter, then by name (only names from different parents tie). */
  public static final Comparator<String> ORDER =
      Comparator.comparingLong(Sequence::number).thenComparing(Comparator.naturalOrder());

  private Sequence() {}

  /** The counter at the end of {@code name}; -1 for a name that does not end in digits. */
  public static long number(String name) {
    int i = name.length();
    while (i > 0 && Character.isDigit(name.charAt(i - 1))) {
      i--;
    }
    if (i == name.length() || name.length() - i > 18) {
      return -1;
    }
    return Long.parseLong(name, i, name.length(), 10);
  }

  /** {@code name} without its protected head and its counter: the prefix it was created with. */
  public static String prefix(String name) {
    String rest = unprotected(name);
    int i = rest.length();
    while (i > 0 && Character.isDigit(rest.charAt(i - 1))) {
      i--;
    }
    return rest.substring(0, i);
  }

  /** {@code name} without its protected head, if it has one. */
  public static String unprotected(String name) {
    if (name.startsWith(PROTECTED) && name.length() > PROTECTED.length() + UUID_LENGTH
        && name.charAt(PROTECTED.length() + UUID_LENGTH) == '-') {
      return name.substring(PROTECTED.length() + UUID_LENGTH + 1);
    }
    return name;
  }

  /** The protected head for a client-chosen {@code uuid}: {@code _c_<uuid>-}. */
  public static String protectedHead(String uuid) {
    return PROTECTED + uuid + "-";
  }

  /** The names that end in a counter, in counter order; others are dropped. */
  public static List<String> sorted(List<String> names) {
    List<String> out = new ArrayList<>(names.size());
    for (String n : names) {
      if (number(n) >= 0) {
        out.add(n);
      }
    }
    out.sort(ORDER);
    return out;
  }
}
