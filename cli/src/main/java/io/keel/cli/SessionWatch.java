package io.keel.cli;

import io.keel.client.ConnectionState;
import io.keel.client.KeelClient;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Completes when a client's session is over (LOST: expired; CLOSED), for the recipe commands that
 * hold something with it. Close to stop listening.
 */
final class SessionWatch implements AutoCloseable {
  private final KeelClient client;
  private final CompletableFuture<ConnectionState> ended = new CompletableFuture<>();
  private final Consumer<ConnectionState> listener;

  SessionWatch(KeelClient client, Runnable onEnd) {
    this.client = client;
    this.listener = s -> {
      if ((s == ConnectionState.LOST || s == ConnectionState.CLOSED) && ended.complete(s)) {
        onEnd.run();
      }
    };
    client.addConnectionStateListener(listener);
  }

  CompletableFuture<ConnectionState> ended() {
    return ended;
  }

  @Override
  public void close() {
    client.removeConnectionStateListener(listener);
  }

  /** Runs {@code action} if the JVM shuts down (SIGTERM, Ctrl-C) before {@link Hook#close()}. */
  static Hook onShutdown(Runnable action) {
    Thread t = new Thread(action, "keel-cli-shutdown");
    Runtime.getRuntime().addShutdownHook(t);
    return () -> {
      try {
        Runtime.getRuntime().removeShutdownHook(t);
      } catch (IllegalStateException e) {
        // Already shutting down: the hook runs.
      }
    };
  }

  /** A registered shutdown action; close to unregister. */
  interface Hook extends AutoCloseable {
    @Override
    void close();
  }
}
