package io.keel.statemachine;

import io.keel.proto.CloseSessionOp;
import io.keel.proto.ReapOp;
import io.keel.proto.WriteRequest;
import io.keel.tree.DataTree;
import io.keel.tree.Reapable;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What only the leader does: decide that sessions have expired and that containers and TTL nodes
 * are due, and propose that through the log. Replicas never expire or reap anything on their own
 * clocks; the entries decide.
 *
 * <p>Session clocks are the leader's monotonic clock and live only in the leader's memory: a new
 * leader starts every session's clock afresh with its full timeout before expiring any, so no
 * session dies because leadership moved. Keep-alives (any request of the session, and pings) only
 * touch this memory, never the log.
 *
 * <p>Thread-safe: {@link #touch} from request threads, the rest from Ratis's notification threads;
 * the checks run on one scheduler thread of its own.
 */
final class LeaderHousekeeping implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderHousekeeping.class);

  private final String name;
  private final Supplier<DataTree> tree;
  private final Consumer<WriteRequest> propose;
  private final long tickMs;
  private final long reapIntervalMs;
  private final ScheduledExecutorService scheduler;
  /** Session id to the leader's nanoTime when it last heard from the session. */
  private final Map<Long, Long> lastHeard = new ConcurrentHashMap<>();
  /** Sessions whose CloseSession this leader proposed, to the nanoTime it did. */
  private final Map<Long, Long> closing = new HashMap<>();
  private volatile boolean leader;
  private ScheduledFuture<?> expiry;
  private ScheduledFuture<?> reaping;

  LeaderHousekeeping(String name, Supplier<DataTree> tree, Consumer<WriteRequest> propose,
                     long tickMs, long reapIntervalMs) {
    this.name = name;
    this.tree = tree;
    this.propose = propose;
    this.tickMs = Math.max(10, tickMs);
    this.reapIntervalMs = Math.max(10, reapIntervalMs);
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, name + "-leader-housekeeping");
      t.setDaemon(true);
      return t;
    });
  }

  /** This server is now a leader that has committed an entry of its term. */
  synchronized void becameLeader() {
    if (leader || scheduler.isShutdown()) {
      return;
    }
    // Every session gets its full timeout from now: the old leader's clocks are gone.
    lastHeard.clear();
    closing.clear();
    leader = true;
    expiry = scheduler.scheduleWithFixedDelay(this::expireSessions, tickMs, tickMs, TimeUnit.MILLISECONDS);
    reaping = scheduler.scheduleWithFixedDelay(this::reap, reapIntervalMs, reapIntervalMs,
        TimeUnit.MILLISECONDS);
    LOG.info("{}: leader housekeeping started (session tick {} ms, reap every {} ms)",
        name, tickMs, reapIntervalMs);
  }

  /** This server is no longer the leader (or never was). */
  synchronized void lostLeadership() {
    if (!leader) {
      return;
    }
    leader = false;
    if (expiry != null) {
      expiry.cancel(false);
    }
    if (reaping != null) {
      reaping.cancel(false);
    }
    lastHeard.clear();
    LOG.info("{}: leader housekeeping stopped", name);
  }

  boolean isLeader() {
    return leader;
  }

  /** The session was heard from (a request or a ping reached this server). */
  void touch(long sessionId) {
    if (leader && sessionId != 0) {
      lastHeard.put(sessionId, System.nanoTime());
    }
  }

  private void expireSessions() {
    try {
      long now = System.nanoTime();
      Map<Long, Integer> sessions = tree.get().sessionTimeouts();
      lastHeard.keySet().retainAll(sessions.keySet());
      synchronized (this) {
        closing.keySet().retainAll(sessions.keySet());
      }
      for (Map.Entry<Long, Integer> s : sessions.entrySet()) {
        long heard = lastHeard.computeIfAbsent(s.getKey(), k -> now);
        if (now - heard <= TimeUnit.MILLISECONDS.toNanos(s.getValue())) {
          continue;
        }
        synchronized (this) {
          Long proposed = closing.get(s.getKey());
          // Propose once; again only if the first proposal seems lost.
          if (!leader || proposed != null && now - proposed < TimeUnit.MILLISECONDS.toNanos(10 * tickMs)) {
            continue;
          }
          closing.put(s.getKey(), now);
        }
        LOG.info("{}: session 0x{} expired (silent for more than {} ms)", name,
            Long.toHexString(s.getKey()), s.getValue());
        propose.accept(WriteRequest.newBuilder().setCloseSession(
            CloseSessionOp.newBuilder().setSessionId(s.getKey()).setExpired(true)).build());
      }
    } catch (RuntimeException e) {
      LOG.warn("{}: session expiry check failed; will retry", name, e);
    }
  }

  private void reap() {
    try {
      for (Reapable r : tree.get().reapable(System.currentTimeMillis())) {
        if (!leader) {
          return;
        }
        propose.accept(WriteRequest.newBuilder().setReap(
            ReapOp.newBuilder().setPath(r.path()).setCzxid(r.czxid())).build());
      }
    } catch (RuntimeException e) {
      LOG.warn("{}: reaping check failed; will retry", name, e);
    }
  }

  @Override
  public void close() {
    lostLeadership();
    scheduler.shutdownNow();
  }
}
