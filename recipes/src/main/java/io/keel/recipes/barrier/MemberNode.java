package io.keel.recipes.barrier;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.NodeData;
import io.keel.client.Op;
import io.keel.client.Stat;
import io.keel.client.Watcher;
import io.keel.recipes.internal.ChangeSignal;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * One entry of a {@link DoubleBarrier} member: its ephemeral node under the barrier's container,
 * and the reads and guarded writes of the container's round state. The node is named
 * {@code <memberId>-<uuid>}, new for every entry, so a member that comes back under the same id
 * (after a crash, say) is never mistaken for its old self still listed in a dead round.
 * Immutable; thread-safe.
 */
final class MemberNode {
  final KeelClient client;
  /** The barrier's container. */
  final String dir;
  /** The node's name: the member id and this entry's uuid. */
  final String id;
  /** {@code dir/id}. */
  final String path;

  MemberNode(KeelClient client, String dir, String memberId) {
    this.client = client;
    this.dir = dir;
    this.id = checkId(dir, memberId) + "-" + UUID.randomUUID();
    this.path = ZNodes.join(dir, id);
  }

  static String checkId(String dir, String memberId) {
    if (memberId == null || memberId.isEmpty()
        || memberId.chars().anyMatch(c -> c == '/' || Character.isISOControl(c))) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, dir,
          "memberId must be a node name (no '/', no control characters), got " + memberId);
    }
    return memberId;
  }

  /** Creates this member's node (and the container, if missing). */
  void arrive(Deadline deadline) throws InterruptedException {
    while (true) {
      try {
        ZNodes.retry(client, deadline, () -> client.create(path, null, CreateMode.EPHEMERAL));
        return;
      } catch (KeelException.NoNodeException e) {
        ZNodes.retryRun(client, deadline,
            () -> ZNodes.ensurePath(client, dir, CreateMode.CONTAINER));
      } catch (KeelException.NodeExistsException e) {
        Optional<Stat> there = ZNodes.retry(client, deadline, () -> client.exists(path));
        if (there.isPresent() && there.get().ephemeralOwner() == client.sessionId()) {
          return;  // made by our own earlier try, whose reply was lost
        }
        if (there.isPresent()) {
          throw KeelException.create(KeelException.Code.NODEEXISTS, path,
              "member node " + path + " belongs to another session");
        }
      }
    }
  }

  /** Removes this member's node: it counts as having left. Never throws. */
  void remove() {
    try {
      ZNodes.deleteIfExists(client, path,
          Deadline.after(Duration.ofMillis(client.sessionTimeoutMs())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      client.deleteAsync(path, KeelClient.ANY_VERSION);
    } catch (KeelException e) {
      // Session lost or cluster unreachable for a whole session timeout: the node dies with it.
    }
  }

  /** The container's data and stat (watched unless {@code watcher} is null); null once gone. */
  NodeData roundNode(Deadline deadline, Watcher watcher) throws InterruptedException {
    try {
      return ZNodes.retry(client, deadline,
          () -> watcher == null ? client.getData(dir) : client.getData(dir, watcher));
    } catch (KeelException.NoNodeException e) {
      return null;
    }
  }

  /** The members' names; none once the container is gone. */
  List<String> present(Deadline deadline) throws InterruptedException {
    try {
      return ZNodes.retry(client, deadline, () -> client.getChildren(dir));
    } catch (KeelException.NoNodeException e) {
      return List.of();
    }
  }

  /**
   * Runs {@code guard} and {@code change} as one multi: true if it applied, false if the state
   * moved on (or the outcome is unknown after a lost reply) and must be read again.
   */
  boolean write(Deadline deadline, Op guard, Op change) {
    try {
      client.multi(List.of(guard, change));
      return true;
    } catch (KeelException.NoNodeException | KeelException.BadVersionException e) {
      return false;
    } catch (KeelException e) {
      if (!ZNodes.isTransient(e) || deadline.expired()) {
        throw e;
      }
      return false;
    }
  }

  /** The failure for a node that vanished without our removing it. */
  KeelException gone() {
    ChangeSignal.failIfLost(client, dir);
    return KeelException.create(KeelException.Code.NONODE, path,
        "member node " + path + " is gone: the session expired or it was deleted");
  }
}
