package io.keel.recipes.id;

import io.keel.client.ConnectionState;
import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Op;
import io.keel.client.OpResult;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.Sequence;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Cluster-unique, increasing 64-bit ids, one write each: the sequential-node counter of the
 * directory at {@code path}.
 *
 * <p>Each id is the suffix of an ephemeral sequential node this generator creates under the
 * directory; the same multi deletes the generator's previous node, so one write yields one id
 * and each generator keeps at most one node (removed by {@link #close}, or by the end of its
 * session if the process dies). The counter is the directory's count of child creates and deletes,
 * which only grows, so ids never repeat and every id is larger than every id handed out (by any
 * client) before it was asked for. Ids are not consecutive: every create and delete under the
 * directory, by any generator, advances the counter.
 *
 * <p>The counter is 64-bit. ZooKeeper's is the parent's 32-bit cversion and wraps negative after
 * 2^31 children; Keel's server keeps a {@code long} count of child changes
 * ({@code ZNode.childChanges}, snapshotted as a long) and formats the suffix with
 * {@code %010d}, which widens past 10 digits. Ids are read back up to 18 digits (10^18).
 *
 * <p>The directory is created PERSISTENT (its missing ancestors as CONTAINERs) and must never be
 * deleted: a re-created directory starts its counter at 0 again, and ids would repeat. It cannot
 * be deleted while any generator holds its node in it; a generator that sees the counter go back
 * fails with RUNTIMEINCONSISTENCY rather than repeat an id.
 *
 * <p>Connection loss and leader changes are ridden out: a create whose reply was lost is found by
 * the generator's protected name ({@code _c_<uuid>-id-<counter>}) and its id used, or skipped (a
 * gap). {@link KeelException.SessionExpiredException} ends the generator's usefulness: its client
 * is dead. Thread-safe; calls on one generator take turns (one write in flight per generator: use
 * several, or {@link BlockIdGenerator}, for throughput). {@code close} is idempotent.
 */
public final class SequentialIdGenerator implements AutoCloseable {
  private static final Duration NO_CAP = Duration.ofDays(1);

  private final KeelClient client;
  private final String dir;
  private final String head = Sequence.protectedHead(UUID.randomUUID().toString());
  private final ReentrantLock turn = new ReentrantLock();
  /** Guarded by turn: this generator's nodes believed to exist, all numbered at most last. */
  private List<String> ours = new ArrayList<>();
  private long last = -1;
  /** Guarded by turn: a write's outcome is unknown; list our nodes before the next one. */
  private boolean uncertain;
  private volatile boolean closed;

  /** A generator on the directory {@code path}; nothing is created until the first id. */
  public SequentialIdGenerator(KeelClient client, String path) {
    Ids.checkArguments(client, path);
    this.client = client;
    this.dir = path;
  }

  public String path() {
    return dir;
  }

  /** The next id, waiting as long as it takes (through leader changes). */
  public long next() throws InterruptedException {
    return next(Deadline.never()).orElseThrow();
  }

  /** The next id, or empty if none could be had within {@code timeout}. */
  public OptionalLong tryNext(Duration timeout) throws InterruptedException {
    return next(Deadline.after(timeout));
  }

  private OptionalLong next(Deadline deadline) throws InterruptedException {
    if (!turn.tryLock(deadline.remainingNanos(), TimeUnit.NANOSECONDS)) {
      return OptionalLong.empty();
    }
    try {
      boolean needDirectory = false;
      while (true) {
        if (closed) {
          throw Ids.closed(dir);
        }
        if (deadline.expired()) {
          return OptionalLong.empty();
        }
        try {
          if (needDirectory) {
            Ids.ensureDirectory(client, dir, deadline);
            needDirectory = false;
          }
          if (uncertain) {
            OptionalLong found = recover(deadline);
            if (found.isPresent()) {
              return found;
            }
          }
          List<Op> ops = new ArrayList<>(1 + ours.size());
          ops.add(Op.create(ZNodes.join(dir, head + "id-"), null, CreateMode.EPHEMERAL_SEQUENTIAL));
          for (String p : ours) {
            ops.add(Op.delete(p, KeelClient.ANY_VERSION));
          }
          List<OpResult> results = client.multi(ops, deadline.remaining(NO_CAP));
          return OptionalLong.of(accept(((OpResult.CreateResult) results.get(0)).path()));
        } catch (KeelException.NoNodeException e) {
          if (Ids.failedOp(e) <= 0) {
            needDirectory = true;  // the create found no directory
          } else {
            uncertain = true;  // one of our nodes is gone already: list again
          }
        } catch (KeelException e) {
          ConnectionState state = client.connectionState();
          if (!ZNodes.isTransient(e) || state == ConnectionState.LOST
              || state == ConnectionState.CLOSED) {
            throw e;
          }
          uncertain = true;
        }
      }
    } finally {
      turn.unlock();
    }
  }

  /** Takes the node a create made as the next id. */
  private long accept(String path) {
    long id = Sequence.number(ZNodes.name(path));
    ours = new ArrayList<>(List.of(path));  // deleted with the next create, or by close
    if (id <= last) {
      throw KeelException.create(KeelException.Code.RUNTIMEINCONSISTENCY, dir, "the counter of "
          + dir + " went back from " + last + " to " + id + ": the directory was deleted and "
          + "re-created, and ids would repeat");
    }
    last = id;
    return id;
  }

  /**
   * Lists this generator's nodes after a write with an unknown outcome. A node numbered above the
   * last id handed out was made by a create whose reply was lost: no one else has that number,
   * so it is the next id. The others are deleted with the next create.
   */
  private OptionalLong recover(Deadline deadline) throws InterruptedException {
    List<String> mine = Ids.children(client, dir, head, deadline);
    uncertain = false;
    if (mine.isEmpty()) {
      ours = new ArrayList<>();
      return OptionalLong.empty();
    }
    String newest = mine.get(mine.size() - 1);
    if (Sequence.number(ZNodes.name(newest)) > last) {
      long id = accept(newest);
      ours = new ArrayList<>(mine);
      return OptionalLong.of(id);
    }
    ours = new ArrayList<>(mine);
    return OptionalLong.empty();
  }

  /**
   * Deletes this generator's node(s), waiting up to the session timeout (after which the session's
   * end removes them anyway). Later calls to {@link #next} fail. Never throws.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    Deadline deadline = Deadline.after(Duration.ofMillis(client.sessionTimeoutMs()));
    boolean locked = false;
    try {
      locked = turn.tryLock(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
      if (!locked) {
        return;  // a call is stuck on an unreachable cluster: the session's end cleans up
      }
      // Listed, not remembered: a create whose reply was lost may have landed after the last look.
      for (String p : Ids.children(client, dir, head, deadline)) {
        ZNodes.deleteIfExists(client, p, deadline);
      }
      ours = new ArrayList<>();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (KeelException e) {
      // Session gone or cluster unreachable: the nodes are ephemeral and go with the session.
    } finally {
      if (locked) {
        turn.unlock();
      }
    }
  }

  @Override
  public String toString() {
    return "SequentialIdGenerator[" + dir + ", last " + last + "]";
  }
}
