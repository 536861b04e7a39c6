package io.keel.tree;

/**
 * How a zxid is made from the Raft log: {@code index << 16 | position}. A log entry carries a batch
 * of up to {@link #MAX_BATCH} writes, and each gets its own zxid, in the log's order (DESIGN §2).
 * An entry with no Keel write (a Raft configuration or no-op entry) stands at position 0.
 *
 * <p>Snapshots written before batching used the log index itself as the zxid; since
 * {@code index <= index << 16}, zxids still only grow across the upgrade. Stateless.
 */
public final class Zxids {

  /** Positions per entry. */
  public static final int MAX_BATCH = 1 << 16;

  private Zxids() {
  }

  /** The zxid of the op at {@code position} of the entry at log {@code index}. */
  public static long of(long index, int position) {
    if (index < 0 || index >= 1L << 47) {
      throw new IllegalArgumentException("log index " + index + " is outside [0, 2^47)");
    }
    if (position < 0 || position >= MAX_BATCH) {
      throw new IllegalArgumentException("position " + position + " is outside [0, " + MAX_BATCH + ")");
    }
    return index << 16 | position;
  }

  /** The log index of the entry that made {@code zxid}. */
  public static long index(long zxid) {
    return zxid >>> 16;
  }

  /** The smallest zxid of the entry at log {@code index}. */
  public static long first(long index) {
    return of(index, 0);
  }
}
