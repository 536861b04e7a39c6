package io.keel.recipes.election;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Leadership intervals of every participant of one election, on one {@code System.nanoTime}
 * clock (all participants live in this JVM): the history the "one leader at a time" checks read.
 */
final class History {
  record Interval(String who, long begin, long end, long token) {}

  private final List<Interval> intervals = new ArrayList<>();

  synchronized void add(String who, long begin, long end, long token) {
    intervals.add(new Interval(who, begin, end, token));
  }

  synchronized List<Interval> intervals() {
    return List.copyOf(intervals);
  }

  /** No two intervals overlap, and tokens grow from each interval to the next. */
  synchronized void assertOneLeaderAtATime() {
    List<Interval> sorted = new ArrayList<>(intervals);
    sorted.sort(Comparator.comparingLong(Interval::begin));
    for (int i = 1; i < sorted.size(); i++) {
      Interval before = sorted.get(i - 1);
      Interval after = sorted.get(i);
      if (after.begin() < before.end()) {
        fail("two leaders at once: " + before + " and " + after + " (overlap "
            + (before.end() - after.begin()) / 1000 + " us) in " + sorted);
      }
      assertTrue(after.token() > before.token(),
          "token did not grow from " + before + " to " + after);
    }
  }
}
