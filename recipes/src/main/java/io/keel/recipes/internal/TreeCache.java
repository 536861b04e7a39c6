package io.keel.recipes.internal;

import io.keel.client.AddWatchMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.NodeData;
import io.keel.client.WatchedEvent;
import io.keel.client.Watcher;
import io.keel.client.WatcherType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local copy of a node and its descendants down to {@code maxDepth} levels (0: the node alone),
 * kept current by one persistent watch (Curator's CuratorCache): the engine behind the config,
 * naming and membership caches.
 *
 * <p>An event only marks its path for a re-read. Reads go out in batches, one batch at a time, each
 * issued after the previous one was applied; so after the last change's event some batch reads the
 * final value of that node, and the cache never settles on a stale value. A node seen for the first
 * time also has its children listed. HISTORY_GAP (the client could not replay what changed while
 * it moved between servers) re-reads the whole tree.
 *
 * <p>{@code onChange} gets each new snapshot in which a node appeared, went or changed (czxid or
 * mzxid differ): one call at a time, in the order the snapshots were made (per node, zxid order),
 * on a client callback thread, holding back the next batch while it runs. Snapshots are immutable
 * maps sorted by absolute path; several nodes' values may come from different zxids.
 *
 * <p>Failures: connection loss and timeouts retry the batch with a backoff; a lost session stops
 * the cache for good ({@link #failure()}), keeping its last snapshot. Thread-safe.
 */
public final class TreeCache implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TreeCache.class);
  private static final long MAX_BACKOFF_MS = 1000;

  private final KeelClient client;
  private final String root;
  private final int maxDepth;
  private final Consumer<SortedMap<String, NodeData>> onChange;
  private final Watcher watcher = this::process;
  private final CompletableFuture<Void> loaded = new CompletableFuture<>();
  private volatile SortedMap<String, NodeData> snapshot = Collections.emptySortedMap();
  private volatile Thread notifying;

  // Guarded by this.
  private final Set<String> dirty = new TreeSet<>();
  private final TreeMap<Long, CompletableFuture<Void>> waiting = new TreeMap<>();
  private boolean resync;
  private boolean reading;
  private boolean started;
  private boolean closed;
  private KeelException failure;
  private long requested;
  private long backoffMs;

  /** One round of reads: the paths to re-read, or the whole tree, and the refreshes it answers. */
  private record Batch(Set<String> paths, boolean deep, long covers) {}

  public TreeCache(KeelClient client, String root, int maxDepth,
                   Consumer<SortedMap<String, NodeData>> onChange) {
    if (client == null || root == null || !root.startsWith("/") || maxDepth < 0 || onChange == null) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, root,
          "a tree cache needs a client, an absolute root path, a depth >= 0 and a listener");
    }
    this.client = client;
    this.root = root;
    this.maxDepth = maxDepth;
    this.onChange = onChange;
  }

  /**
   * Sets the watch and loads the tree, which then holds every write completed before the call.
   * Returns true once the first snapshot is made, false if the deadline came first (loading goes
   * on; calling again waits again).
   *
   * @throws KeelException if the watch cannot be set or the session is lost
   */
  public boolean start(Deadline deadline) throws InterruptedException {
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the cache of " + root + " is closed");
      }
    }
    try {
      // Idempotent: the client keeps one watch per watcher, so a second start repeats it harmlessly.
      ZNodes.retryRun(client, deadline, () -> client.addWatch(root, watcher,
          maxDepth == 0 ? AddWatchMode.PERSISTENT : AddWatchMode.PERSISTENT_RECURSIVE));
      // The first load then sees every write completed before start, also other clients'.
      ZNodes.retryRun(client, deadline, () -> client.sync(root));
    } catch (KeelException e) {
      if (ZNodes.isTransient(e) && deadline.expired()) {
        return false;
      }
      throw e;
    }
    synchronized (this) {
      if (!started) {
        // Only now: a read before the watch is in place could miss a change in between.
        started = true;
        resync = true;
      }
    }
    kick();
    if (!deadline.await(loaded)) {
      return false;
    }
    if (loaded.isCompletedExceptionally()) {
      try {
        loaded.join();
      } catch (CompletionException e) {
        // The session's loss (a KeelException) or the cache's close, as thrown here.
        throw e.getCause() instanceof RuntimeException r ? r : e;
      }
    }
    return true;
  }

  /** The latest snapshot: absolute path to data and stat, sorted. Empty before the first load. */
  public SortedMap<String, NodeData> snapshot() {
    return snapshot;
  }

  /** The failure that stopped the cache (its session was lost), if any. */
  public synchronized Optional<KeelException> failure() {
    return Optional.ofNullable(failure);
  }

  /** True on the thread that is running {@code onChange} now. */
  public boolean inCallback() {
    return notifying == Thread.currentThread();
  }

  /**
   * Re-reads {@code path} (the root or a node under it); completes once a batch issued after
   * this call was applied, so the snapshot then reflects everything written before the call.
   */
  public CompletableFuture<Void> refresh(String path) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    synchronized (this) {
      if (failure != null) {
        return CompletableFuture.failedFuture(failure);
      }
      if (closed) {
        return CompletableFuture.completedFuture(null);
      }
      dirty.add(path);
      waiting.put(++requested, done);
    }
    kick();
    return done;
  }

  /** Removes the watch and stops reading. Idempotent; the last snapshot stays readable. */
  @Override
  public void close() {
    List<CompletableFuture<Void>> left;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      left = new ArrayList<>(waiting.values());
      waiting.clear();
    }
    left.forEach(f -> f.complete(null));
    loaded.completeExceptionally(new IllegalStateException("the cache of " + root + " was closed"));
    // The client drops the watch locally at once; the server's copy goes with this request.
    client.removeWatchesAsync(root, watcher, maxDepth == 0
        ? WatcherType.PERSISTENT : WatcherType.PERSISTENT_RECURSIVE).exceptionally(e -> null);
  }

  private void process(WatchedEvent event) {
    synchronized (this) {
      switch (event.type()) {
        case NODE_CREATED, NODE_DELETED, NODE_DATA_CHANGED -> {
          if (TreeSnapshots.depth(root, event.path()) <= maxDepth) {
            dirty.add(event.path());
          }
        }
        case HISTORY_GAP -> {
          LOG.info("Changes under {} may have been missed (history gap at zxid {}): re-reading it all",
              root, event.zxid());
          resync = true;
        }
        case SESSION_EXPIRED -> {
          fail(KeelException.create(KeelException.Code.SESSIONEXPIRED, root,
              "the session ended: the cache of " + root + " stops"));
          return;
        }
        default -> {
          return;  // children changed (seen by the recursive watch per node), watch removed
        }
      }
    }
    kick();
  }

  private void kick() {
    Batch batch;
    synchronized (this) {
      if (reading || closed || failure != null || !started || (dirty.isEmpty() && !resync)) {
        return;
      }
      reading = true;
      batch = new Batch(resync ? Set.of() : new TreeSet<>(dirty), resync, requested);
      dirty.clear();
      resync = false;
    }
    SortedMap<String, NodeData> before = snapshot;
    Map<String, Optional<NodeData>> found = new ConcurrentHashMap<>();
    Set<String> claimed = ConcurrentHashMap.newKeySet();
    CompletableFuture<Void> reads;
    if (batch.deep()) {
      reads = load(root, 0, true, before, found, claimed);
    } else {
      claimed.addAll(batch.paths());
      reads = CompletableFuture.allOf(batch.paths().stream()
          .map(p -> load(p, TreeSnapshots.depth(root, p), false, before, found, claimed))
          .toArray(CompletableFuture[]::new));
    }
    reads.whenComplete((ok, error) -> finish(batch, before, found, error));
  }

  /** Reads {@code path}; lists the children of a node new to the cache (of every node if deep). */
  private CompletableFuture<Void> load(String path, int depth, boolean deep,
                                       SortedMap<String, NodeData> before,
                                       Map<String, Optional<NodeData>> found, Set<String> claimed) {
    return client.getDataAsync(path).handle((data, error) -> {
      if (error != null) {
        if (cause(error) instanceof KeelException.NoNodeException) {
          found.put(path, Optional.empty());
          return CompletableFuture.<Void>completedFuture(null);
        }
        throw new CompletionException(cause(error));
      }
      found.put(path, Optional.of(data));
      if (depth >= maxDepth || (before.containsKey(path) && !deep)) {
        return CompletableFuture.<Void>completedFuture(null);
      }
      return client.getChildrenAsync(path).handle((names, failed) -> {
        if (failed != null) {
          if (cause(failed) instanceof KeelException.NoNodeException) {
            found.put(path, Optional.empty());  // deleted between the two reads
            return CompletableFuture.<Void>completedFuture(null);
          }
          throw new CompletionException(cause(failed));
        }
        Set<String> kids = new TreeSet<>();
        names.forEach(n -> kids.add(ZNodes.join(path, n)));
        if (deep) {
          kids.addAll(TreeSnapshots.childrenOf(before, path));  // so that ones gone unseen are read as gone
        }
        return CompletableFuture.allOf(kids.stream().filter(claimed::add)
            .map(k -> load(k, depth + 1, deep, before, found, claimed))
            .toArray(CompletableFuture[]::new));
      }).thenCompose(f -> f);
    }).thenCompose(f -> f);
  }

  private void finish(Batch batch, SortedMap<String, NodeData> before,
                      Map<String, Optional<NodeData>> found, Throwable error) {
    if (error != null) {
      retryLater(batch, cause(error));
      return;
    }
    SortedMap<String, NodeData> next = TreeSnapshots.apply(before, found);
    snapshot = next;
    if (!TreeSnapshots.sameValues(before, next) && !isClosed()) {
      notifying = Thread.currentThread();
      try {
        onChange.accept(next);
      } catch (RuntimeException e) {
        LOG.warn("A listener of the cache of {} failed", root, e);
      } finally {
        notifying = null;
      }
    }
    List<CompletableFuture<Void>> done;
    synchronized (this) {
      reading = false;
      backoffMs = 0;
      SortedMap<Long, CompletableFuture<Void>> covered = waiting.headMap(batch.covers(), true);
      done = new ArrayList<>(covered.values());
      covered.clear();
    }
    loaded.complete(null);
    done.forEach(f -> f.complete(null));
    kick();
  }

  private void retryLater(Batch batch, Throwable error) {
    long delay;
    synchronized (this) {
      reading = false;
      if (closed) {
        return;
      }
      if (!(error instanceof KeelException k) || !ZNodes.isTransient(k)) {
        fail(error instanceof KeelException k ? k : KeelException.create(
            KeelException.Code.SYSTEMERROR, root, "the cache of " + root + " failed: " + error));
        return;
      }
      dirty.addAll(batch.paths());
      resync |= batch.deep();
      backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(20, backoffMs * 2));
      delay = backoffMs;
    }
    // Backs off so a leader election is not flooded with reads; any event kicks sooner.
    CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS).execute(this::kick);
  }

  /** Stops for good: everyone waiting hears why. Called holding the lock. */
  private void fail(KeelException e) {
    if (failure != null || closed) {
      return;
    }
    failure = e;
    List<CompletableFuture<Void>> left = new ArrayList<>(waiting.values());
    waiting.clear();
    left.forEach(f -> f.completeExceptionally(e));
    loaded.completeExceptionally(e);
  }

  private synchronized boolean isClosed() {
    return closed;
  }

  private static Throwable cause(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
