package io.keel.recipes.config;

import io.keel.client.CreateMode;
import io.keel.client.CreateOptions;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.NodeData;
import io.keel.client.Stat;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * Compare-and-set and plain writes of one config node, riding out connection loss.
 *
 * <p>A write whose reply was lost may or may not have been applied. A compare-and-set then looks
 * at the node: still at the expected version, it tries again; one version further with exactly
 * the bytes it wrote, the write is taken as its own (if another client wrote the very same bytes
 * in that instant, the node holds what we wanted anyway); anything else lost the race.
 */
final class Writes {
  private static final Duration LONGEST = Duration.ofDays(1);

  private Writes() {}

  /** Writes {@code value} if the node is at {@code expected} ({@link Versioned#NO_NODE}: absent). */
  static Optional<Stat> trySet(KeelClient client, String path, int expected, byte[] value,
                               Deadline deadline) throws InterruptedException {
    if (expected < Versioned.NO_NODE) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path,
          "expected version must be a version >= 0 or NO_NODE (-1), got " + expected);
    }
    byte[] data = value == null ? new byte[0] : value;
    boolean unsure = false;
    while (true) {
      try {
        if (expected == Versioned.NO_NODE) {
          return Optional.of(client.create(path, data, CreateMode.PERSISTENT, CreateOptions.DEFAULT,
              deadline.remaining(LONGEST)).stat());
        }
        return Optional.of(client.setData(path, data, expected, deadline.remaining(LONGEST)));
      } catch (KeelException.NoNodeException e) {
        if (expected != Versioned.NO_NODE) {
          return unsure ? recognize(client, path, expected, data, deadline) : Optional.empty();
        }
        // A create whose parent is missing: make the parents (containers) and go again.
        ZNodes.retryRun(client, deadline,
            () -> ZNodes.ensurePath(client, ZNodes.parent(path), CreateMode.CONTAINER));
      } catch (KeelException.NodeExistsException | KeelException.BadVersionException e) {
        return unsure ? recognize(client, path, expected, data, deadline) : Optional.empty();
      } catch (KeelException e) {
        if (!ZNodes.isTransient(e) || deadline.expired()) {
          throw e;
        }
        unsure = true;
        Versioned now = read(client, path, deadline);
        if (now.version() != expected) {
          return recognize(now, expected, data);
        }
        // Not applied (yet): try again; a late arrival of the first try fails on the version.
      }
    }
  }

  /** Writes {@code value} whatever the version, creating the node (and parents) if missing. */
  static Stat set(KeelClient client, String path, byte[] value, Deadline deadline)
      throws InterruptedException {
    byte[] data = value == null ? new byte[0] : value;
    while (true) {
      try {
        // Repeating an unconditional write after a lost reply writes the same bytes again.
        return ZNodes.retry(client, deadline, () -> client.setData(path, data,
            KeelClient.ANY_VERSION, deadline.remaining(LONGEST)));
      } catch (KeelException.NoNodeException e) {
        Optional<Stat> made = trySet(client, path, Versioned.NO_NODE, data, deadline);
        if (made.isPresent()) {
          return made.get();
        }
        // Created by someone else meanwhile: overwrite it.
      }
    }
  }

  /** The node as it is now, after catching up with the leader. */
  static Versioned read(KeelClient client, String path, Deadline deadline)
      throws InterruptedException {
    return ZNodes.retry(client, deadline, () -> {
      client.sync(path, deadline.remaining(LONGEST));
      try {
        NodeData d = client.getData(path, deadline.remaining(LONGEST));
        return new Versioned(d.data(), d.stat());
      } catch (KeelException.NoNodeException e) {
        return Versioned.ABSENT;
      }
    });
  }

  private static Optional<Stat> recognize(KeelClient client, String path, int expected,
                                          byte[] data, Deadline deadline)
      throws InterruptedException {
    return recognize(read(client, path, deadline), expected, data);
  }

  /** Our write, if the node is one version past {@code expected} holding exactly our bytes. */
  private static Optional<Stat> recognize(Versioned now, int expected, byte[] data) {
    boolean next = now.exists() && now.version() == expected + 1;
    return next && Arrays.equals(now.data(), data) ? Optional.of(now.stat()) : Optional.empty();
  }
}
