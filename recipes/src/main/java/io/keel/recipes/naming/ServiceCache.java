package io.keel.recipes.naming;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.NodeData;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.TreeCache;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live set of one service's instances (Curator's ServiceCache): kept locally through one
 * persistent recursive watch on {@code <base>/<name>}, so lookups never block and listeners hear
 * of every instance that comes, goes or changes.
 *
 * <pre>{@code
 * try (ServiceCache orders = new ServiceDiscovery(client).cache("orders-api")) {
 *   orders.addListener(instances -> balancer.setTargets(instances));
 *   List<ServiceInstance> now = orders.instances();
 * }
 * }</pre>
 *
 * <p>Guarantees: every change is followed by a re-read, so every cache converges on the registered
 * set; an instance whose process died leaves the set when its session times out. Listeners get
 * the whole new set (sorted by id), one call at a time, in order, on a client callback thread.
 * A registration whose data is not an instance is left out (and logged).
 *
 * <p>Failures: connection loss and leader changes are ridden out (missed changes are replayed, or
 * re-read after a HISTORY_GAP); while SUSPENDED the set is the last one seen. On LOST the cache
 * stops updating and keeps its last set: connect a new client. Thread-safe; {@link #close}
 * (idempotent) removes the watch.
 */
public final class ServiceCache implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceCache.class);

  /** Told of each new set of instances. */
  @FunctionalInterface
  public interface Listener {
    void changed(List<ServiceInstance> instances);
  }

  private final String name;
  private final String dir;
  private final TreeCache cache;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  /** A cache snapshot and the instances in it, parsed once per snapshot. */
  private record View(SortedMap<String, NodeData> from, List<ServiceInstance> instances) {}

  private volatile View view = new View(null, List.of());
  private volatile boolean started;

  /** The instances of service {@code name} under {@code basePath}; nothing is read before start. */
  public ServiceCache(KeelClient client, String basePath, String name) {
    ServiceInstance.checkElement("service name", name);
    this.name = name;
    this.dir = ZNodes.join(ServiceDiscovery.checkBase(client, basePath), name);
    this.cache = new TreeCache(client, dir, 1, this::changed);
  }

  /** Sets the watch and reads the instances; waits as long as it takes. */
  public ServiceCache start() throws InterruptedException {
    start(Deadline.never());
    return this;
  }

  /** {@link #start()} waiting at most {@code timeout}; false if not read by then. */
  public boolean start(Duration timeout) throws InterruptedException {
    return start(Deadline.after(timeout));
  }

  private boolean start(Deadline deadline) throws InterruptedException {
    if (!cache.start(deadline)) {
      return false;
    }
    started = true;
    return true;
  }

  public String name() {
    return name;
  }

  /** The instances as last seen, sorted by id; never blocks. */
  public List<ServiceInstance> instances() {
    if (!started) {
      throw new IllegalStateException("start() the cache of service " + name + " first");
    }
    return parse(cache.snapshot());
  }

  /** Calls {@code listener} with every later set (not with the current one). */
  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  public void removeListener(Listener listener) {
    listeners.remove(listener);
  }

  /** Removes the watch and the listeners. Idempotent. */
  @Override
  public void close() {
    cache.close();
    listeners.clear();
  }

  private void changed(SortedMap<String, NodeData> tree) {
    List<ServiceInstance> now = parse(tree);
    for (Listener l : listeners) {
      try {
        l.changed(now);
      } catch (RuntimeException e) {
        LOG.warn("A listener of service {} failed", name, e);
      }
    }
  }

  private List<ServiceInstance> parse(SortedMap<String, NodeData> tree) {
    View v = view;
    if (v.from() == tree) {
      return v.instances();
    }
    List<ServiceInstance> out = new ArrayList<>();
    for (Map.Entry<String, NodeData> e : tree.entrySet()) {
      if (e.getKey().equals(dir)) {
        continue;
      }
      try {
        out.add(ServiceInstance.fromBytes(name, ZNodes.name(e.getKey()), e.getValue().data()));
      } catch (KeelException bad) {
        LOG.warn("Skipping {}: {}", e.getKey(), bad.getMessage());
      }
    }
    v = new View(tree, List.copyOf(out));
    view = v;
    return v.instances();
  }
}
