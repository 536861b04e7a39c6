package io.keel.recipes.counter;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.NodeData;
import io.keel.client.Op;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The optimistic-update engine behind {@link AtomicCounter}: read the value and version, write
 * conditioned on that version, again on conflict; replace the node before its version would wrap.
 * See {@link AtomicCounter} for the guarantees. Stateless apart from its arguments; thread-safe.
 */
final class CounterNode {
  /** The last version a setData can step from without wrapping into negative versions. */
  static final int LAST_VERSION = Integer.MAX_VALUE;
  /** For client calls under a deadline that has none: the client's own timeout applies. */
  private static final Duration NO_CAP = Duration.ofDays(1);

  private final KeelClient client;
  private final String path;
  private final int replaceAtVersion;

  CounterNode(KeelClient client, String path, int replaceAtVersion) {
    this.client = client;
    this.path = path;
    this.replaceAtVersion = replaceAtVersion;
  }

  /** What an update makes of the value it read: the value to write, or null to write nothing. */
  @FunctionalInterface
  interface Step {
    Long next(long current);
  }

  /** What an update found and left; {@code written} false: the step chose not to write. */
  record Outcome(long previous, long current, boolean written) {}

  /** The node as read: {@code exists} false reads as value 0. */
  record Node(long value, int version, boolean exists) {}

  Optional<Outcome> update(Step step, Deadline deadline) throws InterruptedException {
    boolean fresh = false;
    while (true) {
      if (deadline.expired()) {
        return Optional.empty();
      }
      Node node;
      try {
        node = read(deadline, fresh);
      } catch (KeelException e) {
        return orEmptyIfLate(e, deadline, Optional.empty());
      }
      Long next = step.next(node.value());
      if (next == null) {
        if (fresh) {
          return Optional.of(new Outcome(node.value(), node.value(), false));
        }
        // A stale read must not decide "no": look again at the latest value.
        fresh = true;
        continue;
      }
      Written w = write(node, next);
      if (w == Written.WRITTEN) {
        return Optional.of(new Outcome(node.value(), next, true));
      }
      if (w == Written.NO_PARENT) {
        try {
          String parent = ZNodes.parent(path);
          ZNodes.retryRun(client, deadline,
              () -> ZNodes.ensurePath(client, parent, CreateMode.CONTAINER));
        } catch (KeelException e) {
          return orEmptyIfLate(e, deadline, Optional.empty());
        }
      }
      // On CONFLICT someone wrote first. Its failure reply carried the zxid of the conflict, so
      // the next read, even at a lagging server, is at least that new.
    }
  }

  private enum Written { WRITTEN, CONFLICT, NO_PARENT }

  /** One conditional write of {@code next} over {@code node}. */
  private Written write(Node node, long next) {
    byte[] data = CounterData.encode(next);
    try {
      if (!node.exists()) {
        client.create(path, data, CreateMode.PERSISTENT);
      } else if (node.version() < 0) {
        throw KeelException.create(KeelException.Code.BADVERSION, path, "node " + path
            + " has version " + node.version() + ": more than 2^31 writes not made by this recipe "
            + "wrapped it, and no compare-and-set can name it; delete and re-initialize it");
      } else if (node.version() >= replaceAtVersion) {
        // A setData would wrap the version; a new node starts at version 0.
        client.multi(List.of(Op.delete(path, node.version()),
            Op.create(path, data, CreateMode.PERSISTENT)));
      } else {
        client.setData(path, data, node.version());
      }
      return Written.WRITTEN;
    } catch (KeelException.BadVersionException | KeelException.NodeExistsException e) {
      return Written.CONFLICT;
    } catch (KeelException.NoNodeException e) {
      // A create's NONODE is its missing parent; a setData's, a node deleted meanwhile.
      return node.exists() ? Written.CONFLICT : Written.NO_PARENT;
    }
  }

  Optional<Boolean> initialize(long value, Deadline deadline) throws InterruptedException {
    byte[] data = CounterData.encode(value);
    while (true) {
      try {
        // Repeating a create is harmless: at worst it finds the node a lost reply made.
        ZNodes.retry(client, deadline, () -> client.create(path, data, CreateMode.PERSISTENT,
            deadline.remaining(NO_CAP)));
        return Optional.of(true);
      } catch (KeelException.NodeExistsException e) {
        return Optional.of(false);
      } catch (KeelException.NoNodeException e) {
        String parent = ZNodes.parent(path);
        ZNodes.retryRun(client, deadline,
            () -> ZNodes.ensurePath(client, parent, CreateMode.CONTAINER));
      }
    }
  }

  Node read(Deadline deadline, boolean sync) throws InterruptedException {
    if (sync) {
      ZNodes.retryRun(client, deadline, () -> client.sync(path, deadline.remaining(NO_CAP)));
    }
    try {
      NodeData nd = ZNodes.retry(client, deadline,
          () -> client.getData(path, deadline.remaining(NO_CAP)));
      return new Node(CounterData.decode(path, nd.data()), nd.stat().version(), true);
    } catch (KeelException.NoNodeException e) {
      return new Node(0, -1, false);
    }
  }

  /** A transient failure that ran into the caller's deadline is a timeout: {@code empty}. */
  static <T> T orEmptyIfLate(KeelException e, Deadline deadline, T empty) {
    if (ZNodes.isTransient(e) && deadline.expired()) {
      return empty;
    }
    throw e;
  }
}
