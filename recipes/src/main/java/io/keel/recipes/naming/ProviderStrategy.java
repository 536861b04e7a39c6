package io.keel.recipes.naming;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How a {@link ServiceProvider} picks one instance from the current set (sorted by id). An
 * implementation must be thread-safe.
 */
@FunctionalInterface
public interface ProviderStrategy {
  /** One of {@code instances}, or empty if there are none. */
  Optional<ServiceInstance> pick(List<ServiceInstance> instances);

  /**
   * Each instance in turn, by id: while the set stays the same, n picks cover all n instances.
   * Each strategy object keeps its own position.
   */
  static ProviderStrategy roundRobin() {
    AtomicLong next = new AtomicLong();
    return instances -> instances.isEmpty() ? Optional.empty()
        : Optional.of(instances.get((int) Math.floorMod(next.getAndIncrement(), (long) instances.size())));
  }

  /** Uniformly at random (the one decision in the recipes that is random on purpose). */
  static ProviderStrategy random() {
    return instances -> instances.isEmpty() ? Optional.empty()
        : Optional.of(instances.get(ThreadLocalRandom.current().nextInt(instances.size())));
  }
}
