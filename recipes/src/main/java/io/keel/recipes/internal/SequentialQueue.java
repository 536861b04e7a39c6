package io.keel.recipes.internal;

import io.keel.client.CreateMode;
import io.keel.client.CreateOptions;
import io.keel.client.Created;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Stat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind locks, read-write locks, semaphores and leader elections: join a queue as an
 * ephemeral sequential node under one directory, then wait until a {@link Rule} over the sorted
 * children says this node holds, watching only the one node the rule names (no herd effect).
 *
 * <p>Nodes get protected names ({@code _c_<uuid>-<prefix><counter>}): when the reply of the create
 * is lost, the client finds its own node by the uuid instead of leaving an orphan that would block
 * everyone behind it until its session ends.
 *
 * <p>Thread-safe. Blocking calls honour interrupts and deadlines; a member whose node disappears
 * (its session expired) gets a {@link KeelException.NoNodeException}.
 */
public final class SequentialQueue {
  private static final Logger LOG = LoggerFactory.getLogger(SequentialQueue.class);

  /**
   * Whether the member at {@code index} of {@code sorted} holds: null if it does, else the name of
   * the node whose deletion (or change) may change the answer. A pure function of its arguments.
   */
  @FunctionalInterface
  public interface Rule {
    String waitFor(List<String> sorted, int index);
  }

  /** The first node holds; each other one waits for its predecessor. */
  public static final Rule FIRST = (sorted, index) -> index == 0 ? null : sorted.get(index - 1);

  /** A node this client made in the queue. */
  public record Member(String path, String name, long czxid, String head, boolean recovered) {}

  private final KeelClient client;
  private final String dir;
  private final LongAdder wakeups = new LongAdder();

  public SequentialQueue(KeelClient client, String dir) {
    this.client = client;
    this.dir = dir;
  }

  public KeelClient client() {
    return client;
  }

  public String dir() {
    return dir;
  }

  /** How often a waiter was woken by a change to the node it watched (herd-effect check). */
  public long wakeups() {
    return wakeups.sum();
  }

  /**
   * Creates this client's node, {@code prefix} then the counter, under the directory. If it fails
   * or is interrupted after a create was sent, whatever that create made is removed (now or when
   * its reply comes), so no orphan blocks the contenders behind it until the session ends.
   */
  public Member join(String prefix, byte[] data, Deadline deadline) throws InterruptedException {
    String head = Sequence.protectedHead(UUID.randomUUID().toString());
    boolean joined = false;
    try {
      Member m = create(head, prefix, data, deadline);
      joined = true;
      return m;
    } finally {
      if (!joined) {
        abandon(head);
      }
    }
  }

  private Member create(String head, String prefix, byte[] data, Deadline deadline)
      throws InterruptedException {
    String path = ZNodes.join(dir, head + prefix);
    boolean recovered = false;
    while (true) {
      CompletableFuture<Created> sent =
          client.createAsync(path, data, CreateMode.EPHEMERAL_SEQUENTIAL, CreateOptions.DEFAULT);
      try {
        Created c = sent.get();
        return new Member(c.path(), ZNodes.name(c.path()), c.stat().czxid(), head, recovered);
      } catch (InterruptedException e) {
        // The create goes on without us: delete its node if it makes one.
        sent.thenAccept(c -> client.deleteAsync(c.path(), KeelClient.ANY_VERSION));
        throw e;
      } catch (ExecutionException e) {
        KeelException k = e.getCause() instanceof KeelException ke ? ke
            : KeelException.create(KeelException.Code.SYSTEMERROR, path, String.valueOf(e.getCause()));
        if (k instanceof KeelException.NoNodeException) {
          ZNodes.retryRun(client, deadline, () -> ZNodes.ensurePath(client, dir, CreateMode.CONTAINER));
          continue;
        }
        if (!ZNodes.isTransient(k) || deadline.expired()) {
          throw k;
        }
        // The create may have been applied with its reply lost: look for our uuid first.
        recovered = true;
        LOG.info("No reply to creating {}* ({}); looking for it by its protected name", path,
            k.code());
        Optional<Member> made = find(head, deadline);
        if (made.isPresent()) {
          return made.get();
        }
      }
    }
  }

