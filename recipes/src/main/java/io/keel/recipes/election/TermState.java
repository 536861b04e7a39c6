package io.keel.recipes.election;

import io.keel.client.KeelException;
import io.keel.recipes.internal.Deadline;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;

/**
 * An election's state, under one lock: its lifecycle, the current term, the future of the next
 * one, and the wake-up signal of its campaign thread. Every change of leadership goes through
 * here, so listeners are told in the order the changes happened and {@code hasLeadership}, the
 * handles and the listeners never disagree for longer than a listener call.
 *
 * <p>Signals to the campaign thread (state change, resign, close) complete the current
 * {@link #wake} future; the thread takes a fresh one before it looks at the state
 * ({@link #nextStep}), so no signal is lost between a look and a wait.
 */
final class TermState {
  enum Status { LATENT, STARTED, CLOSED, FAILED }

  /** What the campaign thread must do next: look again with {@code wake}, hand off, or stop. */
  record Step(CompletableFuture<Void> wake, Term handOff, boolean stop) {}

  private final String name;
  private final Dispatcher dispatcher;
  private Status status = Status.LATENT;
  private KeelException failure;
  private Term term;
  /** Completes with the next term (or with why there will be none); replaced when a term ends. */
  private CompletableFuture<Term> nextTerm = new CompletableFuture<>();
  private CompletableFuture<Void> wake = new CompletableFuture<>();
  private Term resigned;
  private Term lastEnded;
  private Thread thread;
  private boolean cleaningUp;

  TermState(String name, Dispatcher dispatcher) {
    this.name = name;
    this.dispatcher = dispatcher;
  }

  /** Runs {@code first}, then {@code campaign} on a new thread; once only. */
  synchronized void start(Runnable first, Runnable campaign, String threadName) {
    if (status != Status.LATENT) {
      throw new IllegalStateException(name + " is " + status + ": start it once");
    }
    status = Status.STARTED;
    first.run();
    thread = new Thread(campaign, threadName);
    thread.setDaemon(true);
    thread.start();
  }

  /** Closes; returns the campaign thread to wait for (null if never started or closed already). */
  synchronized Thread close() {
    if (status == Status.CLOSED) {
      return null;
    }
    boolean started = thread != null;
    status = Status.CLOSED;
    endTerm();
    nextTerm.completeExceptionally(new IllegalStateException(name + " is closed"));
    stop();
    return started ? thread : null;
  }

  /** Ends the election for good on a failure the session cannot recover from. */
  synchronized void fail(KeelException e) {
    if (status != Status.STARTED) {
      return;
    }
    status = Status.FAILED;
    failure = e;
    endTerm();
    nextTerm.completeExceptionally(e);
    stop();
  }

  private void stop() {
    wake.complete(null);
    if (thread != null && !cleaningUp) {
      thread.interrupt();  // out of whatever wait it is in; it cleans up without interrupts
    }
  }

  /** The client is SUSPENDED: the term (if any) is over; the campaign looks again. */
  synchronized void suspended() {
    endTerm();
    wake.complete(null);
  }

  synchronized void wakeUp() {
    wake.complete(null);
  }

  synchronized Term current() {
    return term;
  }

  /** Resigns {@code t} (the current term if null) if it is current; false if it was not. */
  synchronized boolean resign(Term t) {
    if (status != Status.STARTED || term == null || t != null && t != term) {
      return false;
    }
    resigned = endTerm();
    wake.complete(null);
    return true;
  }

  Optional<Leadership> await(Deadline deadline) throws InterruptedException {
    while (true) {
      CompletableFuture<Term> next;
      synchronized (this) {
        if (status == Status.LATENT) {
          throw new IllegalStateException(name + " is not started");
        }
        next = nextTerm;
      }
      if (!deadline.await(next)) {
        return Optional.empty();
      }
      Term t;
      try {
        t = next.join();
      } catch (CompletionException e) {
        throw rethrowable(e.getCause());
      }
      if (t.isCurrent()) {
        return Optional.of(t);
      }
      // That term ended before we looked: nextTerm was replaced when it did.
    }
  }

  /** A fresh exception for the caller's thread, of the same kind as {@code why}. */
  private static RuntimeException rethrowable(Throwable why) {
    if (why instanceof KeelException k) {
      return KeelException.create(k.code(), null, k.getMessage());
    }
    return new IllegalStateException(why.getMessage(), why);
  }

  private Term endTerm() {
    Term t = term;
    if (t == null) {
      return null;
    }
    term = null;
    lastEnded = t;
    t.end(dispatcher.notLeader(t));
    nextTerm = new CompletableFuture<>();
    return t;
  }

  // ------------------------------------------------------------ for the campaign thread

  synchronized Step nextStep() {
    if (status != Status.STARTED) {
      return new Step(wake, null, true);
    }
    if (wake.isDone()) {
      wake = new CompletableFuture<>();
    }
    Term handOff = resigned;
    resigned = null;
    return new Step(wake, handOff, false);
  }

  /** Makes {@code t} the current term, unless anything was signalled since {@code sinceWake}. */
  synchronized boolean publish(Term t, CompletableFuture<Void> sinceWake, BooleanSupplier connected) {
    if (status != Status.STARTED || sinceWake != wake || wake.isDone() || !connected.getAsBoolean()) {
      return false;
    }
    term = t;
    nextTerm.complete(t);
    dispatcher.leader(t);
    return true;
  }

  /** Ends {@code t} if it is still current (its node changed or went). */
  synchronized void ended(Term t) {
    if (term == t) {
      endTerm();
    }
  }

  /** From here on no interrupt comes; returns the last term that ended (to wait for its told). */
  synchronized Term beginCleanUp() {
    cleaningUp = true;
    Thread.interrupted();
    return lastEnded;
  }

  @Override
  public synchronized String toString() {
    return status + (term != null ? ", leading" : "")
        + (failure != null ? ", " + failure.getMessage() : "");
  }
}
