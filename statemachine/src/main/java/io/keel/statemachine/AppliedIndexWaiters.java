package io.keel.statemachine;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Futures that complete once the state machine has applied a given index.
 *
 * <p>Replaces {@code BaseStateMachine.queryStale}'s waiting, which can hang while applies progress
 * (see RATIS_NOTES). Thread-safe: {@link #await} from reader threads, {@link #applied} from the
 * apply thread. Waiters on one index share one future; callers get a dependent copy so that
 * nothing they do to it reaches the others.
 */
final class AppliedIndexWaiters {
  private final ConcurrentNavigableMap<Long, CompletableFuture<Void>> waiters =
      new ConcurrentSkipListMap<>();
  private volatile long applied = -1;
  private volatile boolean closed;

  /** Completes when {@code index} has been applied: at once if it already has. */
  CompletableFuture<Void> await(long index) {
    if (index <= applied) {
      return CompletableFuture.completedFuture(null);
    }
    if (closed) {
      return CompletableFuture.failedFuture(new IOException("the state machine is closed"));
    }
    CompletableFuture<Void> shared = waiters.computeIfAbsent(index, k -> new CompletableFuture<>());
    // The apply thread may have passed index, or closed, between the checks and the insert.
    if (index <= applied) {
      releaseUpTo(applied);
    } else if (closed) {
      failAll(new IOException("the state machine is closed"));
    }
    return shared.thenApply(v -> v);
  }

  void applied(long index) {
    if (index > applied) {
      applied = index;
    }
    releaseUpTo(index);
  }

  private void releaseUpTo(long index) {
    for (Map.Entry<Long, CompletableFuture<Void>> e = waiters.firstEntry();
         e != null && e.getKey() <= index; e = waiters.firstEntry()) {
      if (waiters.remove(e.getKey(), e.getValue())) {
        e.getValue().complete(null);
      }
    }
  }

  /** Fails every waiter, now and later: the state machine is closing. */
  void failAll(Exception e) {
    closed = true;
    for (Map.Entry<Long, CompletableFuture<Void>> en = waiters.pollFirstEntry(); en != null;
         en = waiters.pollFirstEntry()) {
      en.getValue().completeExceptionally(e);
    }
  }
}
