/**
 * Cluster-unique, increasing 64-bit ids: {@link io.keel.recipes.id.SequentialIdGenerator} (one
 * write per id, from a directory's sequential-node counter) and
 * {@link io.keel.recipes.id.BlockIdGenerator} (one write per block of ids, handed out locally).
 * Rule: an id is handed out only once it is known that no one else can get it; anything uncertain
 * (a lost reply, a closed generator) becomes a gap, never a repeat. Depends on
 * {@code io.keel.client} and {@code io.keel.recipes.internal} only.
 */
package io.keel.recipes.id;
