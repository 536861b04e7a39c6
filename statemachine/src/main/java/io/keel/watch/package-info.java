/**
 * The server-local watch registry: turns the {@link io.keel.tree.TreeEvent}s of applied entries
 * into ZooKeeper watch notifications, queued per session for delivery (DESIGN §4).
 *
 * <p><b>Rule of this package:</b> it depends only on {@code io.keel.tree} and the JDK. No Ratis, no
 * I/O, no logging, no clock reads (a poll's timeout is the caller's timer completing the returned
 * future), no threads of its own. Watches are not replicated: each server keeps those of the
 * sessions attached to it.
 *
 * <p>Entry point: {@link io.keel.watch.WatchRegistry}. The rules deciding which watch a change
 * fires live in one pure function, {@code WatchMatch}, used both for live events and for replay.
 */
package io.keel.watch;
