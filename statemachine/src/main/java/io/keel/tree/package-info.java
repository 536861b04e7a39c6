/**
 * The replicated znode tree: everything a committed log entry does to Keel's state.
 *
 * <p><b>Rule of this package:</b> it is pure. It depends only on the generated protocol
 * ({@code io.keel.proto}, with protobuf's {@code ByteString}) and the JDK. No Ratis, no clock,
 * no randomness, no file or network I/O (streams handed in by the caller are fine), no threads of
 * its own, no logging. Applying a log
 * entry ({@link io.keel.tree.DataTree#apply}) is a function of the tree, the entry's zxid and the
 * entry's bytes, so every replica that applies the same log reaches the same state, byte for byte
 * ({@link io.keel.tree.DataTree#digest}). Output never depends on the iteration order of a hash
 * collection.
 *
 * <p>User-level failures (NONODE, BADVERSION, ...) and malformed entries are results, never
 * exceptions: {@code apply} and {@code read} are total.
 *
 * <p>Entry points: {@link io.keel.tree.DataTree} (state, apply, read, snapshot; with
 * {@link io.keel.tree.DataTree#applyWithEvents} also the {@link io.keel.tree.TreeEvent}s an entry
 * caused, for the watch layer; with {@link io.keel.tree.DataTree#reapable} the
 * {@link io.keel.tree.Reapable} nodes the leader should propose to reap),
 * {@link io.keel.tree.RequestValidator} (what the leader checks before a write enters the log) and
 * {@link io.keel.tree.Paths} (ZooKeeper's path rules).
 */
package io.keel.tree;
