package io.keel.statemachine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Futures that complete once the state machine has applied a given index.
 *
 * <p>Replaces {@code BaseStateMachine.queryStale}'s waiting, which can hang while applies progress
 * (see RATIS_NOTES). Thread-safe: {@link #await} from reader threads, {@link #applied} from the
 * apply thread.
 */
final class AppliedIndexWaiters {
  private final ConcurrentNavigableMap<Long, List<CompletableFuture<Void>>> waiters =
      new ConcurrentSkipListMap<>();
  private volatile long applied = -1;

  /** Completes when {@code index} has been applied: at once if it already has. */
  CompletableFuture<Void> await(long index) {
    if (index <= applied) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> f = new CompletableFuture<>();
    waiters.compute(index, (k, list) -> {
      List<CompletableFuture<Void>> l = list == null ? new ArrayList<>(1) : list;
      l.add(f);
      return l;
    });
    // The apply thread may have passed index between the check and the insert.
    if (index <= applied) {
      releaseUpTo(applied);
    }
    return f;
  }

  void applied(long index) {
    if (index > applied) {
      applied = index;
    }
    releaseUpTo(index);
  }

  private void releaseUpTo(long index) {
    ConcurrentNavigableMap<Long, List<CompletableFuture<Void>>> ready = waiters.headMap(index, true);
    for (Long k : ready.keySet()) {
      List<CompletableFuture<Void>> list = waiters.remove(k);
      if (list != null) {
        synchronized (list) {
          list.forEach(f -> f.complete(null));
        }
      }
    }
  }

  /** Fails every waiter: the state machine is closing. */
  void failAll(Exception e) {
    for (Map.Entry<Long, List<CompletableFuture<Void>>> en : waiters.entrySet()) {
      List<CompletableFuture<Void>> list = waiters.remove(en.getKey());
      if (list != null) {
        list.forEach(f -> f.completeExceptionally(e));
      }
    }
  }
}
