/**
 * Barriers across processes: {@link io.keel.recipes.barrier.Barrier} (one party holds everyone
 * until it lifts the barrier) and {@link io.keel.recipes.barrier.DoubleBarrier} (a fixed number of
 * members start together and finish together). Waiters sleep on watches, never poll. Depends on
 * {@code io.keel.client} and {@code io.keel.recipes.internal} only.
 */
package io.keel.recipes.barrier;
