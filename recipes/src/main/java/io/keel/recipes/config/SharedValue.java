package io.keel.recipes.config;

import io.keel.client.KeelClient;
import io.keel.client.Stat;
import io.keel.recipes.internal.Deadline;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One node whose latest value every subscriber sees (Curator's SharedValue and NodeCache), with
 * compare-and-set updates.
 *
 * <pre>{@code
 * try (SharedValue limit = new SharedValue(client, "/config/rate-limit").start()) {
 *   limit.addListener(v -> limiter.setRate(Integer.parseInt(v.text())));
 *   Versioned now = limit.get();
 *   limit.trySet(now.version(), "200".getBytes(UTF_8));   // empty if someone changed it first
 * }
 * }</pre>
 *
 * <p>Guarantees: {@link #start()} reads the current value (every write completed before it, by
 * any client); after that a PERSISTENT watch makes every change be followed by a re-read, so every
 * subscriber converges on the last written value (none settles on an older one, even after a
 * burst of writes). Listeners get each new value with its {@link Stat}, one call at a time, in
 * zxid order, on a client callback thread; values written in quick succession may be coalesced
 * into the latest. A deleted node reads as {@link Versioned#ABSENT}. {@link #trySet} succeeds
 * for exactly one writer per version.
 *
 * <p>Failures: as {@link ConfigTree}: connection loss, leader changes and HISTORY_GAP are ridden
 * out by re-reading; on LOST the value stops updating (the last one stays readable) and writes
 * fail with SessionExpiredException. Thread-safe; {@link #close} (idempotent) removes the watch.
 */
public final class SharedValue implements AutoCloseable {
  /** Told of each new value. */
  @FunctionalInterface
  public interface Listener {
    void changed(Versioned value);
  }

  private final String path;
  private final ConfigTree node;
  private final Map<Listener, ConfigTree.Listener> adapters = new ConcurrentHashMap<>();

  /** The value of {@code path} (which need not exist yet); nothing is read before start. */
  public SharedValue(KeelClient client, String path) {
    this.node = new ConfigTree(client, path, 0);
    this.path = path;
  }

  /** Sets the watch and reads the current value; waits as long as it takes. */
  public SharedValue start() throws InterruptedException {
    node.start();
    return this;
  }

  /** {@link #start()} waiting at most {@code timeout}; false if not read by then. */
  public boolean start(Duration timeout) throws InterruptedException {
    return node.start(timeout);
  }

  public String path() {
    return path;
  }

  /** The latest known value; never blocks. */
  public Versioned get() {
    return node.get(path);
  }

  /** Calls {@code listener} with every later value (not with the current one). */
  public void addListener(Listener listener) {
    ConfigTree.Listener adapter = tree -> listener.changed(tree.getOrDefault(path, Versioned.ABSENT));
    if (adapters.putIfAbsent(listener, adapter) == null) {
      node.addListener(adapter);
    }
  }

  public void removeListener(Listener listener) {
    ConfigTree.Listener adapter = adapters.remove(listener);
    if (adapter != null) {
      node.removeListener(adapter);
    }
  }

  /**
   * Writes {@code value} if the node's version is {@code expectedVersion} ({@link
   * Versioned#NO_NODE}: creates it if absent). Returns the new stat (its version is the next
   * expected one), or empty if another write came first. Afterwards {@link #get} shows this write
   * or a later one (unless called from a listener).
   */
  public Optional<Stat> trySet(int expectedVersion, byte[] value) throws InterruptedException {
    return node.trySet(path, expectedVersion, value);
  }

  /** {@link #trySet(int, byte[])} within {@code timeout}; OperationTimeout after it. */
  public Optional<Stat> trySet(int expectedVersion, byte[] value, Duration timeout)
      throws InterruptedException {
    return node.trySet(path, expectedVersion, value, timeout);
  }

  /** Writes {@code value} whatever the version, creating the node if missing. */
  public Stat set(byte[] value) throws InterruptedException {
    return node.set(path, value);
  }

  /** {@link #set(byte[])} within {@code timeout}; OperationTimeout after it. */
  public Stat set(byte[] value, Duration timeout) throws InterruptedException {
    return node.set(path, value, timeout);
  }

  /** Waits (boundedly) until {@link #get} shows every write made before the call. */
  void awaitShown(Deadline deadline) throws InterruptedException {
    node.awaitShown(path, deadline);
  }

  /** Removes the watch and the listeners. Idempotent. */
  @Override
  public void close() {
    node.close();
    adapters.clear();
  }
}
