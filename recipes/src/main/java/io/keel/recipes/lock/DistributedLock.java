package io.keel.recipes.lock;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.SequentialQueue;
import io.keel.recipes.internal.SequentialQueue.Member;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * A reentrant mutex shared by every client that names the same path (Curator's
 * {@code InterProcessMutex}, with fencing tokens).
 *
 * <p>Each contender creates an ephemeral sequential node under the lock's path; the lowest holds
 * the lock and every other one watches only its predecessor, so a release wakes exactly one waiter.
 * Waiters are served in arrival order. The holder's node is ephemeral: if its session ends, the
 * lock passes on after the session timeout. {@link Lease#fencingToken()} grows from each holder to
 * the next; {@link Lease#guard()} makes a write conditional on still holding.
 *
 * <p>Reentrant per thread: a thread that holds the lock and acquires it again gets another lease
 * on the same node, and the lock is released when the last of them is closed. Leases may be closed
 * from any thread.
 *
 * <pre>{@code
 * DistributedLock lock = new DistributedLock(client, "/locks/orders");
 * try (Lease lease = lock.acquire()) {
 *   storage.write(order, lease.fencingToken());
 * }
 * }</pre>
 *
 * <p>Blocking calls honour interrupts (the thread's node is removed and InterruptedException
 * thrown) and ride out connection loss and leader changes; they fail with
 * {@link KeelException.SessionExpiredException} if the session ends while waiting. The lock's
 * directory is a container: the server removes it once the last contender is gone. Thread-safe.
 */
public final class DistributedLock {
  private final SequentialQueue queue;
  private final String prefix;
  private final Supplier<SequentialQueue.Rule> rule;
  /** A lease the calling thread already holds that also grants this lock, or null. */
  private final Supplier<Lease> alreadyGranted;
  private final Map<Thread, Holding> held = new ConcurrentHashMap<>();

  /** A lock on {@code path}; nothing is created until the first acquire. */
  public DistributedLock(KeelClient client, String path) {
    this(new SequentialQueue(client, path), "lock-", () -> SequentialQueue.FIRST, () -> null);
  }

  /** One kind of contender on a shared queue (the read-write lock's two sides). */
  DistributedLock(SequentialQueue queue, String prefix, Supplier<SequentialQueue.Rule> rule,
                  Supplier<Lease> alreadyGranted) {
    this.queue = queue;
    this.prefix = prefix;
    this.rule = rule;
    this.alreadyGranted = alreadyGranted;
  }

  /** Another lease on the node the calling thread holds through this object, or null. */
  Lease shareHeld() {
    Holding h = held.get(Thread.currentThread());
    return h == null ? null : h.lease();
  }

  /** Waits as long as it takes for the lock. */
  public Lease acquire() throws InterruptedException {
    return acquire(Deadline.never()).orElseThrow();
  }

  /** Waits up to {@code timeout} for the lock; empty if it is still held by another then. */
  public Optional<Lease> tryAcquire(Duration timeout) throws InterruptedException {
    return acquire(Deadline.after(timeout));
  }

  /** True if the calling thread holds this lock (through this object). */
  public boolean isHeldByCurrentThread() {
    return held.containsKey(Thread.currentThread());
  }

  /** The lock's path. */
  public String path() {
    return queue.dir();
  }

  /** How often waiters of this object were woken by their predecessor's change. */
  long wakeups() {
    return queue.wakeups();
  }

  Optional<Lease> acquire(Deadline deadline) throws InterruptedException {
    Thread me = Thread.currentThread();
    Holding mine = held.get(me);
    Lease again = mine == null ? alreadyGranted.get() : mine.lease();
    if (again != null) {
      return Optional.of(again);
    }
    Member member = queue.join(prefix, null, deadline);
    boolean holds = false;
    try {
      holds = queue.await(member, rule.get(), deadline);
    } finally {
      if (!holds) {
        queue.leave(member);
      }
    }
    if (!holds) {
      return Optional.empty();
    }
    Holding h = new Holding(me, member);
    Lease first = h.lease();
    held.put(me, h);
    return Optional.of(first);
  }

  /** One thread's hold on the node, shared by its reentrant leases. */
  private final class Holding {
    final Thread owner;
    final Member member;
    int count;
    boolean released;

    Holding(Thread owner, Member member) {
      this.owner = owner;
      this.member = member;
    }

    /** Another lease on the node; null if it was released meanwhile (closed from elsewhere). */
    synchronized Lease lease() {
      if (released) {
        return null;
      }
      count++;
      return new NodeLease(queue.client(), member.path(), member.czxid(), this::release);
    }

    private void release() {
      synchronized (this) {
        if (--count > 0) {
          return;
        }
        released = true;
      }
      held.remove(owner, this);
      queue.leave(member);
    }
  }
}
