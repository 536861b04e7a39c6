package io.keel.recipes.lock;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.SequentialQueue;
import io.keel.recipes.internal.SequentialQueue.Member;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A counting semaphore of {@code maxLeases} leases shared by every client that names the same path
 * (Curator's {@code InterProcessSemaphoreV2}).
 *
 * <p>Each lease is an ephemeral node under {@code path/leases}, released by closing it or by the
 * end of its session. Contenders queue on a {@link DistributedLock} at {@code path/lock}; only the
 * one at its head creates a lease node and, if that makes more than {@code maxLeases}, waits for a
 * lease to go. So a release wakes one contender, and leases are granted in arrival order. Every
 * client must use the same {@code maxLeases}.
 *
 * <p>Blocking calls honour interrupts and deadlines and ride out connection loss; they fail with
 * {@link KeelException.SessionExpiredException} if the session ends. Thread-safe.
 */
public final class Semaphore {
  private final KeelClient client;
  private final String path;
  private final int maxLeases;
  private final DistributedLock turn;
  private final SequentialQueue leases;

  public Semaphore(KeelClient client, String path, int maxLeases) {
    if (maxLeases < 1) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path,
          "maxLeases must be at least 1, got " + maxLeases);
    }
    this.client = client;
    this.path = path;
    this.maxLeases = maxLeases;
    this.turn = new DistributedLock(client, ZNodes.join(path, "lock"));
    this.leases = new SequentialQueue(client, ZNodes.join(path, "leases"));
  }

  /** Waits as long as it takes for a lease. */
  public Lease acquire() throws InterruptedException {
    return acquire(Deadline.never()).orElseThrow();
  }

  /** Waits up to {@code timeout} for a lease; empty if none came free by then. */
  public Optional<Lease> tryAcquire(Duration timeout) throws InterruptedException {
    return acquire(Deadline.after(timeout));
  }

  public int maxLeases() {
    return maxLeases;
  }

  /** The paths of the leases held now, by every client. */
  public List<String> leaseHolders() throws InterruptedException {
    return leases.sortedChildren(Deadline.after(Duration.ofMillis(client.sessionTimeoutMs())))
        .stream().map(n -> ZNodes.join(leases.dir(), n)).toList();
  }

  private Optional<Lease> acquire(Deadline deadline) throws InterruptedException {
    Optional<Lease> myTurn = turn.acquire(deadline);
    if (myTurn.isEmpty()) {
      return Optional.empty();
    }
    try (Lease ignored = myTurn.get()) {
      Member lease = leases.join("lease-", null, deadline);
      boolean granted = false;
      try {
        granted = awaitRoom(lease, deadline);
      } finally {
        if (!granted) {
          leases.leave(lease);
        }
      }
      return granted
          ? Optional.of(new NodeLease(client, lease.path(), lease.czxid(), () -> leases.leave(lease)))
          : Optional.empty();
    }
  }

  /** Only the contender holding the turn waits here, so watching all leases makes no herd. */
  private boolean awaitRoom(Member lease, Deadline deadline) throws InterruptedException {
    while (true) {
      CompletableFuture<Void> changed = new CompletableFuture<>();
      List<String> held = ZNodes.retry(client, deadline,
          () -> client.getChildren(leases.dir(), event -> changed.complete(null)));
      if (!held.contains(lease.name())) {
        throw KeelException.create(KeelException.Code.NONODE, lease.path(),
            "our lease node " + lease.path() + " is gone: the session expired or it was deleted");
      }
      if (held.size() <= maxLeases) {
        return true;
      }
      if (!deadline.await(changed)) {
        return false;
      }
    }
  }
}
