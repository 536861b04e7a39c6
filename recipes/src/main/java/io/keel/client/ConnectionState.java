package io.keel.client;

/**
 * Where a client's session stands, as Curator names it. Listeners get every change, in order.
 *
 * <ul>
 *   <li>{@link #CONNECTED}: the session is open and the cluster answers.</li>
 *   <li>{@link #SUSPENDED}: the client cannot reach the cluster. The session may still be alive
 *       (the cluster keeps it for its timeout), but the outcome of operations in flight is
 *       unknown: stop acting as a lock holder or leader.</li>
 *   <li>{@link #RECONNECTED}: the cluster answers again and the session is the same one: its
 *       ephemerals are still there.</li>
 *   <li>{@link #LOST}: the session expired: every ephemeral it owned is gone, and this client's
 *       operations fail with SESSIONEXPIRED. Connect a new client.</li>
 *   <li>{@link #CLOSED}: {@link KeelClient#close()} was called.</li>
 * </ul>
 */
public enum ConnectionState {
  CONNECTED, SUSPENDED, RECONNECTED, LOST, CLOSED;

  /** True when the session is known to be usable. */
  public boolean isConnected() {
    return this == CONNECTED || this == RECONNECTED;
  }
}
