package io.keel.recipes.internal;

import io.keel.client.CreateMode;
import io.keel.client.CreateOptions;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Stat;
import java.util.Optional;

/**
 * An ephemeral node of a chosen name that one client owns: a service registration, a group
 * member. Creating rides out connection loss (a node already there and owned by this session is
 * the one a lost reply made); updates and deletes touch the node only while this session owns it,
 * so they never clobber another session's node of the same name. Thread-safe.
 */
public final class EphemeralNode {
  private final KeelClient client;
  private final String path;

  public EphemeralNode(KeelClient client, String path) {
    this.client = client;
    this.path = path;
  }

  public String path() {
    return path;
  }

  /**
   * Creates the node with {@code data}, and its parents as containers.
   *
   * @throws KeelException.NodeExistsException if another session owns a node of this name
   */
  public Stat create(byte[] data, Deadline deadline) throws InterruptedException {
    while (true) {
      try {
        Optional<Stat> made = ZNodes.retry(client, deadline, () -> createOrRecognize(data));
        if (made.isPresent()) {
          return made.get();
        }
      } catch (KeelException.NoNodeException e) {
        ZNodes.retryRun(client, deadline,
            () -> ZNodes.ensurePath(client, ZNodes.parent(path), CreateMode.CONTAINER));
      }
    }
  }

  private Optional<Stat> createOrRecognize(byte[] data) {
    try {
      return Optional.of(client.create(path, data, CreateMode.EPHEMERAL, CreateOptions.DEFAULT).stat());
    } catch (KeelException.NodeExistsException e) {
      Optional<Stat> there = client.exists(path);
      if (there.isEmpty()) {
        return Optional.empty();  // gone meanwhile: try again
      }
      if (there.get().ephemeralOwner() != client.sessionId()) {
        throw KeelException.create(KeelException.Code.NODEEXISTS, path,
            path + " is held by another session, 0x" + Long.toHexString(there.get().ephemeralOwner()));
      }
      return there;  // ours: an earlier try was applied and its reply lost
    }
  }

  /**
   * Replaces the node's data while this session owns it; empty if it does not (gone, or
   * another session's).
   */
  public Optional<Stat> setData(byte[] data, Deadline deadline) throws InterruptedException {
    return ZNodes.retry(client, deadline, () -> {
      while (true) {
        Optional<Stat> there = client.exists(path);
        if (there.isEmpty() || there.get().ephemeralOwner() != client.sessionId()) {
          return Optional.<Stat>empty();
        }
        try {
          return Optional.of(client.setData(path, data, there.get().version()));
        } catch (KeelException.BadVersionException | KeelException.NoNodeException e) {
          // Changed between the two calls (a retried write of ours, or someone's delete): look again.
        }
      }
    });
  }

  /** Deletes the node if this session owns it. Returns false if it was not there to delete. */
  public boolean delete(Deadline deadline) throws InterruptedException {
    return ZNodes.deleteOwned(client, path, deadline);
  }

}
