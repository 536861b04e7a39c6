package io.keel.recipes.config;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.NodeData;
import io.keel.client.Stat;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.TreeCache;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tree of config nodes under one path, every node's latest value kept locally and pushed to
 * listeners (Curator's CuratorCache): the root and all its descendants, through one
 * PERSISTENT_RECURSIVE watch.
 *
 * <pre>{@code
 * try (ConfigTree flags = new ConfigTree(client, "/config/flags").start()) {
 *   flags.addListener(tree -> apply(tree));
 *   Versioned dark = flags.get("/config/flags/dark-mode");
 *   flags.trySet("/config/flags/dark-mode", dark.version(), "on".getBytes(UTF_8));
 * }
 * }</pre>
 *
 * <p>Guarantees: every change of a node is followed by a re-read of it, so the tree converges on
 * the last written values and no final value is missed; each node's values arrive in zxid order.
 * Nodes changed close together may show up in one snapshot or several, each node at its own zxid
 * (not one atomic cut). Listeners run one at a time, in order, on a client callback thread; a
 * listener that blocks holds back later updates. Reads of the snapshot never block.
 *
 * <p>Failures: connection loss and leader changes are ridden out (the client restores the watch
 * and replays missed changes; where it cannot, a HISTORY_GAP makes the tree re-read everything).
 * While SUSPENDED the tree keeps its last values. On LOST (session expired) it stops updating
 * and keeps its last snapshot; writes fail with SessionExpiredException: connect a new client.
 * Writes block, honour interrupts and deadlines, and throw OperationTimeoutException when the
 * deadline passes with the outcome unknown. Thread-safe; {@link #close} is idempotent.
 */
public final class ConfigTree implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigTree.class);

  /** Told of each new snapshot of the tree. */
  @FunctionalInterface
  public interface Listener {
    /** {@code tree}: absolute path to value, sorted; only nodes that exist. */
    void changed(SortedMap<String, Versioned> tree);
  }

  /** A cache snapshot and its view as values, made once per snapshot. */
  private record View(SortedMap<String, NodeData> from, SortedMap<String, Versioned> values) {}

  private final KeelClient client;
  private final String root;
  private final TreeCache cache;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private volatile View view = new View(null, Collections.emptySortedMap());
  private volatile boolean started;

  /** The tree under {@code root} (which need not exist yet); nothing is read before start. */
  public ConfigTree(KeelClient client, String root) {
    this(client, root, Integer.MAX_VALUE);
  }

  /** The tree down to {@code depth} levels below the root (0: the root node alone). */
  ConfigTree(KeelClient client, String root, int depth) {
    if (client == null || root == null || !root.startsWith("/")
        || (root.length() > 1 && root.endsWith("/"))) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, root,
          "a config path must be absolute without a trailing slash, and a client is needed");
    }
    this.client = client;
    this.root = root;
    this.cache = new TreeCache(client, root, depth, this::changed);
  }

  /** Sets the watch and reads the tree; waits as long as it takes. */
  public ConfigTree start() throws InterruptedException {
    start(Deadline.never());
    return this;
  }

  /** {@link #start()} waiting at most {@code timeout}; false if the tree is not read by then. */
  public boolean start(Duration timeout) throws InterruptedException {
    return start(Deadline.after(timeout));
  }

  private boolean start(Deadline deadline) throws InterruptedException {
    boolean loaded = cache.start(deadline);
    if (loaded) {
      started = true;
    }
    return loaded;
  }

  public String root() {
    return root;
  }

  /** The latest known tree: absolute path to value, sorted. */
  public SortedMap<String, Versioned> snapshot() {
    checkStarted();
    return values(cache.snapshot());
  }

  /** The latest known value of {@code path} (the root or below it); ABSENT if it has none. */
  public Versioned get(String path) {
    checkUnder(path);
    return snapshot().getOrDefault(path, Versioned.ABSENT);
  }

  /** Calls {@code listener} with every later snapshot (not with the current one). */
  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  public void removeListener(Listener listener) {
    listeners.remove(listener);
  }

  /**
   * Writes {@code value} to {@code path} if its version is {@code expectedVersion}
   * ({@link Versioned#NO_NODE}: creates it, with missing parents, if absent). Returns the new
   * stat, or empty if the version did not match. Once it returns, {@link #get} shows this write or
   * a later one (unless called from a listener, which cannot wait for the next update).
   */
  public Optional<Stat> trySet(String path, int expectedVersion, byte[] value)
      throws InterruptedException {
    return trySet(path, expectedVersion, value, Deadline.never());
  }

  /** {@link #trySet(String, int, byte[])} within {@code timeout}; OperationTimeout after it. */
  public Optional<Stat> trySet(String path, int expectedVersion, byte[] value, Duration timeout)
      throws InterruptedException {
    return trySet(path, expectedVersion, value, Deadline.after(timeout));
  }

  private Optional<Stat> trySet(String path, int expectedVersion, byte[] value, Deadline deadline)
      throws InterruptedException {
    checkUnder(path);
    Optional<Stat> written = Writes.trySet(client, path, expectedVersion, value, deadline);
    if (written.isPresent()) {
      awaitShown(path, deadline);
    }
    return written;
  }

  /** Writes {@code value} to {@code path} whatever its version, creating it if missing. */
  public Stat set(String path, byte[] value) throws InterruptedException {
    return set(path, value, Deadline.never());
  }

  /** {@link #set(String, byte[])} within {@code timeout}; OperationTimeout after it. */
  public Stat set(String path, byte[] value, Duration timeout) throws InterruptedException {
    return set(path, value, Deadline.after(timeout));
  }

  private Stat set(String path, byte[] value, Deadline deadline) throws InterruptedException {
    checkUnder(path);
    Stat written = Writes.set(client, path, value, deadline);
    awaitShown(path, deadline);
    return written;
  }

  /** Removes the watch and the listeners. Idempotent; the last snapshot stays readable. */
  @Override
  public void close() {
    cache.close();
    listeners.clear();
  }

  /** So that get() after our own write shows it; bounded, as the tree catches up anyway. */
  void awaitShown(String path, Deadline deadline) throws InterruptedException {
    if (started && !cache.inCallback()) {
      Deadline.after(deadline.remaining(Duration.ofMillis(client.sessionTimeoutMs())))
          .await(cache.refresh(path));
    }
  }

  private void changed(SortedMap<String, NodeData> tree) {
    SortedMap<String, Versioned> values = values(tree);
    for (Listener l : listeners) {
      try {
        l.changed(values);
      } catch (RuntimeException e) {
        LOG.warn("A listener of the config tree {} failed", root, e);
      }
    }
  }

  private SortedMap<String, Versioned> values(SortedMap<String, NodeData> tree) {
    View v = view;
    if (v.from() != tree) {
      TreeMap<String, Versioned> out = new TreeMap<>();
      for (Map.Entry<String, NodeData> e : tree.entrySet()) {
        out.put(e.getKey(), new Versioned(e.getValue().data(), e.getValue().stat()));
      }
      v = new View(tree, Collections.unmodifiableSortedMap(out));
      view = v;
    }
    return v.values();
  }

  private void checkStarted() {
    if (!started) {
      throw new IllegalStateException("start() the config tree of " + root + " first");
    }
  }

  private void checkUnder(String path) {
    if (path == null || !(path.equals(root)
        || path.startsWith(root.equals("/") ? "/" : root + "/") && !path.endsWith("/"))) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path,
          "path " + path + " is not " + root + " or below it");
    }
  }
}
