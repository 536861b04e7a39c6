package io.keel.recipes.lock;

import io.keel.client.KeelException;
import io.keel.client.Op;
import io.keel.client.OpResult;
import java.util.List;

/**
 * Proof of holding a lock, a read or write lock, or a semaphore lease, until {@link #close()}.
 *
 * <p>Holding ends when the lease is closed or when the client's session ends (its node is
 * ephemeral). While the client is SUSPENDED the lease may already be gone: a holder that must not
 * overlap with the next one passes {@link #fencingToken()} to the resource it protects, which
 * refuses tokens smaller than the largest it has seen, or makes its writes to Keel conditional on
 * still holding with {@link #guard()}.
 *
 * <p>Thread-safe; {@code close()} is idempotent.
 */
public interface Lease extends AutoCloseable {
  /**
   * The zxid of the creation of this lease's node: larger for every later holder of the same lock
   * (holders are served in the order their nodes were created).
   */
  long fencingToken();

  /** The lease's node. */
  String path();

  /**
   * A multi op that fails unless this lease's node still exists, i.e. the lease is still held:
   * put it first in a {@code multi} to make the other ops conditional on holding.
   */
  default Op guard() {
    return Op.check(path(), -1);
  }

  /**
   * Runs {@code ops} as one multi that commits only if this lease is still held.
   *
   * @throws KeelException.NoNodeException (with per-op results) if the lease is no longer held
   */
  List<OpResult> guardedMulti(List<Op> ops);

  /** False once closed; true otherwise (the session may still have ended: see the class doc). */
  boolean isOpen();

  /** Releases the lease. Idempotent; never throws. */
  @Override
  void close();
}
