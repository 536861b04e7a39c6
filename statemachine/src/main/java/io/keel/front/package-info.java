/**
 * The session front of every server (DESIGN §4a): ZooKeeper's wire protocol on {@code clientPort}.
 *
 * <p>One Netty channel per session carries its requests, replies, pings and pushed watch events.
 * A session's requests are handled in order on its channel's event loop: reads are served from
 * this server's tree once the session's earlier writes are applied here; writes are validated,
 * then forwarded to the leader in batches (one Raft entry per batch) and answered once this server
 * has applied them; watch events leave in zxid order, never after a reply that reflects them and
 * never before the reply that set their watch. Pings are answered here, and the sessions heard
 * from are reported to the leader, which alone expires sessions through the log.
 *
 * <p>Rule: the front reads the tree and the watch registry and submits writes; it never changes
 * replicated state except through the log. Nothing here blocks an event loop.
 */
package io.keel.front;
