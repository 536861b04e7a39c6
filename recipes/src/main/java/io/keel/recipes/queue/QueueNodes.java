package io.keel.recipes.queue;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Op;
import io.keel.client.Stat;
import io.keel.recipes.internal.ChangeSignal;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The nodes of a {@link DistributedQueue}: {@code items/} (the elements), {@code claims/} (one
 * ephemeral node per element a consumer holds, named like it) and {@code offers/} (ephemeral
 * markers that tell a producer whether an offer whose reply was lost was applied). All three and
 * the queue's own node are containers. Thread-safe.
 */
final class QueueNodes {
  /** An element this client claimed: its node, its claim node and its data. */
  record Claimed(String item, String claim, byte[] data) {}

  private final KeelClient client;
  private final String items;
  private final String claims;
  private final String offers;
  private final ChangeSignal signal = new ChangeSignal();
  /** Markers whose deletion failed: removed at close, or with the session. */
  private final Set<String> strayMarkers = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  QueueNodes(KeelClient client, String path) {
    this.client = client;
    this.items = ZNodes.join(path, "items");
    this.claims = ZNodes.join(path, "claims");
    this.offers = ZNodes.join(path, "offers");
  }

  /** How long single operations ride out connection loss: past it the session is likely gone. */
  Deadline opDeadline() {
    return Deadline.after(Duration.ofMillis(client.sessionTimeoutMs()));
  }

  /** Creates an element named {@code prefix}+counter, exactly once even after a lost reply. */
  void add(String prefix, byte[] data) throws InterruptedException {
    String marker = ZNodes.join(offers, UUID.randomUUID().toString());
    List<Op> ops = List.of(
        Op.create(ZNodes.join(items, prefix), data, CreateMode.PERSISTENT_SEQUENTIAL),
        Op.create(marker, null, CreateMode.EPHEMERAL));
    while (true) {
      try {
        // Only this offer makes the marker and only its success deletes it: it tells.
        Writes.apply(client, ops, d -> Writes.exists(client, marker, d));
        break;
      } catch (KeelException.NoNodeException e) {
        Deadline deadline = opDeadline();
        ensure(items, deadline);
        ensure(offers, deadline);
      }
    }
    client.deleteAsync(marker, KeelClient.ANY_VERSION).whenComplete((ok, e) -> {
      Throwable cause = e instanceof CompletionException ? e.getCause() : e;
      if (cause != null && !(cause instanceof KeelException.NoNodeException)) {
        strayMarkers.add(marker);
      }
    });
  }

  /** The element names, in taking order; watched (for new ones) when {@code watch}. */
  List<String> items(Deadline deadline, boolean watch) throws InterruptedException {
    try {
      return ItemNames.sorted(ZNodes.retry(client, deadline,
          () -> watch ? client.getChildren(items, signal) : client.getChildren(items)));
    } catch (KeelException.NoNodeException e) {
      // No directory, so no child watch: watch for its creation instead.
      if (watch && ZNodes.retry(client, deadline, () -> client.exists(items, signal)).isPresent()) {
        return items(deadline, true);
      }
      return List.of();
    }
  }

  private Set<String> claimed(Deadline deadline, boolean watch) throws InterruptedException {
    try {
      return new HashSet<>(ZNodes.retry(client, deadline,
          () -> watch ? client.getChildren(claims, signal) : client.getChildren(claims)));
    } catch (KeelException.NoNodeException e) {
      return Set.of();
    }
  }

  /**
   * Claims the first element nobody holds, waiting (on watches) for one if {@code wait}. Empty at
   * the deadline, when not waiting and there is none, or once closed.
   */
  Optional<Claimed> claimFirst(Deadline deadline, boolean wait) throws InterruptedException {
    while (!closed) {
      CompletableFuture<Void> changed = signal.current();
      List<String> waiting = items(deadline, wait);
      if (!waiting.isEmpty()) {
        Set<String> held = claimed(deadline, wait);
        boolean lostRace = false;
        for (String name : waiting) {
          if (held.contains(name)) {
            continue;
          }
          Optional<Claimed> mine = tryClaim(name);
          if (mine.isPresent()) {
            return mine;
          }
          lostRace = true;
        }
        if (lostRace) {
          continue;  // others took what we saw: look again before waiting
        }
      }
      if (!wait) {
        return Optional.empty();
      }
      ChangeSignal.failIfLost(client, items);
      if (!deadline.await(changed)) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** Claims element {@code name} if it is still there and nobody holds it. */
  private Optional<Claimed> tryClaim(String name) throws InterruptedException {
    String item = ZNodes.join(items, name);
    String claim = ZNodes.join(claims, name);
    List<Op> ops = List.of(Op.check(item, -1), Op.create(claim, null, CreateMode.EPHEMERAL));
    while (true) {
      try {
        // After a lost reply, the claim node is ours only if the claim was applied.
        Writes.apply(client, ops, d -> ours(claim, d));
        break;
      } catch (KeelException e) {
        if (e.code() == KeelException.Code.NONODE && Writes.failedOp(e) == 1) {
          ensure(claims, opDeadline());
        } else if (e.code() == KeelException.Code.NONODE
            || e.code() == KeelException.Code.NODEEXISTS) {
          return Optional.empty();  // removed by, or held by, another consumer
        } else {
          throw e;
        }
      }
    }
    Deadline deadline = opDeadline();
    try {
      byte[] data = ZNodes.retry(client, deadline, () -> client.getData(item)).data();
      return Optional.of(new Claimed(item, claim, data));
    } catch (KeelException.NoNodeException e) {
      ZNodes.deleteIfExists(client, claim, deadline);  // deleted behind the queue's back
      return Optional.empty();
    } catch (InterruptedException | RuntimeException e) {
      // Nobody will ack or release a claim we do not hand out: give it back now.
      client.deleteAsync(claim, KeelClient.ANY_VERSION);
      throw e;
    }
  }

  private boolean ours(String claim, Deadline deadline) throws InterruptedException {
    Writes.sync(client, claim, deadline);
    Optional<Stat> stat = ZNodes.retry(client, deadline, () -> client.exists(claim));
    return stat.isPresent() && stat.get().ephemeralOwner() == client.sessionId();
  }

  private void ensure(String dir, Deadline deadline) throws InterruptedException {
    ZNodes.retryRun(client, deadline, () -> ZNodes.ensurePath(client, dir, CreateMode.CONTAINER));
  }

  /** Wakes waiting consumers (they return empty) and removes stray markers. Idempotent. */
  void close() {
    closed = true;
    signal.fire();
    for (String marker : strayMarkers) {
      client.deleteAsync(marker, KeelClient.ANY_VERSION);
    }
    strayMarkers.clear();
  }
}
