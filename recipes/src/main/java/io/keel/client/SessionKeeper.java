package io.keel.client;

import io.keel.proto.Response;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one client's session alive and tracks its {@link ConnectionState}.
 *
 * <p>Pings every third of the session timeout (ZooKeeper's rhythm), each allowed half the timeout:
 * a ping that fails or goes unanswered means SUSPENDED; the next answered one, RECONNECTED; a
 * SESSIONEXPIRED answer (to a ping or any operation) means LOST, after which pinging stops.
 * Listeners run one at a time, in order, on a thread of their own. Thread-safe.
 */
final class SessionKeeper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SessionKeeper.class);

  /** Stands in while the client is still opening its session. */
  static final SessionKeeper NONE = new SessionKeeper();

  private final KeelClient client;
  private final long sessionId;
  private final Duration pingTimeout;
  private final ScheduledExecutorService pinger;
  private final ExecutorService notifier;
  private final List<Consumer<ConnectionState>> listeners = new CopyOnWriteArrayList<>();
  private ConnectionState state = ConnectionState.CONNECTED;
  private boolean pingInFlight;

  private SessionKeeper() {
    this.client = null;
    this.sessionId = 0;
    this.pingTimeout = Duration.ZERO;
    this.pinger = null;
    this.notifier = null;
  }

  SessionKeeper(KeelClient client, long sessionId, int sessionTimeoutMs) {
    this.client = client;
    this.sessionId = sessionId;
    this.pingTimeout = Duration.ofMillis(Math.max(100, sessionTimeoutMs / 2));
    String name = "keel-session-0x" + Long.toHexString(sessionId);
    this.pinger = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, name + "-ping"));
    this.notifier = Executors.newSingleThreadExecutor(r -> daemon(r, name + "-state"));
    long every = Math.max(50, sessionTimeoutMs / 3);
    pinger.scheduleWithFixedDelay(this::ping, every, every, TimeUnit.MILLISECONDS);
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  void addListener(Consumer<ConnectionState> listener) {
    listeners.add(listener);
  }

  void removeListener(Consumer<ConnectionState> listener) {
    listeners.removeIf(l -> l == listener);
  }

  synchronized ConnectionState state() {
    return state;
  }

  private void ping() {
    synchronized (this) {
      if (pingInFlight || state == ConnectionState.LOST || state == ConnectionState.CLOSED) {
        return;
      }
      pingInFlight = true;
    }
    client.ping(pingTimeout).whenComplete((r, e) -> {
      synchronized (this) {
        pingInFlight = false;
      }
      if (e != null) {
        failed(e instanceof KeelException k ? k : RaftTransport.translate(e));
      } else if (r.getErrValue() == KeelException.Code.SESSIONEXPIRED.intValue()) {
        moveTo(ConnectionState.LOST);
      } else if (r.getErrValue() == 0) {
        answered();
      }
    });
  }

  /** An operation or ping failed with {@code e}. */
  void failed(KeelException e) {
    if (this == NONE) {
      return;
    }
    switch (e.code()) {
      // Failures of a closed client never come through here (they fail before any request).
      case SESSIONEXPIRED -> moveTo(ConnectionState.LOST);
      case CONNECTIONLOSS, OPERATIONTIMEOUT -> moveTo(ConnectionState.SUSPENDED);
      default -> { }
    }
  }

  private void answered() {
    synchronized (this) {
      if (state != ConnectionState.SUSPENDED) {
        return;
      }
    }
    moveTo(ConnectionState.RECONNECTED);
  }

  private void moveTo(ConnectionState next) {
    synchronized (this) {
      if (state == next || state == ConnectionState.CLOSED || state == ConnectionState.LOST
          || next == ConnectionState.RECONNECTED && state != ConnectionState.SUSPENDED) {
        return;
      }
      state = next;
      // Submitted under the lock so listeners see the changes in the order they happened.
      notifier.execute(() -> notifyAll(next));
    }
    LOG.info("Session 0x{} is {}", Long.toHexString(sessionId), next);
  }

  private void notifyAll(ConnectionState s) {
    for (Consumer<ConnectionState> l : listeners) {
      try {
        l.accept(s);
      } catch (RuntimeException e) {
        LOG.warn("A connection state listener failed on {}", s, e);
      }
    }
  }

  @Override
  public void close() {
    if (this == NONE) {
      return;
    }
    pinger.shutdownNow();
    synchronized (this) {
      if (state != ConnectionState.CLOSED) {
        state = ConnectionState.CLOSED;
        notifier.execute(() -> notifyAll(ConnectionState.CLOSED));
      }
    }
    notifier.shutdown();
  }
}
