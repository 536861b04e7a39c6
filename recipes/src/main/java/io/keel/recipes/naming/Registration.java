package io.keel.recipes.naming;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Stat;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.EphemeralNode;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A registered service instance: open while the instance should be found. Closing deregisters it
 * (idempotent; never throws; if the cluster cannot be reached the session's end removes it).
 * Thread-safe.
 */
public final class Registration implements AutoCloseable {
  private final KeelClient client;
  private final EphemeralNode node;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile ServiceInstance instance;
  private final long czxid;

  Registration(KeelClient client, EphemeralNode node, ServiceInstance instance, Stat stat) {
    this.client = client;
    this.node = node;
    this.instance = instance;
    this.czxid = stat.czxid();
  }

  /** The instance as last registered or updated. */
  public ServiceInstance instance() {
    return instance;
  }

  /** The instance's node. */
  public String path() {
    return node.path();
  }

  /** The zxid that created the registration: a new registration of the same id has a larger one. */
  public long czxid() {
    return czxid;
  }

  /**
   * Replaces the registered instance's address, port or metadata (name and id stay).
   *
   * @throws KeelException.NoNodeException if the registration is gone (closed, or session lost)
   */
  public void update(ServiceInstance changed) throws InterruptedException {
    update(changed, Deadline.never());
  }

  /** {@link #update(ServiceInstance)} within {@code timeout}; OperationTimeout after it. */
  public void update(ServiceInstance changed, Duration timeout) throws InterruptedException {
    update(changed, Deadline.after(timeout));
  }

  private void update(ServiceInstance changed, Deadline deadline) throws InterruptedException {
    if (changed == null || !changed.name().equals(instance.name())
        || !changed.id().equals(instance.id())) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path(),
          "an update must keep the service name and instance id of " + path());
    }
    if (closed.get() || node.setData(changed.toBytes(), deadline).isEmpty()) {
      throw KeelException.create(KeelException.Code.NONODE, path(),
          "the registration " + path() + " is gone: closed, or its session ended");
    }
    instance = changed;
  }

  /** Deregisters the instance. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      node.delete(Deadline.after(Duration.ofMillis(client.sessionTimeoutMs())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ZNodes.deleteOwnedAsync(client, node.path());
    } catch (KeelException e) {
      // Session lost or cluster unreachable for a whole session timeout: the node dies with it.
    }
  }
}
