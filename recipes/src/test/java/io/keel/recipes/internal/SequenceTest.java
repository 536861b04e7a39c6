package io.keel.recipes.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The ordering every queue-based recipe decides on: pure, so tested without a cluster. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SequenceTest {
  static final String UUID = "0f3c1a2b-1111-2222-3333-444455556666";

  @Test
  void namesSortByTheirCounterEvenPastTenDigits() {
    List<String> names = List.of("lock-10000000000", "_c_" + UUID + "-lock-0000000002",
        "lock-0000000010", "not-a-sequential", "lock-0000000001");
    assertEquals(List.of("lock-0000000001", "_c_" + UUID + "-lock-0000000002", "lock-0000000010",
        "lock-10000000000"), Sequence.sorted(names));
  }

  @Test
  void protectedHeadsAndCountersAreStrippedToThePrefix() {
    assertEquals("read-", Sequence.prefix("_c_" + UUID + "-read-0000000007"));
    assertEquals("write-", Sequence.prefix("write-0000000008"));
    assertEquals(7, Sequence.number("_c_" + UUID + "-read-0000000007"));
    assertEquals(-1, Sequence.number("leader"));
    assertEquals("_c_short-lock-1", Sequence.unprotected("_c_short-lock-1"));
  }

  @Test
  void firstHoldsAndEveryOtherWatchesItsPredecessor() {
    List<String> sorted = List.of("a-1", "b-2", "c-3");
    assertEquals(null, SequentialQueue.FIRST.waitFor(sorted, 0));
    assertEquals("a-1", SequentialQueue.FIRST.waitFor(sorted, 1));
    assertEquals("b-2", SequentialQueue.FIRST.waitFor(sorted, 2));
  }
}
