package io.keel.recipes.id;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Cluster-unique 64-bit ids at memory speed: the generator reserves a block of {@code blockSize}
 * ids with one write and hands them out locally.
 *
 * <p>The node at {@code path} holds the next unreserved id as decimal text ({@code keel get}
 * shows it; {@code io.keel.recipes.counter.AtomicCounter} reads it). A reservation of
 * {@code [start, start + blockSize)} moves it forward by compare-and-set on the node's version, so
 * generators on the same path, in any process, never get overlapping blocks; different generators
 * may use different block sizes. The first id of a new node is 0. The node is created PERSISTENT
 * (its missing ancestors as CONTAINERs) and must never be deleted or set back: ids would repeat (a
 * generator that sees its blocks go back fails with RUNTIMEINCONSISTENCY instead).
 *
 * <p>Order: ids increase per generator: an id returned before a call starts is smaller than the
 * id that call returns, so each thread sees a strictly increasing sequence. Across generators
 * (clients) ids interleave: a later id of one may be smaller than an earlier one of another. For
 * increasing ids per process, share one generator. Ids are not dense: what a generator reserved
 * but did not hand out before {@link #close} (or its process died) is skipped, as is a block whose
 * reservation reply was lost.
 *
 * <p>With {@code prefetch}, the next block is reserved on a background thread once half of the
 * current one is handed out, so callers rarely wait for the cluster; that block's ids are skipped
 * too if the generator is closed unused.
 *
 * <p>Blocking: only a call that finds the block used up waits, for the reservation (or the
 * prefetch in flight); reservations ride out connection loss and leader changes. Failures: a
 * session that ended fails the call with {@link KeelException.SessionExpiredException}; the ids
 * left in the current block are still handed out. Thread-safe and lock-free while a block lasts.
 * {@code close} is idempotent and stops the prefetch thread.
 */
public final class BlockIdGenerator implements AutoCloseable {
  private static final Block EMPTY = new Block(0, 0, -1);

  private final BlockCounter counter;
  private final String path;
  private final long blockSize;
  private final boolean prefetch;
  private final ReentrantLock refill = new ReentrantLock();
  private volatile Block current = EMPTY;
  private volatile boolean closed;
  /** Guarded by refill: the end of the last block installed, to notice a counter that went back. */
  private long reservedEnd = 0;
  /** Guarded by refill: the start of the next block, reserved in the background. */
  private CompletableFuture<Long> prefetched;
  /** Runs reservations ahead; its one thread starts with the first prefetch. Null without. */
  private final ExecutorService prefetcher;

  /** A generator reserving {@code blockSize} ids at a time, prefetching the next block. */
  public BlockIdGenerator(KeelClient client, String path, long blockSize) {
    this(client, path, blockSize, true);
  }

  public BlockIdGenerator(KeelClient client, String path, long blockSize, boolean prefetch) {
    this(client, path, blockSize, prefetch, BlockCounter.LAST_VERSION);
  }

  /** With an earlier node replacement version, so that tests can reach it. */
  BlockIdGenerator(KeelClient client, String path, long blockSize, boolean prefetch,
                   int replaceAtVersion) {
    Ids.checkArguments(client, path);
    if (blockSize < 1) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path,
          "blockSize must be at least 1, got " + blockSize);
    }
    this.counter = new BlockCounter(client, path, replaceAtVersion);
    this.path = path;
    this.blockSize = blockSize;
    this.prefetch = prefetch;
    this.prefetcher = !prefetch ? null : Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "keel-id-prefetch " + path);
      t.setDaemon(true);
      return t;
    });
  }

  public String path() {
    return path;
  }

  public long blockSize() {
    return blockSize;
  }

  /** The next id; waits as long as it takes when a new block must be reserved. */
  public long next() throws InterruptedException {
    return next(Deadline.never()).orElseThrow();
  }

  /** The next id; empty if a new block was needed and could not be had within {@code timeout}. */
  public OptionalLong tryNext(Duration timeout) throws InterruptedException {
    return next(Deadline.after(timeout));
  }

  private OptionalLong next(Deadline deadline) throws InterruptedException {
    while (true) {
      if (closed) {
        throw Ids.closed(path);
      }
      Block b = current;
      long id = b.next.getAndIncrement();
      // Past the end (or wrapped past Long.MAX_VALUE by racing threads): the block is used up.
      if (id >= b.start && id < b.end) {
        if (id == b.prefetchAt) {
          startPrefetch(b);
        }
        return OptionalLong.of(id);
      }
      if (!refill(b, deadline)) {
        return OptionalLong.empty();
      }
    }
  }

  /** Replaces the used-up block {@code b}; false if the deadline came first. */
  private boolean refill(Block b, Deadline deadline) throws InterruptedException {
    if (!refill.tryLock(deadline.remainingNanos(), TimeUnit.NANOSECONDS)) {
      return false;
    }
    try {
      if (current != b) {
        return true;  // another thread refilled it meanwhile
      }
      Long start = null;
      CompletableFuture<Long> ahead = prefetched;
      if (ahead != null) {
        if (!deadline.await(ahead)) {
          return false;  // it goes on; the next caller takes it
        }
        prefetched = null;
        if (!ahead.isCompletedExceptionally()) {
          start = ahead.join();
        }
      }
      if (start == null) {
        try {
          start = counter.reserve(blockSize, deadline);
        } catch (KeelException e) {
          if (ZNodes.isTransient(e) && deadline.expired()) {
            return false;
          }
          throw e;
        }
      }
      install(start);
      return true;
    } finally {
      refill.unlock();
    }
  }

  private void install(long start) {
    if (start < reservedEnd) {
      throw KeelException.create(KeelException.Code.RUNTIMEINCONSISTENCY, path, "the id counter at "
          + path + " went back from " + reservedEnd + " to " + start + ": it was deleted or set "
          + "back, and ids would repeat");
    }
    reservedEnd = start + blockSize;
    current = new Block(start, start + blockSize, prefetch ? start + blockSize / 2 : -1);
  }

  /**
   * Reserves the block after {@code b} in the background. Skipped while a refill runs (it is
   * getting a block itself): reservations must happen in the order their blocks are used.
   */
  private void startPrefetch(Block b) {
    if (!refill.tryLock()) {
      return;
    }
    try {
      if (closed || current != b || prefetched != null) {
        return;
      }
      CompletableFuture<Long> f = new CompletableFuture<>();
      prefetched = f;
      try {
        prefetcher.execute(() -> {
          try {
            f.complete(counter.reserve(blockSize, Deadline.never()));
          } catch (InterruptedException e) {
            f.completeExceptionally(e);  // closed
          } catch (RuntimeException e) {
            f.completeExceptionally(e);  // the caller that needs the block reserves it itself
          }
        });
      } catch (RejectedExecutionException e) {
        f.completeExceptionally(e);  // closed meanwhile
      }
    } finally {
      refill.unlock();
    }
  }

  /** Stops the prefetch; ids not handed out yet are skipped. Later calls to next fail. */
  @Override
  public void close() {
    closed = true;
    if (prefetcher != null) {
      prefetcher.shutdownNow();
    }
  }

  @Override
  public String toString() {
    Block b = current;
    return "BlockIdGenerator[" + path + ", block [" + b.start + ", " + b.end + ")]";
  }

  /** A reserved range being handed out; {@code next} runs past {@code end} once it is used up. */
  private static final class Block {
    final long start;
    final long end;
    final long prefetchAt;
    final AtomicLong next;

    Block(long start, long end, long prefetchAt) {
      this.start = start;
      this.end = end;
      this.prefetchAt = prefetchAt;
      this.next = new AtomicLong(start);
    }
  }
}