  /** Best effort, in the background: removes every node of ours ({@code head}) there is now. */
  private void abandon(String head) {
    client.getChildrenAsync(dir).thenAccept(names -> {
      for (String name : names) {
        if (name.startsWith(head)) {
          client.deleteAsync(ZNodes.join(dir, name), KeelClient.ANY_VERSION);
        }
      }
    });
  }

  private Optional<Member> find(String head, Deadline deadline) throws InterruptedException {
    List<String> children;
    try {
      children = ZNodes.retry(client, deadline, () -> client.getChildren(dir));
    } catch (KeelException.NoNodeException e) {
      return Optional.empty();
    }
    List<String> ours = new ArrayList<>();
    for (String c : Sequence.sorted(children)) {
      if (c.startsWith(head)) {
        ours.add(c);
      }
    }
    for (String name : ours) {
      String p = ZNodes.join(dir, name);
      Optional<Stat> stat = ZNodes.retry(client, deadline, () -> client.exists(p));
      if (stat.isPresent()) {
        return Optional.of(new Member(p, name, stat.get().czxid(), head, true));
      }
    }
    return Optional.empty();
  }

  /** The directory's children that end in a counter, in counter order (empty if it is gone). */
  public List<String> sortedChildren(Deadline deadline) throws InterruptedException {
    try {
      return Sequence.sorted(ZNodes.retry(client, deadline, () -> client.getChildren(dir)));
    } catch (KeelException.NoNodeException e) {
      return List.of();
    }
  }

  /**
   * Waits until {@code rule} says {@code me} holds. Returns true then, false if the deadline came
   * first (the member's node is left for the caller to remove).
   *
   * @throws KeelException.NoNodeException if the member's node is gone (its session ended)
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean await(Member me, Rule rule, Deadline deadline) throws InterruptedException {
    while (true) {
      List<String> sorted = sortedChildren(deadline);
      int index = sorted.indexOf(me.name());
      if (index < 0) {
        throw KeelException.create(KeelException.Code.NONODE, me.path(),
            "our queue node " + me.path() + " is gone: the session expired or it was deleted");
      }
      String blocker = rule.waitFor(sorted, index);
      if (blocker == null) {
        return true;
      }
      if (blocker.startsWith(me.head())) {
        // A twin of ours ahead: a create whose reply was lost committed after we made another
        // node. Nobody else would ever delete it, so we would wait for ourselves.
        ZNodes.deleteIfExists(client, ZNodes.join(dir, blocker), deadline);
        continue;
      }
      CompletableFuture<Void> changed = new CompletableFuture<>();
      String watched = ZNodes.join(dir, blocker);
      try {
        ZNodes.retry(client, deadline, () -> client.getData(watched, event -> changed.complete(null)));
      } catch (KeelException.NoNodeException e) {
        continue;  // went away between the listing and the watch: look again
      }
      if (!deadline.await(changed)) {
        return false;
      }
      wakeups.increment();
    }
  }

  /**
   * Removes the member's node (and, after a recovered create, any twin the lost create made).
   * Rides out connection blips for up to the session timeout, after which the session's end
   * removes the node anyway. Never throws; an interrupt is kept on the thread.
   */
  public void leave(Member me) {
    Deadline deadline = Deadline.after(Duration.ofMillis(client.sessionTimeoutMs()));
    try {
      ZNodes.deleteIfExists(client, me.path(), deadline);
      if (me.recovered()) {
        for (String name : sortedChildren(deadline)) {
          if (name.startsWith(me.head())) {
            ZNodes.deleteIfExists(client, ZNodes.join(dir, name), deadline);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      client.deleteAsync(me.path(), KeelClient.ANY_VERSION);
    } catch (KeelException e) {
      // Session lost or cluster unreachable for a whole session timeout: the node dies with it.
    }
  }
}
