package io.keel.recipes.naming;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Stat;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.EphemeralNode;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;

/**
 * Registers service instances (Curator's ServiceDiscovery, the registering side): each one an
 * ephemeral node {@code <base>/<name>/<id>} holding the instance, under container directories.
 *
 * <pre>{@code
 * ServiceRegistry registry = new ServiceRegistry(client);
 * try (Registration r = registry.register(ServiceInstance.of("orders-api", "host-7", "10.0.0.7", 8080))) {
 *   serve();
 * }  // deregistered
 * }</pre>
 *
 * <p>Guarantees: a registration lives as long as its {@link Registration} is open and the client's
 * session lives; if the process dies, the cluster deletes it after the session timeout, and every
 * {@link ServiceCache} sees the instance go. Instance ids are unique per service: registering an id
 * that another live session holds fails with {@link KeelException.NodeExistsException}.
 *
 * <p>Failures: registration rides out connection loss (a node already there and owned by this
 * session is the one a lost reply made). While SUSPENDED the instance stays registered as long as
 * the session does. On LOST (session expired) every registration of the client is gone for good:
 * a new session is a new client, so connect a new client and register again (Keel does not
 * re-register behind your back, unlike Curator, because only the application knows whether the
 * instance is still healthy). Thread-safe; holds no resources itself.
 */
public final class ServiceRegistry {
  public static final String DEFAULT_BASE = "/services";

  private final KeelClient client;
  private final String base;

  /** A registry under {@link #DEFAULT_BASE}. */
  public ServiceRegistry(KeelClient client) {
    this(client, DEFAULT_BASE);
  }

  public ServiceRegistry(KeelClient client, String basePath) {
    this.client = client;
    this.base = ServiceDiscovery.checkBase(client, basePath);
  }

  /** Registers {@code instance}, waiting as long as it takes. */
  public Registration register(ServiceInstance instance) throws InterruptedException {
    return register(instance, Deadline.never());
  }

  /**
   * Registers {@code instance} within {@code timeout}; after it, fails with
   * OperationTimeoutException, having removed any half-made registration.
   */
  public Registration register(ServiceInstance instance, Duration timeout)
      throws InterruptedException {
    return register(instance, Deadline.after(timeout));
  }

  private Registration register(ServiceInstance instance, Deadline deadline)
      throws InterruptedException {
    if (instance == null) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, base, "instance is null");
    }
    EphemeralNode node = new EphemeralNode(client,
        ZNodes.join(ZNodes.join(base, instance.name()), instance.id()));
    try {
      Stat stat = node.create(instance.toBytes(), deadline);
      return new Registration(client, node, instance, stat);
    } catch (KeelException e) {
      if (ZNodes.isTransient(e)) {
        // Made or not, nobody would hold a handle to close it: take it back.
        try {
          node.delete(Deadline.after(Duration.ofMillis(client.sessionTimeoutMs())));
        } catch (KeelException ignored) {
          // Unreachable for a whole session timeout: the session's end removes it.
        }
      }
      throw e;
    }
  }

  public String basePath() {
    return base;
  }
}
