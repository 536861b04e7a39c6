package io.keel.recipes.queue;

import io.keel.client.ConnectionState;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Op;
import io.keel.client.OpResult;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.List;

/**
 * Multis whose reply may be lost (connection loss, timeout): the caller says how to tell from the
 * nodes whether one was applied, and it is sent again only if it was not, so none applies twice.
 * Stateless; thread-safe.
 */
final class Writes {
  private Writes() {}

  /** Reads (after a sync) whether the lost multi was applied. */
  @FunctionalInterface
  interface Resolver {
    boolean applied(Deadline deadline) throws InterruptedException;
  }

  /**
   * Applies {@code ops}. Returns true when the cluster answered, false when a lost reply was
   * resolved as applied. Other failures are thrown as they are; so is the transient one when the
   * resolution itself fails (the cluster unreachable for a session timeout more: outcome unknown).
   */
  static boolean apply(KeelClient client, List<Op> ops, Resolver resolver)
      throws InterruptedException {
    while (true) {
      try {
        client.multi(ops);
        return true;
      } catch (KeelException e) {
        if (!ZNodes.isTransient(e) || client.connectionState() == ConnectionState.LOST) {
          throw e;
        }
        boolean applied;
        try {
          applied = resolver.applied(
              Deadline.after(Duration.ofMillis(client.sessionTimeoutMs())));
        } catch (KeelException unresolved) {
          e.addSuppressed(unresolved);
          throw e;
        }
        if (applied) {
          return false;
        }
      }
    }
  }

  /** Brings this client's server up to date with the cluster (for reading another's writes). */
  static void sync(KeelClient client, String path, Deadline deadline) throws InterruptedException {
    ZNodes.retryRun(client, deadline, () -> client.sync(path));
  }

  /** True if {@code path} exists, after a sync. */
  static boolean exists(KeelClient client, String path, Deadline deadline)
      throws InterruptedException {
    sync(client, path, deadline);
    return ZNodes.retry(client, deadline, () -> client.exists(path)).isPresent();
  }

  /**
   * Whether the session is alive, asked of the log: reads still answer for an expired session, a
   * write does not. A session alive now was alive before, so its ephemerals were never reaped.
   */
  static boolean sessionAlive(KeelClient client, Deadline deadline) throws InterruptedException {
    try {
      ZNodes.retry(client, deadline, () -> client.multi(List.of(Op.check("/", -1))));
      return true;
    } catch (KeelException.SessionExpiredException e) {
      return false;
    }
  }

  /** The index of the op that failed a multi, or -1 if the exception does not say. */
  static int failedOp(KeelException e) {
    List<OpResult> results = e.results();
    for (int i = 0; i < results.size(); i++) {
      if (results.get(i) instanceof OpResult.ErrorResult err
          && err.code() != KeelException.Code.OK
          && err.code() != KeelException.Code.RUNTIMEINCONSISTENCY) {
        return i;
      }
    }
    return -1;
  }
}
