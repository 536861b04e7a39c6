package io.keel.recipes.election;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.NodeData;
import io.keel.client.Stat;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.SequentialQueue;
import io.keel.recipes.internal.SequentialQueue.Member;
import io.keel.recipes.internal.ZNodes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Leader election by a fair line (Curator's {@code LeaderLatch}): each participant joins as an
 * ephemeral sequential node under {@code path} holding its id; the smallest node leads, and every
 * other one watches only the node just before its own, so a leader's departure wakes exactly its
 * successor. Participants lead in the order they joined.
 *
 * <pre>{@code
 * try (LeaderElection election = new LeaderElection(client, "/election/scheduler", "host-1")) {
 *   election.start();
 *   Leadership term = election.awaitLeadership();
 *   scheduler.runWhileLeading(term.fencingToken());
 * }
 * }</pre>
 *
 * <p>A term begins with a write to the participant's own node (a versioned {@code setData} once it
 * is at the head of the line): its zxid is the term's fencing token, and {@link Leadership#guard()}
 * checks the node at the version it left. The node's creation zxid would not do as a token: a node
 * that joined before an earlier leader's later term began is older than that term.
 *
 * <p>{@link #resign()} deletes this participant's node (after listeners returned from
 * {@code notLeader}) and joins again at the back of the line; alone in the line it leads again at
 * once, with a new, larger token. A SUSPENDED leader keeps its node: after RECONNECTED it is still
 * at the head and begins a new term; if its session expires instead the node goes and the next in
 * line leads. Everything else is as described in {@link Election}. The path is a container: the
 * server removes it once the last participant left. Thread-safe.
 */
public final class LeaderElection extends Election {
  private static final String PREFIX = "candidate-";

  private final SequentialQueue line;
  /** This participant's place in line; touched by the election's thread only. */
  private Member member;

  /** A participant {@code participantId} in the election at {@code path}; call {@link #start()}. */
  public LeaderElection(KeelClient client, String path, String participantId) {
    super(client, path, participantId);
    this.line = new SequentialQueue(client, path);
  }

  @Override
  boolean awaitTurn(CompletableFuture<Void> wake) throws InterruptedException {
    if (member == null) {
      member = line.join(PREFIX, idBytes, Deadline.never());
    }
    try {
      return line.await(member, SequentialQueue.FIRST, Deadline.never());
    } catch (KeelException.NoNodeException e) {
      member = null;  // deleted by someone while the session lives: join again
      throw e;
    }
  }

  @Override
  Term beginTerm() throws InterruptedException {
    try {
      return Term.begin(this, member.path());
    } catch (KeelException.NoNodeException e) {
      member = null;
      throw e;
    }
  }

  @Override
  CompletableFuture<Void> watchTerm(Term t) throws InterruptedException {
    CompletableFuture<Void> changed = new CompletableFuture<>();
    Optional<Stat> now = ZNodes.retry(client, Deadline.never(),
        () -> client.exists(t.path(), event -> changed.complete(null)));
    if (now.isEmpty() || now.get().version() != t.version()) {
      changed.complete(null);
    }
    return changed;
  }

  /**
   * Deletes our node, retrying for as long as the session lives: joining again behind a node of
   * our own that stayed would leave us waiting for ourselves.
   */
  @Override
  void stepDown(Term ended) throws InterruptedException {
    ZNodes.deleteIfExists(client, member.path(), Deadline.never());
    leave();  // and any twin a lost create left
  }

  @Override
  void leave() {
    if (member != null) {
      line.leave(member);
      member = null;
    }
  }

  @Override
  Optional<String> readLeaderId(Deadline deadline) throws InterruptedException {
    for (Participant p : readParticipants(deadline)) {
      return Optional.of(p.id());
    }
    return Optional.empty();
  }

  @Override
  List<Participant> readParticipants(Deadline deadline) throws InterruptedException {
    List<Participant> out = new ArrayList<>();
    for (String name : line.sortedChildren(deadline)) {
      String node = ZNodes.join(path, name);
      try {
        NodeData d = ZNodes.retry(client, deadline, () -> client.getData(node));
        out.add(new Participant(new String(d.data(), StandardCharsets.UTF_8), node, out.isEmpty()));
      } catch (KeelException.NoNodeException e) {
        // Left between the listing and the read.
      }
    }
    return out;
  }
}
