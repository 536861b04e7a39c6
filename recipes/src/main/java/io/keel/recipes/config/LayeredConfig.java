package io.keel.recipes.config;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Stat;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.KeyValueText;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The config of one application: a {@code common} node that several applications share, overridden
 * key by key by the application's own node, both holding {@code key=value} text
 * ({@link java.util.Properties} syntax, UTF-8). Layout: {@code <root>/common} and
 * {@code <root>/apps/<app>}; either may be missing (no keys).
 *
 * <pre>{@code
 * try (LayeredConfig config = new LayeredConfig(client, "billing").start()) {
 *   int pool = config.view().getInt("db.pool.size", 10);
 *   config.addListener(view -> resize(view.getInt("db.pool.size", 10)));
 *   config.put(Layer.APP, "db.pool.size", "20");          // this application only
 *   config.update(Layer.COMMON, "deploys", n -> String.valueOf(n == null ? 1 : Long.parseLong(n) + 1));
 * }
 * }</pre>
 *
 * <p>Guarantees: {@link #view()} is the merged view of the latest values seen of both nodes and
 * converges on their last writes; listeners get each new merged view, one call at a time, on a
 * client callback thread. {@link #update} changes one key atomically (compare-and-set on the
 * node's version, retried on conflict), so concurrent updates of any keys of a node never lose
 * each other. Once an update returns, {@link #view()} shows it (unless called from a listener).
 * A typed getter on a bad value fails naming the key, the value and its node. A node whose text
 * is malformed fails {@link #start()}; later, its last good content is kept and a warning logged.
 *
 * <p>Failures: as {@link SharedValue}. Writes block, honour interrupts and deadlines (then
 * OperationTimeoutException, outcome unknown). Thread-safe; {@link #close} is idempotent.
 */
public final class LayeredConfig implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LayeredConfig.class);
  public static final String DEFAULT_ROOT = "/config";

  /** Which node a write goes to. */
  public enum Layer { COMMON, APP }

  /** Told of each new merged view. */
  @FunctionalInterface
  public interface Listener {
    void changed(ConfigView view);
  }

  private final KeelClient client;
  private final SharedValue common;
  private final SharedValue own;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private volatile ConfigView view;
  private volatile Thread notifying;
  // Guarded by this: the last content of each node that parsed.
  private SortedMap<String, String> commonKeys;
  private SortedMap<String, String> appKeys;

  /** Application {@code app}'s config under {@link #DEFAULT_ROOT}. */
  public LayeredConfig(KeelClient client, String app) {
    this(client, DEFAULT_ROOT, app);
  }

  /** Application {@code app}'s config under {@code root}; nothing is read before start. */
  public LayeredConfig(KeelClient client, String root, String app) {
    if (app == null || app.isEmpty() || app.contains("/") || app.equals(".") || app.equals("..")) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, root,
          "an application name must be one non-empty path element, got '" + app + "'");
    }
    this.client = client;
    this.common = new SharedValue(client, ZNodes.join(root, "common"));
    this.own = new SharedValue(client, ZNodes.join(ZNodes.join(root, "apps"), app));
    common.addListener(v -> changed());
    own.addListener(v -> changed());
  }

  /** Reads both nodes and sets their watches; waits as long as it takes. */
  public LayeredConfig start() throws InterruptedException {
    common.start();
    own.start();
    merge(true);
    return this;
  }

  /** {@link #start()} waiting at most {@code timeout}; false if not read by then. */
  public boolean start(Duration timeout) throws InterruptedException {
    Deadline deadline = Deadline.after(timeout);
    if (!common.start(deadline.remaining(timeout)) || !own.start(deadline.remaining(timeout))) {
      return false;
    }
    merge(true);
    return true;
  }

  /** The node a layer's writes go to. */
  public String path(Layer layer) {
    return node(layer).path();
  }

  /** The latest merged view; never blocks. */
  public ConfigView view() {
    ConfigView v = view;
    if (v == null) {
      throw new IllegalStateException("start() the config of " + own.path() + " first");
    }
    return v;
  }

  /** Calls {@code listener} with every later merged view (not with the current one). */
  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  public void removeListener(Listener listener) {
    listeners.remove(listener);
  }

  /** Sets {@code key} to {@code value} in {@code layer}'s node. */
  public void put(Layer layer, String key, String value) throws InterruptedException {
    put(layer, key, value, Deadline.never());
  }

  /** {@link #put(Layer, String, String)} within {@code timeout}; OperationTimeout after it. */
  public void put(Layer layer, String key, String value, Duration timeout)
      throws InterruptedException {
    put(layer, key, value, Deadline.after(timeout));
  }

  private void put(Layer layer, String key, String value, Deadline deadline)
      throws InterruptedException {
    if (value == null) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path(layer),
          "the value of '" + key + "' is null (remove() removes a key)");
    }
    update(layer, key, old -> value, deadline);
  }

  /** Removes {@code key} from {@code layer}'s node (a common value shows through again). */
  public void remove(Layer layer, String key) throws InterruptedException {
    update(layer, key, old -> null, Deadline.never());
  }

  /** {@link #remove(Layer, String)} within {@code timeout}; OperationTimeout after it. */
  public void remove(Layer layer, String key, Duration timeout) throws InterruptedException {
    update(layer, key, old -> null, Deadline.after(timeout));
  }

  /**
   * Replaces {@code key}'s value in {@code layer}'s node with {@code fn(old)} atomically: {@code
   * old} is null when the key is missing, a null result removes it. {@code fn} may run several
   * times (once per conflicting write) and must have no side effects. Returns the new value.
   */
  public String update(Layer layer, String key, UnaryOperator<String> fn)
      throws InterruptedException {
    return update(layer, key, fn, Deadline.never());
  }

  /** {@link #update} within {@code timeout}; OperationTimeoutException after it. */
  public String update(Layer layer, String key, UnaryOperator<String> fn, Duration timeout)
      throws InterruptedException {
    return update(layer, key, fn, Deadline.after(timeout));
  }

  private String update(Layer layer, String key, UnaryOperator<String> fn, Deadline deadline)
      throws InterruptedException {
    if (key == null || key.isEmpty() || fn == null) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path(layer),
          "update needs a non-empty key and a function");
    }
    String path = path(layer);
    while (true) {
      Versioned now = Writes.read(client, path, deadline);
      TreeMap<String, String> keys = new TreeMap<>(KeyValueText.decode(now.data(), path));
      String value = fn.apply(keys.get(key));
      if (Objects.equals(value, keys.get(key))) {
        return value;  // nothing to change
      }
      if (value == null) {
        keys.remove(key);
      } else {
        keys.put(key, value);
      }
      Optional<Stat> written =
          Writes.trySet(client, path, now.version(), KeyValueText.encode(keys), deadline);
      if (written.isPresent()) {
        if (notifying != Thread.currentThread()) {
          node(layer).awaitShown(deadline);  // a listener cannot wait for the next update
        }
        return value;
      }
      if (deadline.expired()) {
        throw KeelException.create(KeelException.Code.OPERATIONTIMEOUT, path,
            "could not update '" + key + "' before the deadline: other writers kept winning");
      }
    }
  }

  /** Removes both watches and the listeners. Idempotent. */
  @Override
  public void close() {
    common.close();
    own.close();
    listeners.clear();
  }

  private SharedValue node(Layer layer) {
    return layer == Layer.COMMON ? common : own;
  }

  private void changed() {
    synchronized (this) {
      if (view == null) {
        return;  // start() makes the first view
      }
      ConfigView before = view;
      ConfigView after = merge(false);
      if (after.equals(before)) {
        return;
      }
      notifying = Thread.currentThread();
      try {
        for (Listener l : listeners) {
          try {
            l.changed(after);
          } catch (RuntimeException e) {
            LOG.warn("A listener of the config of {} failed", own.path(), e);
          }
        }
      } finally {
        notifying = null;
      }
    }
  }

  private synchronized ConfigView merge(boolean strict) {
    commonKeys = parse(common, commonKeys, strict);
    appKeys = parse(own, appKeys, strict);
    view = ConfigView.of(commonKeys, common.path()).overriddenBy(appKeys, own.path());
    return view;
  }

  private static SortedMap<String, String> parse(SharedValue node, SortedMap<String, String> last,
                                                 boolean strict) {
    try {
      return KeyValueText.decode(node.get().data(), node.path());
    } catch (KeelException e) {
      if (strict || last == null) {
        throw e;
      }
      LOG.warn("Keeping the last good config of {}: {}", node.path(), e.getMessage());
      return last;
    }
  }
}
