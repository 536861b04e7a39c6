package io.keel.recipes.naming;

import io.keel.client.KeelException;
import java.util.List;
import java.util.Optional;

/**
 * Picks one instance of a service per call, by a {@link ProviderStrategy}, from a live
 * {@link ServiceCache} (Curator's ServiceProvider). Never blocks: the choice is among the
 * instances the cache has seen, so an instance that just died may be picked until its session
 * times out; callers should fall back to another pick on a connection failure.
 *
 * <pre>{@code
 * try (ServiceProvider orders = discovery.provider("orders-api", ProviderStrategy.roundRobin())) {
 *   ServiceInstance target = orders.next().orElseThrow();
 * }
 * }</pre>
 *
 * <p>Failures: as its cache's: connection loss is ridden out with the last set seen; after LOST
 * the set no longer changes. Thread-safe. {@link #close} closes the cache if this provider made
 * it (idempotent).
 */
public final class ServiceProvider implements AutoCloseable {
  private final ServiceCache cache;
  private final ProviderStrategy strategy;
  private final boolean ownsCache;

  /** A provider over {@code cache} (started), which stays the caller's to close. */
  public ServiceProvider(ServiceCache cache, ProviderStrategy strategy) {
    this(cache, strategy, false);
  }

  ServiceProvider(ServiceCache cache, ProviderStrategy strategy, boolean ownsCache) {
    if (cache == null || strategy == null) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, null,
          "a provider needs a cache and a strategy");
    }
    this.cache = cache;
    this.strategy = strategy;
    this.ownsCache = ownsCache;
  }

  /** An instance picked by the strategy; empty if the service has none. */
  public Optional<ServiceInstance> next() {
    return strategy.pick(cache.instances());
  }

  /** Every instance, sorted by id. */
  public List<ServiceInstance> all() {
    return cache.instances();
  }

  @Override
  public void close() {
    if (ownsCache) {
      cache.close();
    }
  }
}
