/**
 * Mutual exclusion across processes: {@link io.keel.recipes.lock.DistributedLock},
 * {@link io.keel.recipes.lock.ReadWriteLock} and {@link io.keel.recipes.lock.Semaphore}, all on
 * ephemeral sequential nodes, all handing out {@link io.keel.recipes.lock.Lease}s that carry a
 * fencing token and can guard later writes. Depends on {@code io.keel.client} only.
 */
package io.keel.recipes.lock;
