package io.keel.statemachine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * The bookkeeping of group commit, shared by a front's forwarding and the leader's entries:
 * items wait in order; at most {@code maxInFlight} batches are out at once; a batch takes what is
 * waiting when a slot frees up, at least one item and at most {@code maxOps} ops and
 * {@code maxBytes} bytes (a single larger item goes alone).
 *
 * <p>Not thread-safe: its owner calls it under its own lock, with whatever else that lock guards.
 */
public final class BatchQueue<T> {
  private final int maxOps;
  private final int maxBytes;
  private final int maxInFlight;
  private final ToIntFunction<T> opsOf;
  private final ToIntFunction<T> bytesOf;
  private final ArrayDeque<T> waiting = new ArrayDeque<>();
  private int inFlight;

  public BatchQueue(int maxOps, int maxBytes, int maxInFlight, ToIntFunction<T> opsOf,
                    ToIntFunction<T> bytesOf) {
    this.maxOps = maxOps;
    this.maxBytes = maxBytes;
    this.maxInFlight = maxInFlight;
    this.opsOf = opsOf;
    this.bytesOf = bytesOf;
  }

  /** Queues {@code item}; returns a batch to send now when a slot is free, else null. */
  public List<T> add(T item) {
    waiting.add(item);
    if (inFlight >= maxInFlight) {
      return null;
    }
    inFlight++;
    return take();
  }

  /**
   * A batch came back: returns the next batch to send in its slot, or null when nothing waits
   * (or {@code more} is false), the slot then being free.
   */
  public List<T> done(boolean more) {
    if (more && !waiting.isEmpty()) {
      return take();
    }
    inFlight--;
    return null;
  }

  /** Removes and returns everything waiting; batches in flight are not affected. */
  public List<T> drain() {
    List<T> all = new ArrayList<>(waiting);
    waiting.clear();
    return all;
  }

  private List<T> take() {
    List<T> batch = new ArrayList<>();
    int ops = 0;
    int bytes = 0;
    while (!waiting.isEmpty()) {
      T next = waiting.peek();
      int o = opsOf.applyAsInt(next);
      int b = bytesOf.applyAsInt(next);
      if (!batch.isEmpty() && (ops + o > maxOps || bytes + b > maxBytes)) {
        break;
      }
      batch.add(waiting.poll());
      ops += o;
      bytes += b;
    }
    return batch;
  }
}
