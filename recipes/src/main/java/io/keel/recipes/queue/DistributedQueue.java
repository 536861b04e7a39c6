package io.keel.recipes.queue;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A work queue shared by every client that names the same path (Curator's {@code DistributedQueue}
 * and {@code DistributedPriorityQueue} in one): producers {@link #offer} elements, consumers take
 * them, each element going to exactly one consumer.
 *
 * <pre>{@code
 * DistributedQueue<String> jobs =
 *     new DistributedQueue<>(client, "/queues/jobs", Serializer.utf8());
 * jobs.offer("resize 42.png");
 * jobs.offer("page the on-call", -10);          // lower value first
 * try (Claim<String> job = jobs.claim()) {      // at-least-once: a crash gives the job back
 *   run(job.value());
 *   job.ack();
 * }
 * String next = jobs.take();                    // at-most-once: removed before it is returned
 * }</pre>
 *
 * <p><b>Order.</b> Elements are persistent sequential nodes {@code path/items/item-<priority>-<n>}:
 * consumers take the lowest priority value first and, within a priority, in the order the offers
 * were applied, sorting the names alone. One consumer alone sees exactly that order; several
 * consumers start elements in that order but may finish them in any. An element given back (a
 * released claim, a dead consumer) is taken again before the ones behind it, by consumers whose
 * server has applied the give-back (reads are sequentially consistent).
 *
 * <p><b>Exactly one taker.</b> A consumer takes an element by creating an ephemeral claim node
 * {@code path/claims/<item>} in one multi with a check that the element is still there; a second
 * consumer's claim of the same element fails, and it tries the next one. {@link #claim()} hands
 * the claim out ({@link Claim}): the element is removed when the consumer acks, in one multi with
 * the claim's deletion, so exactly one ack succeeds; if the consumer dies first its claim vanishes
 * with its session and the element goes to another consumer (at-least-once processing).
 * {@link #take()} claims, reads and acks at once and returns the value: at-most-once, since an
 * element is lost if its consumer dies between the ack and its processing.
 *
 * <p><b>Waiting.</b> An idle consumer waits on child watches of the items and of the claims (a
 * claim that vanishes frees an element); it is woken by every new element and every ended claim,
 * and the consumers that lose the race for an element try the next one or wait again.
 *
 * <p><b>Failures.</b> {@code offer} creates the element and an ephemeral marker of the offer in
 * one multi, so after a lost reply it reads the marker to learn whether the element was added and
 * never adds it twice (the marker is deleted right after, and vanishes with the session anyway);
 * claims and acks resolve lost replies from the claim node the same way. Waiting calls ride out
 * connection loss and leader changes within their timeout (past it they throw ConnectionLoss or
 * OperationTimeout). While the client is SUSPENDED its claims may be expiring with its session:
 * a consumer that must not repeat work commits its results in the ack
 * ({@link Claim#ack(java.util.List)}).
 * Once the session is LOST its claims are gone, their elements go to others, and calls fail with
 * {@link KeelException.SessionExpiredException}. An element the serializer cannot read makes
 * {@code take} throw MARSHALLINGERROR and stays at the head; {@link Claim#ack()} removes it.
 * The directories are containers: a drained queue leaves nothing behind once the server has
 * reaped them.
 *
 * <p>Thread-safe: any number of threads may offer and take through one instance.
 * {@link #close()} releases the claims this instance handed out and not yet acked, and makes
 * blocked takes return empty (the untimed forms throw IllegalStateException).
 */
public final class DistributedQueue<E> implements AutoCloseable {
  private final KeelClient client;
  private final String path;
  private final Serializer<E> serializer;
  private final QueueNodes nodes;
  private final Set<Claim<E>> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  public DistributedQueue(KeelClient client, String path, Serializer<E> serializer) {
    if (client == null || serializer == null || path == null || !path.startsWith("/")
        || path.equals("/")) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path,
          "a queue needs a client, a serializer and an absolute path other than /, got " + path);
    }
    this.client = client;
    this.path = path;
    this.serializer = serializer;
    this.nodes = new QueueNodes(client, path);
  }

  public String path() {
    return path;
  }

  /** Adds {@code element} with priority 0. */
  public void offer(E element) throws InterruptedException {
    offer(element, 0);
  }

  /**
   * Adds {@code element} behind every element of a lower or equal priority value, once. Returns
   * once it is in the queue. After a lost reply it reads the offer's marker and sends again only
   * if the element was not added. Throws the ConnectionLoss (the element may or may not be in)
   * only if the cluster stays unreachable for the client's request timeout and then a session
   * timeout more; SessionExpired if the session ended first (the same uncertainty).
   */
  public void offer(E element, int priority) throws InterruptedException {
    checkOpen();
    if (element == null) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path, "element is null");
    }
    byte[] data = serializer.serialize(element);
    if (data == null) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path,
          "the serializer turned " + element + " into null");
    }
    nodes.add(ItemNames.prefix(priority), data);
  }

  /** Takes the first element if there is one now (at-most-once: see the class doc). */
  public Optional<E> poll() throws InterruptedException {
    return take(nodes.opDeadline(), false);
  }

  /** Waits for an element, takes it and returns it (at-most-once: see the class doc). */
  public E take() throws InterruptedException {
    return take(Deadline.never(), true).orElseThrow(this::closedWhileWaiting);
  }

  /** Like {@link #take()}; empty if no element came within {@code timeout}. */
  public Optional<E> take(Duration timeout) throws InterruptedException {
    return take(Deadline.after(timeout), true);
  }

  /** Waits for an element and claims it: it is removed only by {@link Claim#ack()}. */
  public Claim<E> claim() throws InterruptedException {
    return claim(Deadline.never(), true).orElseThrow(this::closedWhileWaiting);
  }

  /** Like {@link #claim()}; empty if no element came within {@code timeout}. */
  public Optional<Claim<E>> claim(Duration timeout) throws InterruptedException {
    return claim(Deadline.after(timeout), true);
  }

  /** How many elements the queue holds, claimed ones included, as this client's server sees. */
  public int size() throws InterruptedException {
    return nodes.items(nodes.opDeadline(), false).size();
  }

  private Optional<E> take(Deadline deadline, boolean wait) throws InterruptedException {
    Optional<Claim<E>> got = claim(deadline, wait);
    if (got.isEmpty()) {
      return Optional.empty();
    }
    Claim<E> c = got.get();
    E value;
    try {
      value = c.value();
    } catch (RuntimeException e) {
      c.release();  // left in the queue for a consumer that can read it, or for removal
      throw KeelException.create(KeelException.Code.MARSHALLINGERROR, c.path(),
          "the serializer failed on the element at " + c.path() + ": " + e);
    }
    c.ack();
    return Optional.of(value);
  }

  private Optional<Claim<E>> claim(Deadline deadline, boolean wait) throws InterruptedException {
    checkOpen();
    while (!closed) {
      Optional<QueueNodes.Claimed> got = nodes.claimFirst(deadline, wait);
      if (got.isEmpty()) {
        return Optional.empty();
      }
      QueueNodes.Claimed c = got.get();
      Claim<E> claim = new Claim<>(client, c.item(), c.claim(), c.data(), serializer, open::remove);
      open.add(claim);
      if (closed) {
        claim.release();  // lost a race with close(): hand back
        break;
      }
      return Optional.of(claim);
    }
    return Optional.empty();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the queue at " + path + " is closed");
    }
  }

  private IllegalStateException closedWhileWaiting() {
    return new IllegalStateException("the queue at " + path + " was closed while waiting");
  }

  /**
   * Releases every claim this instance handed out and not yet acked, and wakes blocked calls.
   * Elements already offered stay. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    nodes.close();
    for (Claim<E> c : open) {
      c.release();
    }
  }
}
