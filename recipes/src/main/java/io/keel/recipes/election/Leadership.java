package io.keel.recipes.election;

import io.keel.client.KeelException;
import io.keel.client.Op;
import io.keel.client.OpResult;
import java.util.List;

/**
 * One term of leadership of one participant of an {@link Election}: from the moment the
 * participant became leader until it lost, resigned or closed.
 *
 * <p>A term is what a leader acts under. Its {@link #fencingToken()} is larger than every earlier
 * term's, of this participant and of every other one, so a resource that remembers the largest
 * token it has seen can refuse a deposed leader that still believes it leads (after a GC pause or
 * while SUSPENDED). Writes to Keel itself can be made conditional on the term with {@link #guard()}.
 *
 * <p>{@link #close()} resigns if this term is still the current one, so a term can be held in a
 * try-with-resources block. Thread-safe; {@code close()} is idempotent.
 */
public interface Leadership extends AutoCloseable {
  /**
   * The zxid of the write that began this term. It grows from term to term across all
   * participants: a term begins only after every earlier term's leader gave up its place, and that
   * write comes after it.
   */
  long fencingToken();

  /** The id of the participant holding this term. */
  String participantId();

  /** The node {@link #guard()} checks: this participant's own node in the election. */
  String path();

  /**
   * A multi op that fails once a later term may have begun: it checks this participant's node at
   * the version this term's first write gave it. Every later term (of anyone) starts only after
   * that node is deleted or written again, so a multi led by this op commits only while no other
   * term can have started. Put it first in a {@code multi}.
   */
  Op guard();

  /**
   * Runs {@code ops} as one multi that commits only under this term (see {@link #guard()}), and
   * returns their results (without the guard's).
   *
   * @throws KeelException.NoNodeException or {@link KeelException.BadVersionException} (with per-op
   *     results) if a later term may have begun
   */
  List<OpResult> guardedMulti(List<Op> ops);

  /**
   * True until this participant learns the term is over (lost, suspended, resigned, closed). A
   * true answer is this participant's belief only: while the client cannot reach the cluster it may
   * be stale; rely on {@link #fencingToken()} or {@link #guard()} where that matters.
   */
  boolean isCurrent();

  /** Resigns if this term is still the current one (see {@link Election#resign()}); else nothing. */
  @Override
  void close();
}
