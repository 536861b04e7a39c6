/**
 * Shared counters: {@link io.keel.recipes.counter.AtomicCounter}, a 64-bit value in one node
 * updated by compare-and-set on the node's version. Rule: every write is conditioned on the
 * version it read, and a write whose outcome is unknown is reported, never blindly repeated.
 * Depends on {@code io.keel.client} and {@code io.keel.recipes.internal} only.
 */
package io.keel.recipes.counter;
