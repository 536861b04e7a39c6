package io.keel.statemachine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class BatchQueueTest {

  /** Items are their byte sizes; each counts as two ops. */
  private static BatchQueue<Integer> queue(int maxOps, int maxBytes, int inFlight) {
    return new BatchQueue<>(maxOps, maxBytes, inFlight, i -> 2, i -> i);
  }

  @Test
  void whileTheSlotsAreTakenItemsWaitAndFillTheNextBatch() {
    BatchQueue<Integer> q = queue(100, 1000, 1);
    assertEquals(List.of(10), q.add(10), "a free slot sends at once");
    assertNull(q.add(20));
    assertNull(q.add(30));
    assertEquals(List.of(20, 30), q.done(true), "what waited goes together");
    assertNull(q.done(true), "nothing waits: the slot is free again");
    assertEquals(List.of(40), q.add(40));
  }

  @Test
  void aBatchStopsAtTheOpAndByteLimitsButNeverGoesEmpty() {
    BatchQueue<Integer> q = queue(4, 50, 1);
    q.add(1);
    for (int i : new int[] {2, 3, 4, 40, 60}) {
      assertNull(q.add(i));
    }
    assertEquals(List.of(2, 3), q.done(true), "two items are the 4 ops");
    assertEquals(List.of(4, 40), q.done(true), "44 bytes fit, 104 would not");
    assertEquals(List.of(60), q.done(true), "alone over the byte limit still goes");
    assertNull(q.done(true));
  }

  @Test
  void severalSlotsAndDraining() {
    BatchQueue<Integer> q = queue(100, 1000, 2);
    assertEquals(List.of(1), q.add(1));
    assertEquals(List.of(2), q.add(2));
    assertNull(q.add(3));
    assertEquals(List.of(3), q.drain());
    assertNull(q.done(true), "drained: nothing to send, a slot frees");
    assertEquals(List.of(4), q.add(4), "into the freed slot");
    assertNull(q.add(5), "both slots out");
    assertNull(q.done(false), "not more: the slot frees although 5 waits");
    assertEquals(List.of(5, 6), q.add(6), "the next add sends both");
  }
}
