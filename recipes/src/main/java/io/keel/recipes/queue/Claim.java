package io.keel.recipes.queue;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Op;
import io.keel.recipes.internal.ChangeSignal;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * An element a consumer took from a {@link DistributedQueue} but has not removed yet: the element
 * stays in the queue, held by this consumer's ephemeral claim node, until {@link #ack()} removes
 * it. No other consumer gets it meanwhile. If the claim ends without an ack ({@link #release()},
 * {@link #close()}, or the end of the consumer's session: a crash) the element is offered again,
 * in its old place at the head.
 *
 * <pre>{@code
 * try (Claim<Job> claim = queue.claim()) {
 *   run(claim.value());
 *   claim.ack();              // without it, close() gives the job back to the queue
 * }
 * }</pre>
 *
 * <p>Exactly one ack of an element succeeds: an ack is one multi that deletes the claim node with
 * the element, so it fails if the claim was lost. Processing is at-least-once: a consumer whose
 * session ended (or was SUSPENDED long enough to expire) while it worked may have done the work
 * that another consumer then does again. To make results exactly-once, write them to Keel in the
 * ack itself ({@link #ack(List)}) or guard other writes with {@link #guard()}.
 *
 * <p>Thread-safe; {@code release} and {@code close} are idempotent and never throw.
 */
public final class Claim<E> implements AutoCloseable {
  private final KeelClient client;
  private final String item;
  private final String claim;
  private final byte[] data;
  private final Serializer<E> serializer;
  private final Consumer<Claim<E>> onEnd;
  private final AtomicBoolean ended = new AtomicBoolean();
  /** An earlier ack failed with its outcome unknown: it may have removed the element. */
  private volatile boolean uncertain;
  private E value;
  private boolean decoded;

  Claim(KeelClient client, String item, String claim, byte[] data, Serializer<E> serializer,
        Consumer<Claim<E>> onEnd) {
    this.client = client;
    this.item = item;
    this.claim = claim;
    this.data = data;
    this.serializer = serializer;
    this.onEnd = onEnd;
  }

  /**
   * The element (deserialized on first use: an element the serializer refuses can still be acked
   * away).
   */
  public synchronized E value() {
    if (!decoded) {
      value = serializer.deserialize(data.clone());
      decoded = true;
    }
    return value;
  }

  /** The element's node. */
  public String path() {
    return item;
  }

  /** The priority it was offered with. */
  public int priority() {
    return ItemNames.priority(ZNodes.name(item));
  }

  /**
   * A multi op that fails unless this claim still holds: put it first in a {@code multi} to make
   * a write conditional on no other consumer having been given the element.
   */
  public Op guard() {
    return Op.check(claim, -1);
  }

  /** False once acked or released (the session may have ended before: see the class doc). */
  public boolean isOpen() {
    return !ended.get();
  }

  /**
   * Removes the element from the queue for good.
   *
   * @throws KeelException.NoNodeException if the claim was lost (released, or its session ended):
   *     the element is not removed by us, and another consumer may have it or get it
   * @throws KeelException.ConnectionLossException (or OperationTimeout) if the cluster stayed
   *     unreachable past the request timeout and a session timeout more: the outcome is unknown,
   *     and acking again finds it out (success if the first one removed the element)
   */
  public void ack() throws InterruptedException {
    ack(List.of());
  }

  /**
   * Removes the element and applies {@code ops} in the same multi: all of it or none. If one of
   * {@code ops} fails, its exception is thrown and the claim still holds.
   *
   * @throws KeelException.NoNodeException if the claim was lost (nothing is applied)
   */
  public void ack(List<Op> ops) throws InterruptedException {
    if (ended.get()) {
      throw new IllegalStateException("the claim on " + item + " was already acked or released");
    }
    List<Op> all = new ArrayList<>(ops);
    all.add(Op.delete(item, KeelClient.ANY_VERSION));
    all.add(Op.delete(claim, KeelClient.ANY_VERSION));
    boolean answered;
    try {
      // After a lost reply: our claim is gone only if the ack was applied or the claim was lost.
      answered = Writes.apply(client, all, d -> !Writes.exists(client, claim, d));
    } catch (KeelException e) {
      if (e.code() == KeelException.Code.SESSIONEXPIRED) {
        end();
        throw e;
      }
      if (ZNodes.isTransient(e)) {
        uncertain = true;  // the caller may ack again: that call finds out
        throw e;
      }
      if (e.code() != KeelException.Code.NONODE || Writes.failedOp(e) < ops.size()) {
        throw e;  // one of the caller's ops failed: nothing applied, the claim still holds
      }
      if (!uncertain) {
        throw lost();
      }
      answered = false;  // gone: maybe by our earlier ack
    }
    if (!answered) {
      Deadline deadline = Deadline.after(Duration.ofMillis(client.sessionTimeoutMs()));
      if (ZNodes.retry(client, deadline, () -> client.exists(item)).isPresent()
          || !Writes.sessionAlive(client, deadline)) {
        throw lost();
      }
    }
    end();
  }

  private KeelException lost() {
    end();
    ChangeSignal.failIfLost(client, item);
    return KeelException.create(KeelException.Code.NONODE, claim, "the claim on " + item
        + " was lost (released, or the session ended): another consumer may take it");
  }

  /** Gives the element back to the queue, at its old place. Idempotent; never throws. */
  public void release() {
    if (!end()) {
      return;
    }
    try {
      // Only our own claim: after a lost reply, another consumer's may stand at this name.
      ZNodes.deleteOwned(client, claim, Deadline.after(Duration.ofMillis(client.sessionTimeoutMs())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ZNodes.deleteOwnedAsync(client, claim);
    } catch (KeelException e) {
      // Session lost, or the cluster unreachable for a session timeout: the claim dies with it.
    }
  }

  /** Releases the claim unless it was acked. */
  @Override
  public void close() {
    release();
  }

  private boolean end() {
    if (!ended.compareAndSet(false, true)) {
      return false;
    }
    onEnd.accept(this);
    return true;
  }

  @Override
  public String toString() {
    return "Claim[" + item + (ended.get() ? ", ended]" : "]");
  }
}
