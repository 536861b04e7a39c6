package io.keel.recipes.election;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls an election's listeners, one call at a time and in order, on one thread of its own: a
 * listener that blocks then holds back only later listener calls, never the client's watchers or
 * the election's own work. The listener list and the announced term are touched only on that
 * thread, so a listener added mid-term is told of the term exactly once.
 */
final class Dispatcher {
  private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

  private final ExecutorService executor;
  private volatile Thread thread;
  private final List<LeadershipListener> listeners = new ArrayList<>();
  private Term announced;

  Dispatcher(String name) {
    this.executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      thread = t;
      return t;
    });
  }

  boolean onThread() {
    return Thread.currentThread() == thread;
  }

  void add(LeadershipListener l) {
    run(() -> {
      listeners.add(l);
      if (announced != null) {
        call(l, true);
      }
    });
  }

  void remove(LeadershipListener l) {
    run(() -> listeners.remove(l));
  }

  /** Announces {@code term}, unless it is already over when its turn comes. */
  void leader(Term term) {
    run(() -> {
      if (term.isCurrent()) {
        announced = term;
        listeners.forEach(l -> call(l, true));
      }
    });
  }

  /** Ends {@code term}'s announcement; completes once the listeners returned. */
  CompletableFuture<Void> notLeader(Term term) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    boolean queued = run(() -> {
      try {
        if (announced == term) {
          announced = null;
          listeners.forEach(l -> call(l, false));
        }
      } finally {
        done.complete(null);
      }
    });
    if (!queued) {
      done.complete(null);
    }
    return done;
  }

  /** Lets the queued calls run, then ends the thread. */
  void shutdown() {
    executor.shutdown();
  }

  private boolean run(Runnable task) {
    try {
      executor.execute(task);
      return true;
    } catch (RejectedExecutionException e) {
      return false;  // the election is closed: nothing more is announced
    }
  }

  private void call(LeadershipListener l, boolean leads) {
    try {
      if (leads) {
        l.isLeader(announced);
      } else {
        l.notLeader();
      }
    } catch (RuntimeException e) {
      LOG.warn("A leadership listener failed in {}", leads ? "isLeader" : "notLeader", e);
    }
  }
}
