package io.keel.statemachine;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Waiting for an applied index: every waiter is released exactly when its index is applied. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AppliedIndexWaitersTest {

  @Test
  void waitersAreReleasedInOrderAndOnlyOnceApplied() throws Exception {
    AppliedIndexWaiters w = new AppliedIndexWaiters();
    CompletableFuture<Void> five = w.await(5);
    CompletableFuture<Void> fiveAgain = w.await(5);
    CompletableFuture<Void> nine = w.await(9);
    w.applied(4);
    assertTrue(!five.isDone() && !nine.isDone());
    w.applied(5);
    assertTrue(five.isDone() && fiveAgain.isDone() && !nine.isDone());
    w.applied(20);
    assertTrue(nine.isDone());
    assertTrue(w.await(20).isDone(), "an index already applied completes at once");
  }

  @Test
  void manyReadersRacingTheApplyThreadAreAllReleased() throws Exception {
    AppliedIndexWaiters w = new AppliedIndexWaiters();
    ExecutorService readers = Executors.newFixedThreadPool(4);
    try {
      List<CompletableFuture<CompletableFuture<Void>>> waits = new ArrayList<>();
      for (int i = 0; i < 20_000; i++) {
        long index = i % 500;
        waits.add(CompletableFuture.supplyAsync(() -> w.await(index), readers));
      }
      for (long i = 0; i < 500; i++) {
        w.applied(i);
      }
      for (CompletableFuture<CompletableFuture<Void>> f : waits) {
        f.get(10, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
      }
    } finally {
      readers.shutdownNow();
    }
  }

  @Test
  void closingFailsWaitersNowAndLater() {
    AppliedIndexWaiters w = new AppliedIndexWaiters();
    CompletableFuture<Void> pending = w.await(3);
    w.failAll(new IOException("closed"));
    ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(1, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof IOException);
    assertTrue(w.await(7).isCompletedExceptionally());
  }
}
