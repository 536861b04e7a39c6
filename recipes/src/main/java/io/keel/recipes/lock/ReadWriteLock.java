package io.keel.recipes.lock;

import io.keel.client.KeelClient;
import io.keel.recipes.internal.Sequence;
import io.keel.recipes.internal.SequentialQueue;
import java.util.List;

/**
 * A read-write lock shared by every client that names the same path (Curator's
 * {@code InterProcessReadWriteLock}): any number of readers, or one writer.
 *
 * <p>Readers and writers queue in one line in arrival order. A writer holds once it is first; a
 * reader holds once no writer is ahead of it, and watches only the nearest writer ahead. A waiting
 * writer therefore blocks the readers that come after it: writers do not starve. A thread holding
 * the write lock may also take the read lock: it gets a share of its write node, which stays
 * until both leases are closed, so it may keep reading after closing the write lease (a
 * downgrade) while other clients' readers and writers still wait for it. The reverse (upgrade)
 * would wait for itself: take the write lock first.
 *
 * <p>Both sides are {@link DistributedLock}s: reentrant per thread, with fencing tokens, guards,
 * interrupts and timeouts as described there. Thread-safe.
 */
public final class ReadWriteLock {
  static final String READ = "read-";
  static final String WRITE = "write-";

  private final DistributedLock writeLock;
  private final DistributedLock readLock;

  /** A read-write lock on {@code path}; nothing is created until the first acquire. */
  public ReadWriteLock(KeelClient client, String path) {
    SequentialQueue queue = new SequentialQueue(client, path);
    this.writeLock = new DistributedLock(queue, WRITE, () -> SequentialQueue.FIRST, () -> null);
    // A write holder that queued a read node would wait for any writer queued behind it, which
    // waits for it: it reads under its write node instead.
    this.readLock = new DistributedLock(queue, READ, () -> READ_RULE, writeLock::shareHeld);
  }

  /** The exclusive side. */
  public DistributedLock writeLock() {
    return writeLock;
  }

  /** The shared side. */
  public DistributedLock readLock() {
    return readLock;
  }

  /** A reader waits for the nearest writer ahead of it. */
  static final SequentialQueue.Rule READ_RULE = (List<String> sorted, int index) -> {
    for (int i = index - 1; i >= 0; i--) {
      String name = sorted.get(i);
      if (Sequence.prefix(name).equals(WRITE)) {
        return name;
      }
    }
    return null;
  };
}
