package io.keel.recipes.barrier;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link DoubleBarrier} round that has opened, as written in the barrier node's data: a round id
 * (so members still leaving an old round can tell it from the next one) and the members counted
 * in it, followed by any who joined while it was under way. Empty data means no round is open.
 * Pure; immutable.
 */
record Round(String id, List<String> members) {
  private static final String HEAD = "round ";

  Round {
    members = List.copyOf(members);
  }

  /** The round in {@code data}, or null when none is open. */
  static Round decode(byte[] data) {
    if (data == null || data.length == 0) {
      return null;
    }
    String[] lines = new String(data, StandardCharsets.UTF_8).split("\n");
    if (!lines[0].startsWith(HEAD)) {
      return null;
    }
    return new Round(lines[0].substring(HEAD.length()),
        Arrays.asList(lines).subList(1, lines.length));
  }

  byte[] encode() {
    return (HEAD + id + "\n" + String.join("\n", members)).getBytes(StandardCharsets.UTF_8);
  }

  /** This round with {@code member} added. */
  Round with(String member) {
    List<String> more = new ArrayList<>(members);
    more.add(member);
    return new Round(id, more);
  }

  /** The members of this round among {@code present}, sorted by name. */
  List<String> stillIn(List<String> present) {
    return present.stream().filter(members::contains).sorted().toList();
  }
}
