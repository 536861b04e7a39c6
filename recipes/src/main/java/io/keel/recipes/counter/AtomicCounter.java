package io.keel.recipes.counter;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.recipes.internal.Deadline;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A 64-bit counter shared by every client that names the same path (Curator's
 * {@code DistributedAtomicLong}, without its double counting after a lost reply).
 *
 * <p>The node holds the value as decimal text ({@code keel get} shows it, {@code keel set} can
 * write it; empty data is 0). An absent node reads as 0 and the first update creates it
 * (PERSISTENT, its missing ancestors as CONTAINERs); the node must have no children.
 *
 * <p>Every update is optimistic: read the value and the node's version, write the new value
 * conditioned on that version, and on BADVERSION (someone else wrote first) read again and retry.
 * So updates are linearizable and none is lost however many clients race. A node's version is a
 * 32-bit int that would wrap to negative after 2^31 writes, where no compare-and-set can name it;
 * the update that meets the last version replaces the node instead (delete at that version and
 * create, in one multi), which starts its version at 0 again, so the counter lasts forever.
 * Versions then repeat once every 2^31 writes, so a compare-and-set could be fooled (ABA) only
 * by a read 2^31 writes older than its write, which no live client holds. Watchers of the node
 * see the replacing write as a delete and a create.
 *
 * <p>{@link #get} syncs first, so it returns a value at least as new as every update completed
 * before it was called, by any client. {@link #compareAndSet} returns false only after such a
 * fresh read.
 *
 * <p>Blocking: reads ride out connection loss and leader changes (retried until the deadline or
 * the session's end). The {@code Duration} overloads bound the wait: the deadline is checked
 * before each attempt, and an empty result means nothing was written. An attempt already under
 * way is allowed to finish (up to the client's request timeout) rather than abandoned, because an
 * abandoned write's outcome is unknown. For the same reason a write that fails with
 * {@link KeelException.ConnectionLossException} or {@link KeelException.OperationTimeoutException}
 * (the client already retried it exactly-once through leader changes for its request timeout) is
 * not retried: the exception reaches the caller, and the update may or may not have happened. A
 * blind retry could apply it twice; re-read with {@link #get} to find out. An interrupt between
 * attempts throws {@link InterruptedException}; one during a write is that same unknown outcome
 * (ConnectionLossException, the thread's interrupt flag kept). A dead session fails with
 * {@link KeelException.SessionExpiredException}.
 *
 * <p>Holds no resources (nothing to close). Thread-safe.
 */
public final class AtomicCounter {
  private final String path;
  private final CounterNode node;

  /** A counter at {@code path}; nothing is read or created until the first call. */
  public AtomicCounter(KeelClient client, String path) {
    this(client, path, CounterNode.LAST_VERSION);
  }

  /** With an earlier replacement version, so that tests can reach it. */
  AtomicCounter(KeelClient client, String path, int replaceAtVersion) {
    if (client == null) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path, "client is null");
    }
    if (path == null || !path.startsWith("/") || path.equals("/") || path.endsWith("/")) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path,
          "a counter's path must be absolute and not the root, got " + path);
    }
    this.path = path;
    this.node = new CounterNode(client, path, replaceAtVersion);
  }

  public String path() {
    return path;
  }

  /** The current value (0 if the node does not exist). */
  public long get() throws InterruptedException {
    return node.read(Deadline.never(), true).value();
  }

  /** The current value, or empty if it could not be read within {@code timeout}. */
  public OptionalLong tryGet(Duration timeout) throws InterruptedException {
    Deadline deadline = Deadline.after(timeout);
    try {
      return OptionalLong.of(node.read(deadline, true).value());
    } catch (KeelException e) {
      return CounterNode.orEmptyIfLate(e, deadline, OptionalLong.empty());
    }
  }

  /**
   * Creates the node holding {@code value} unless it exists. True if this call created it; false
   * if it was there (after a lost reply the create may be found to exist, made by this very call:
   * then false too, and the node holds {@code value}).
   */
  public boolean initialize(long value) throws InterruptedException {
    return node.initialize(value, Deadline.never()).orElseThrow();
  }

  /** {@link #initialize(long)}, empty if it could not be done within {@code timeout}. */
  public Optional<Boolean> tryInitialize(long value, Duration timeout) throws InterruptedException {
    Deadline deadline = Deadline.after(timeout);
    try {
      return node.initialize(value, deadline);
    } catch (KeelException e) {
      return CounterNode.orEmptyIfLate(e, deadline, Optional.empty());
    }
  }

  /** Adds 1; returns the new value. */
  public long increment() throws InterruptedException {
    return add(1);
  }

  /** Adds 1 within {@code timeout}; the new value, or empty if nothing was written. */
  public OptionalLong tryIncrement(Duration timeout) throws InterruptedException {
    return tryAdd(1, timeout);
  }

  /** Subtracts 1; returns the new value. */
  public long decrement() throws InterruptedException {
    return add(-1);
  }

  /**
   * Adds {@code delta}; returns the new value.
   *
   * @throws KeelException BADARGUMENTS if the sum would overflow 64 bits (nothing is written)
   */
  public long add(long delta) throws InterruptedException {
    return node.update(current -> sum(current, delta), Deadline.never()).orElseThrow().current();
  }

  /** {@link #add} within {@code timeout}; the new value, or empty if nothing was written. */
  public OptionalLong tryAdd(long delta, Duration timeout) throws InterruptedException {
    Optional<CounterNode.Outcome> o =
        node.update(current -> sum(current, delta), Deadline.after(timeout));
    return o.isPresent() ? OptionalLong.of(o.get().current()) : OptionalLong.empty();
  }

  /**
   * Sets the value whatever it was (Curator's {@code trySet}, but never giving up); returns the
   * previous one.
   */
  public long set(long value) throws InterruptedException {
    return node.update(current -> value, Deadline.never()).orElseThrow().previous();
  }

  /** {@link #set} within {@code timeout}; the previous value, or empty if nothing was written. */
  public OptionalLong trySet(long value, Duration timeout) throws InterruptedException {
    Optional<CounterNode.Outcome> o = node.update(current -> value, Deadline.after(timeout));
    return o.isPresent() ? OptionalLong.of(o.get().previous()) : OptionalLong.empty();
  }

  /**
   * Sets {@code update} if the value is {@code expect} (an absent node counts as 0). Of clients
   * racing from the same value, exactly one succeeds.
   */
  public boolean compareAndSet(long expect, long update) throws InterruptedException {
    return node.update(current -> current == expect ? update : null, Deadline.never())
        .orElseThrow().written();
  }

  /** {@link #compareAndSet} within {@code timeout}; empty if it could not decide by then. */
  public Optional<Boolean> tryCompareAndSet(long expect, long update, Duration timeout)
      throws InterruptedException {
    return node.update(current -> current == expect ? update : null, Deadline.after(timeout))
        .map(CounterNode.Outcome::written);
  }

  @Override
  public String toString() {
    return "AtomicCounter[" + path + "]";
  }

  private long sum(long current, long delta) {
    try {
      return Math.addExact(current, delta);
    } catch (ArithmeticException e) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path, "adding " + delta
          + " to " + current + " at " + path + " would overflow 64 bits");
    }
  }
}
