package io.keel.recipes.internal;

import io.keel.client.ConnectionState;
import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.KeelException.Code;
import io.keel.client.Stat;
import java.util.Optional;
import java.util.function.Supplier;

/** Path helpers and retries the recipes share. Stateless; thread-safe. */
public final class ZNodes {
  private ZNodes() {}

  /**
   * Makes sure {@code path} and its ancestors exist, creating the missing ones with {@code mode}
   * (CONTAINER for recipe directories: the server removes them once their last child is gone).
   */
  public static void ensurePath(KeelClient client, String path, CreateMode mode) {
    if (path.equals("/")) {
      return;
    }
    try {
      client.create(path, null, mode);
    } catch (KeelException.NodeExistsException e) {
      // Made by someone else, or by us before a lost reply: either way it is there.
    } catch (KeelException.NoNodeException e) {
      ensurePath(client, parent(path), mode);
      ensurePath(client, path, mode);
    }
  }

  /** The parent of an absolute path ("/" for a top-level node). */
  public static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? "/" : path.substring(0, slash);
  }

  /** The last name of an absolute path. */
  public static String name(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** {@code dir + "/" + name}, without doubling the root's slash. */
  public static String join(String dir, String name) {
    return dir.equals("/") ? "/" + name : dir + "/" + name;
  }

  /** Deletes {@code path} if it is there (any version), riding out connection blips. */
  public static void deleteIfExists(KeelClient client, String path, Deadline deadline)
      throws InterruptedException {
    retry(client, deadline, () -> {
      try {
        client.delete(path, KeelClient.ANY_VERSION);
      } catch (KeelException.NoNodeException e) {
        // Gone already, or our earlier try did it before its reply was lost.
      }
      return null;
    });
  }

  /** True for failures that leave the session usable: the call may simply be tried again. */
  public static boolean isTransient(KeelException e) {
    return e.code() == Code.CONNECTIONLOSS || e.code() == Code.OPERATIONTIMEOUT;
  }

  /**
   * Runs {@code call}, again after each transient failure (connection loss, timeout) while the
   * deadline allows and the session may still be alive. Only for calls whose repetition is
   * harmless (reads, deletes of a known node, version-checked writes).
   */
  public static <T> T retry(KeelClient client, Deadline deadline, Supplier<T> call)
      throws InterruptedException {
    long backoffMs = 20;
    while (true) {
      try {
        return call.get();
      } catch (KeelException e) {
        ConnectionState state = client.connectionState();
        if (!isTransient(e) || deadline.expired()
            || state == ConnectionState.LOST || state == ConnectionState.CLOSED) {
          throw e;
        }
      }
      // Backs off so a leader election is not flooded; bounded by the caller's deadline.
      Thread.sleep(Math.min(backoffMs, Math.max(1, deadline.remainingNanos() / 1_000_000)));
      backoffMs = Math.min(1000, backoffMs * 2);
    }
  }

  /** {@link #retry} for a call with no result. */
  public static void retryRun(KeelClient client, Deadline deadline, Runnable call)
      throws InterruptedException {
    retry(client, deadline, () -> {
      call.run();
      return null;
    });
  }

  /**
   * Deletes {@code path} only if it is an ephemeral of this client's session, riding out
   * connection blips. For nodes whose names are reused (claims, registrations, members): a retried
   * plain delete could remove the node another session made after ours was gone. Returns whether
   * it deleted a node.
   */
  public static boolean deleteOwned(KeelClient client, String path, Deadline deadline)
      throws InterruptedException {
    return retry(client, deadline, () -> {
      client.sync(path);  // the owner must be read as of now, not from a lagging server
      while (true) {
        Optional<Stat> there = client.exists(path);
        if (there.isEmpty() || there.get().ephemeralOwner() != client.sessionId()) {
          return false;
        }
        try {
          client.delete(path, there.get().version());
          return true;
        } catch (KeelException.NoNodeException e) {
          return false;
        } catch (KeelException.BadVersionException e) {
          // Its data changed meanwhile: look again.
        }
      }
    });
  }

  /** {@link #deleteOwned} in the background, once, for paths where the caller cannot wait. */
  public static void deleteOwnedAsync(KeelClient client, String path) {
    client.syncAsync(path)
        .thenCompose(done -> client.existsAsync(path))
        .thenAccept(there -> {
          if (there.isPresent() && there.get().ephemeralOwner() == client.sessionId()) {
            client.deleteAsync(path, there.get().version());
          }
        });
  }
}
