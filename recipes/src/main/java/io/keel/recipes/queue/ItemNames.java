package io.keel.recipes.queue;

import io.keel.recipes.internal.Sequence;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Names of queue items: {@code item-<priority>-<counter>}, the priority as 8 hex digits with the
 * sign bit flipped, so that the names order by priority (lowest value first) as text, then by the
 * parent's counter (arrival). Consumers sort the names alone, reading no data. Pure; thread-safe.
 */
final class ItemNames {
  static final String HEAD = "item-";

  /** Lower priority value first; within a priority, the order of the creates. */
  static final Comparator<String> ORDER =
      Comparator.comparing(Sequence::prefix).thenComparingLong(Sequence::number);

  private ItemNames() {}

  /** What a sequential create of an item of {@code priority} is named before its counter. */
  static String prefix(int priority) {
    return HEAD + String.format("%08x", priority ^ Integer.MIN_VALUE) + "-";
  }

  /** The priority encoded in an item's name. */
  static int priority(String name) {
    String p = Sequence.prefix(name);
    return Integer.parseUnsignedInt(p.substring(HEAD.length(), HEAD.length() + 8), 16)
        ^ Integer.MIN_VALUE;
  }

  /** The item names among {@code names}, in the order consumers take them. */
  static List<String> sorted(Collection<String> names) {
    List<String> out = new ArrayList<>(names.size());
    for (String n : names) {
      if (isItem(n)) {
        out.add(n);
      }
    }
    out.sort(ORDER);
    return out;
  }

  static boolean isItem(String name) {
    String p = Sequence.prefix(name);
    if (!name.startsWith(HEAD) || p.length() != HEAD.length() + 9 || !p.endsWith("-")
        || Sequence.number(name) < 0) {
      return false;
    }
    return p.substring(HEAD.length(), HEAD.length() + 8).chars()
        .allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f');
  }
}
