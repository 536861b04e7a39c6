package io.keel.recipes.internal;

import io.keel.client.ConnectionState;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.WatchedEvent;
import io.keel.client.Watcher;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One watcher object a recipe instance registers everywhere it waits: the client keeps a watcher
 * once per path and kind, so waits that time out do not pile up watchers. Take {@link #current()}
 * before the reads that set the watches; it completes at the next event (or {@link #fire()}).
 * Thread-safe.
 */
public final class ChangeSignal implements Watcher {
  private final AtomicReference<CompletableFuture<Void>> next =
      new AtomicReference<>(new CompletableFuture<>());

  public CompletableFuture<Void> current() {
    return next.get();
  }

  public void fire() {
    next.getAndSet(new CompletableFuture<>()).complete(null);
  }

  @Override
  public void process(WatchedEvent event) {
    fire();
  }

  /**
   * Fails once the session is LOST. Call it after the read that set a watch and before waiting: a
   * server that has not yet applied the expiry may still answer that read, and a watch set then
   * never fires, while one set before the client learned of the expiry gets SESSION_EXPIRED.
   */
  public static void failIfLost(KeelClient client, String path) {
    if (client.connectionState() == ConnectionState.LOST) {
      throw KeelException.create(KeelException.Code.SESSIONEXPIRED, path,
          "the session expired while waiting on " + path);
    }
  }
}
