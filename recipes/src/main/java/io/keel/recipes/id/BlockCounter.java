package io.keel.recipes.id;

import io.keel.client.ConnectionState;
import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.NodeData;
import io.keel.client.Op;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.ZNodes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * The node behind {@link BlockIdGenerator}: it holds the next unreserved id as decimal text (the
 * format of {@code io.keel.recipes.counter.AtomicCounter}; absent or empty is 0), and a
 * reservation moves it forward by compare-and-set on the node's version.
 *
 * <p>Before the node's 32-bit version would wrap, a reservation replaces the node (delete at
 * that version and create, one multi), as {@code AtomicCounter} does: versions repeat only once
 * every 2^31 reservations, far beyond the age of any read a reservation acts on.
 *
 * <p>Unlike a counter's add, a reservation may be retried blindly after a lost reply: if the lost
 * write was applied, its range is simply never handed out (a gap), and the retry reserves the next
 * one. Thread-safe; stateless apart from its arguments.
 */
final class BlockCounter {
  /** The last version a setData can step from without wrapping into negative versions. */
  static final int LAST_VERSION = Integer.MAX_VALUE;
  private static final Duration NO_CAP = Duration.ofDays(1);

  private final KeelClient client;
  private final String path;
  private final int replaceAtVersion;

  BlockCounter(KeelClient client, String path, int replaceAtVersion) {
    this.client = client;
    this.path = path;
    this.replaceAtVersion = replaceAtVersion;
  }

  /**
   * Reserves {@code size} ids and returns the first. Throws a transient KeelException once the
   * deadline has passed, and any other failure (session ended, node not a counter) at once.
   */
  long reserve(long size, Deadline deadline) throws InterruptedException {
    while (true) {
      NodeData node;
      try {
        node = ZNodes.retry(client, deadline,
            () -> client.getData(path, deadline.remaining(NO_CAP)));
      } catch (KeelException.NoNodeException e) {
        node = null;
      }
      long start = node == null ? 0 : decode(node.data());
      if (start > Long.MAX_VALUE - size) {
        throw KeelException.create(KeelException.Code.BADARGUMENTS, path, "the ids of " + path
            + " are used up: " + start + " + " + size + " overflows 64 bits");
      }
      byte[] data = Long.toString(start + size).getBytes(StandardCharsets.US_ASCII);
      try {
        write(node, data, deadline);
        return start;
      } catch (KeelException.BadVersionException | KeelException.NodeExistsException e) {
        // Another reservation came first; its reply brought this client up to date for the re-read.
      } catch (KeelException.NoNodeException e) {
        if (node == null) {
          String parent = ZNodes.parent(path);
          ZNodes.retryRun(client, deadline,
              () -> ZNodes.ensurePath(client, parent, CreateMode.CONTAINER));
        }
      } catch (KeelException e) {
        ConnectionState state = client.connectionState();
        if (!ZNodes.isTransient(e) || deadline.expired()
            || state == ConnectionState.LOST || state == ConnectionState.CLOSED) {
          throw e;
        }
        // Outcome unknown: if it was applied, that range is a gap. Reserve again.
      }
    }
  }

  private void write(NodeData node, byte[] data, Deadline deadline) {
    Duration timeout = deadline.remaining(NO_CAP);
    if (node == null) {
      client.create(path, data, CreateMode.PERSISTENT, timeout);
      return;
    }
    int version = node.stat().version();
    if (version < 0) {
      throw KeelException.create(KeelException.Code.BADVERSION, path, "node " + path
          + " has version " + version + ": more than 2^31 writes not made by this recipe wrapped "
          + "it, and no compare-and-set can name it");
    }
    if (version >= replaceAtVersion) {
      // A setData would wrap the version; a new node starts at version 0.
      client.multi(List.of(Op.delete(path, version), Op.create(path, data, CreateMode.PERSISTENT)),
          timeout);
    } else {
      client.setData(path, data, version, timeout);
    }
  }

  private long decode(byte[] data) {
    String text = new String(data, StandardCharsets.US_ASCII).strip();
    if (text.isEmpty()) {
      return 0;
    }
    try {
      long value = Long.parseLong(text);
      if (value >= 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
    throw KeelException.create(KeelException.Code.MARSHALLINGERROR, path, "node " + path
        + " holds '" + shown + "', not an id counter (a non-negative 64-bit integer as decimal "
        + "text)");
  }
}
