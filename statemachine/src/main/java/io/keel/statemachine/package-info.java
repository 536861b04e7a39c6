/**
 * The Ratis glue: {@link io.keel.statemachine.KeelStateMachine} turns committed log entries into
 * {@link io.keel.tree.DataTree} changes and serves reads; {@link io.keel.statemachine.SnapshotFile}
 * is the on-disk snapshot format.
 *
 * <p>Rule: the leader may read its clock and validate in {@code startTransaction}; everything on the
 * apply path is a pure function of the tree and the entry. Depends on tree, watch and Ratis only.
 */
package io.keel.statemachine;
