package io.keel.tree;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The inverse of every change made while applying one log entry, newest first, so that a failed
 * multi (or an operation that fails half way) leaves the tree exactly as it was. One per apply;
 * not thread-safe (used under {@link DataTree}'s write lock).
 */
final class UndoLog {

  private final Deque<Runnable> undos = new ArrayDeque<>();

  void record(Runnable undo) {
    undos.push(undo);
  }

  /** Undoes every recorded change, newest first, and forgets them. */
  void rollback() {
    while (!undos.isEmpty()) {
      undos.pop().run();
    }
  }
}
