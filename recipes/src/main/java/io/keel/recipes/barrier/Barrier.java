package io.keel.recipes.barrier;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Stat;
import io.keel.recipes.internal.ChangeSignal;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A barrier that holds every waiter until it is removed (Curator's {@code DistributedBarrier}).
 *
 * <p>The barrier is up while the node at {@code path} exists: {@link #setBarrier()} creates it (a
 * persistent node, so it stays up when its setter dies: a barrier protects against starting too
 * early, and only an explicit {@link #removeBarrier()} lifts it), {@link #removeBarrier()} deletes
 * it, and {@link #waitOnBarrier()} returns once it is gone. Any client may set, remove or wait on
 * the same path. Missing parents are created as containers, which the server removes once empty.
 *
 * <pre>{@code
 * Barrier barrier = new Barrier(client, "/jobs/nightly/gate");
 * barrier.setBarrier();                    // coordinator, before the workers start
 * ...
 * barrier.waitOnBarrier();                 // each worker: blocks until the coordinator says go
 * ...
 * barrier.removeBarrier();                 // coordinator: every waiter proceeds
 * }</pre>
 *
 * <p>Waiters sleep on a watch of the barrier node: a removal wakes each of them once. A waiter
 * that sees the node gone returns even if the barrier is set again right after (the barrier was
 * down at that moment, as in ZooKeeper). Waiting honours interrupts and rides out connection loss
 * (SUSPENDED) and leader changes by watching again on the next server; it fails with
 * {@link KeelException.SessionExpiredException} once the session is LOST. {@code setBarrier} and
 * {@code removeBarrier} are idempotent and retry through connection loss for up to the session
 * timeout. Thread-safe; holds nothing that needs closing (at most one pending watch).
 */
public final class Barrier {
  private final KeelClient client;
  private final String path;
  private final ChangeSignal signal = new ChangeSignal();

  /** A barrier at {@code path}; nothing is created until {@link #setBarrier()}. */
  public Barrier(KeelClient client, String path) {
    if (client == null || path == null || !path.startsWith("/") || path.equals("/")) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path,
          "a barrier needs a client and an absolute path other than /, got " + path);
    }
    this.client = client;
    this.path = path;
  }

  public String path() {
    return path;
  }

  /** Raises the barrier: waiters block from now on. Does nothing if it is already up. */
  public void setBarrier() throws InterruptedException {
    Deadline deadline = opDeadline();
    while (true) {
      try {
        ZNodes.retryRun(client, deadline, () -> client.create(path, null, CreateMode.PERSISTENT));
        return;
      } catch (KeelException.NodeExistsException e) {
        return;  // up already, maybe by our own earlier try whose reply was lost
      } catch (KeelException.NoNodeException e) {
        ZNodes.retryRun(client, deadline,
            () -> ZNodes.ensurePath(client, ZNodes.parent(path), CreateMode.CONTAINER));
      }
    }
  }

  /** Lifts the barrier: every waiter proceeds. Does nothing if it is already down. */
  public void removeBarrier() throws InterruptedException {
    ZNodes.deleteIfExists(client, path, opDeadline());
  }

  /** True if the barrier is up, as this client's server sees it now. */
  public boolean isSet() throws InterruptedException {
    return ZNodes.retry(client, opDeadline(), () -> client.exists(path)).isPresent();
  }

  /** Blocks until the barrier is down. */
  public void waitOnBarrier() throws InterruptedException {
    waitOnBarrier(Deadline.never());
  }

  /** Blocks until the barrier is down or {@code timeout} passed: true if it is down. */
  public boolean waitOnBarrier(Duration timeout) throws InterruptedException {
    return waitOnBarrier(Deadline.after(timeout));
  }

  private boolean waitOnBarrier(Deadline deadline) throws InterruptedException {
    // Set by another client just before we were told to wait: see it, not a lagging server's view.
    ZNodes.retryRun(client, deadline, () -> client.sync(path));
    while (true) {
      CompletableFuture<Void> changed = signal.current();
      Optional<Stat> up = ZNodes.retry(client, deadline, () -> client.exists(path, signal));
      if (up.isEmpty()) {
        return true;
      }
      ChangeSignal.failIfLost(client, path);
      if (!deadline.await(changed)) {
        return false;
      }
    }
  }

  /** How long writes ride out connection loss: past the session timeout the outcome is moot. */
  private Deadline opDeadline() {
    return Deadline.after(Duration.ofMillis(client.sessionTimeoutMs()));
  }
}
