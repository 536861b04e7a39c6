package io.keel.recipes.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Who a reader waits for: a pure function of the sorted queue. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReadRuleTest {
  static final List<String> QUEUE = List.of("read-0000000001", "write-0000000002",
      "read-0000000003", "write-0000000004", "read-0000000005");

  @Test
  void aReaderWaitsForTheNearestWriterAheadOnly() {
    assertNull(ReadWriteLock.READ_RULE.waitFor(QUEUE, 0));
    assertEquals("write-0000000002", ReadWriteLock.READ_RULE.waitFor(QUEUE, 2));
    assertEquals("write-0000000004", ReadWriteLock.READ_RULE.waitFor(QUEUE, 4));
  }
}
