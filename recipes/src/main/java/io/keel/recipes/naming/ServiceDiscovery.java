package io.keel.recipes.naming;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.NodeData;
import io.keel.client.Stat;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds service instances registered with {@link ServiceRegistry} (Curator's ServiceDiscovery,
 * the looking-up side): one-shot lookups, and live {@link ServiceCache}s and
 * {@link ServiceProvider}s.
 *
 * <pre>{@code
 * ServiceDiscovery discovery = new ServiceDiscovery(client);
 * List<String> services = discovery.names();
 * List<ServiceInstance> orders = discovery.instances("orders-api");
 * }</pre>
 *
 * <p>Lookups first bring the client's server up to date ({@code sync}), so they see every
 * registration and deregistration completed before the call; they cost one read per service
 * ({@link #names}) or per instance ({@link #instances}). For repeated lookups use a cache.
 * Lookups block, honour interrupts and deadlines, ride out connection loss, and fail with
 * SessionExpiredException once the session is lost. Thread-safe; holds no resources itself.
 */
public final class ServiceDiscovery {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceDiscovery.class);
  private static final Duration LONGEST = Duration.ofDays(1);

  private final KeelClient client;
  private final String base;

  /** Discovery under {@link ServiceRegistry#DEFAULT_BASE}. */
  public ServiceDiscovery(KeelClient client) {
    this(client, ServiceRegistry.DEFAULT_BASE);
  }

  public ServiceDiscovery(KeelClient client, String basePath) {
    this.client = client;
    this.base = checkBase(client, basePath);
  }

  /** The names of the services that have at least one instance, sorted. */
  public List<String> names() throws InterruptedException {
    return names(Deadline.never());
  }

  /** {@link #names()} within {@code timeout}; OperationTimeoutException after it. */
  public List<String> names(Duration timeout) throws InterruptedException {
    return names(Deadline.after(timeout));
  }

  private List<String> names(Deadline deadline) throws InterruptedException {
    return ZNodes.retry(client, deadline, () -> {
      List<String> out = new ArrayList<>();
      for (String name : children(base, deadline)) {
        Optional<Stat> dir = client.exists(ZNodes.join(base, name), deadline.remaining(LONGEST));
        // An empty directory is a service whose last instance left; the server reaps it soon.
        if (dir.isPresent() && dir.get().numChildren() > 0) {
          out.add(name);
        }
      }
      return List.copyOf(out);
    });
  }

  /** The instances of service {@code name} now, sorted by id. */
  public List<ServiceInstance> instances(String name) throws InterruptedException {
    return instances(name, Deadline.never());
  }

  /** {@link #instances(String)} within {@code timeout}; OperationTimeoutException after it. */
  public List<ServiceInstance> instances(String name, Duration timeout) throws InterruptedException {
    return instances(name, Deadline.after(timeout));
  }

  private List<ServiceInstance> instances(String name, Deadline deadline)
      throws InterruptedException {
    ServiceInstance.checkElement("service name", name);
    String dir = ZNodes.join(base, name);
    return ZNodes.retry(client, deadline, () -> {
      List<ServiceInstance> out = new ArrayList<>();
      for (String id : children(dir, deadline)) {
        try {
          NodeData d = client.getData(ZNodes.join(dir, id), deadline.remaining(LONGEST));
          out.add(ServiceInstance.fromBytes(name, id, d.data()));
        } catch (KeelException.NoNodeException gone) {
          // Deregistered between the listing and the read.
        } catch (KeelException.BadArgumentsException bad) {
          LOG.warn("Skipping {}/{}: {}", dir, id, bad.getMessage());
        }
      }
      return List.copyOf(out);
    });
  }

  /** A started live cache of service {@code name}'s instances; the caller closes it. */
  public ServiceCache cache(String name) throws InterruptedException {
    return new ServiceCache(client, base, name).start();
  }

  /** A provider over a live cache of its own (closed with the provider). */
  public ServiceProvider provider(String name, ProviderStrategy strategy)
      throws InterruptedException {
    ServiceCache cache = cache(name);
    return new ServiceProvider(cache, strategy, true);
  }

  public String basePath() {
    return base;
  }

  private List<String> children(String dir, Deadline deadline) {
    client.sync(dir, deadline.remaining(LONGEST));
    try {
      return client.getChildren(dir, deadline.remaining(LONGEST));
    } catch (KeelException.NoNodeException e) {
      return List.of();
    }
  }

  static String checkBase(KeelClient client, String base) {
    if (client == null || base == null || !base.startsWith("/")
        || (base.length() > 1 && base.endsWith("/"))) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, base,
          "a client and an absolute base path without a trailing slash are needed");
    }
    return base;
  }
}
