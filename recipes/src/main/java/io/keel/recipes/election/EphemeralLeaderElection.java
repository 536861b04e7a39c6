package io.keel.recipes.election;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.NodeData;
import io.keel.client.Op;
import io.keel.client.OpResult;
import io.keel.client.Stat;
import io.keel.client.Watcher;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.SequentialQueue;
import io.keel.recipes.internal.SequentialQueue.Member;
import io.keel.recipes.internal.ZNodes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Leader election by a race for one ephemeral node: whoever creates {@code path/leader} (holding its
 * id) leads; every other participant watches that node and tries again when it is deleted. Each
 * participant also registers as an ephemeral sequential node under {@code path/participants}, so
 * that {@link #participants()} can list them and a term's guard has a node of its own.
 *
 * <pre>{@code
 * EphemeralLeaderElection election = new EphemeralLeaderElection(client, "/election/cron", "host-1");
 * election.addListener(new LeadershipListener() {
 *   public void isLeader(Leadership term) { cron.resume(term.fencingToken()); }
 *   public void notLeader() { cron.pause(); }
 * });
 * election.start();
 * }</pre>
 *
 * <p>Unlike {@link LeaderElection} there is no line: when the leader goes, every waiting
 * participant races (a small herd, one create each) and any of them may win. A participant wins
 * with one multi that creates the leader node and writes its registration node: that zxid (the
 * leader node's czxid) is the term's fencing token, and {@link Leadership#guard()} checks the
 * registration at the version the write left. A SUSPENDED leader keeps the leader node; after
 * RECONNECTED it begins a new term with a new write to its registration (a new, larger token).
 * {@link #resign()} writes the registration (so the old term's guard fails) and deletes the leader
 * node in one multi; this participant then stays out of the race until the leader node was created
 * or deleted again by someone, or no other participant is registered. The leader node is recognised by its owner session and id, so
 * participants sharing one client need distinct ids. Everything else is as described in
 * {@link Election}; {@code path} and {@code path/participants} are containers, removed by the
 * server once the last participant left. Thread-safe.
 */
public final class EphemeralLeaderElection extends Election {
  /** The node whose creator leads. */
  public static final String LEADER = "leader";
  /** Where participants register. */
  public static final String PARTICIPANTS = "participants";
  private static final String PREFIX = "participant-";

  private final String leaderPath;
  private final SequentialQueue registry;
  // Touched by the election's thread only:
  private Member registration;
  private Stat won;
  /** After a resign: the zxid of our resignation; we stay out until the leader node moved since. */
  private long yieldingSince;

  /** A participant {@code participantId} in the election at {@code path}; call {@link #start()}. */
  public EphemeralLeaderElection(KeelClient client, String path, String participantId) {
    super(client, path, participantId);
    this.leaderPath = ZNodes.join(path, LEADER);
    this.registry = new SequentialQueue(client, ZNodes.join(path, PARTICIPANTS));
  }

  @Override
  boolean awaitTurn(CompletableFuture<Void> wake) throws InterruptedException {
    if (registration == null) {
      registration = registry.join(PREFIX, idBytes, Deadline.never());
    }
    while (!wake.isDone()) {
      CompletableFuture<Void> changed = new CompletableFuture<>();
      Watcher watcher = event -> changed.complete(null);
      if (yieldingSince > 0 && othersMayLead(watcher)) {
        Deadline.never().await(CompletableFuture.anyOf(changed, wake));
        continue;
      }
      yieldingSince = 0;
      try {
        NodeData leader = ZNodes.retry(client, Deadline.never(), () -> client.getData(leaderPath, watcher));
        if (mine(leader)) {
          return true;  // ours still (a resumed term), or our create's reply was lost
        }
        Deadline.never().await(CompletableFuture.anyOf(changed, wake));
      } catch (KeelException.NoNodeException e) {
        if (tryToLead()) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * While yielding: true while another participant is registered and nobody has created (or
   * deleted) the leader node since our resignation. Watches both, so either change wakes us. The
   * directory's pzxid tells whether a leader came and went already: then others are yielding too,
   * and waiting longer could leave nobody in the race.
   */
  private boolean othersMayLead(Watcher watcher) throws InterruptedException {
    if (ZNodes.retry(client, Deadline.never(), () -> client.exists(leaderPath, watcher)).isPresent()) {
      return false;  // someone took it: stop yielding, wait for it like everyone else
    }
    List<String> all;
    try {
      all = ZNodes.retry(client, Deadline.never(), () -> client.getChildren(registry.dir(), watcher));
    } catch (KeelException.NoNodeException e) {
      return false;
    }
    if (all.stream().allMatch(name -> name.equals(registration.name()))) {
      return false;  // alone: nobody to yield to
    }
    Optional<Stat> dir = ZNodes.retry(client, Deadline.never(), () -> client.exists(path));
    return dir.isPresent() && dir.get().pzxid() <= yieldingSince;
  }

  /** Creates the leader node and writes our registration at one zxid; false if another has it. */
  private boolean tryToLead() throws InterruptedException {
    List<Op> ops = List.of(Op.create(leaderPath, idBytes, CreateMode.EPHEMERAL),
        Op.setData(registration.path(), idBytes, KeelClient.ANY_VERSION));
    try {
      // A retry after a lost reply fails with NODEEXISTS; the next look finds the node ours.
      List<OpResult> done = ZNodes.retry(client, Deadline.never(), () -> client.multi(ops));
      won = ((OpResult.SetDataResult) done.get(1)).stat();
      return true;
    } catch (KeelException.NodeExistsException e) {
      return false;
    } catch (KeelException.NoNodeException e) {
      registration = null;  // our registration (and so maybe the directory) is gone: join again
      throw e;
    }
  }

  private boolean mine(NodeData leader) {
    return leader.stat().ephemeralOwner() == client.sessionId() && Arrays.equals(leader.data(), idBytes);
  }

  @Override
  Term beginTerm() throws InterruptedException {
    Stat written = won;
    won = null;
    try {
      return written != null ? Term.of(this, registration.path(), written)
          : Term.begin(this, registration.path());
    } catch (KeelException.NoNodeException e) {
      registration = null;
      throw e;
    }
  }

  @Override
  CompletableFuture<Void> watchTerm(Term t) throws InterruptedException {
    CompletableFuture<Void> changed = new CompletableFuture<>();
    try {
      NodeData leader = ZNodes.retry(client, Deadline.never(),
          () -> client.getData(leaderPath, event -> changed.complete(null)));
      if (!mine(leader)) {
        changed.complete(null);
      }
    } catch (KeelException.NoNodeException e) {
      changed.complete(null);
    }
    return changed;
  }

  /**
   * Writes our registration (so the ended term's guard fails) and deletes the leader node in one
   * multi, then stays out of the race until another participant has had its chance.
   */
  @Override
  void stepDown(Term ended) throws InterruptedException {
    String reg = registration.path();
    try {
      List<Op> ops = new ArrayList<>(2);
      ops.add(Op.setData(reg, idBytes, KeelClient.ANY_VERSION));
      try {
        NodeData leader = ZNodes.retry(client, Deadline.never(), () -> client.getData(leaderPath));
        if (mine(leader)) {
          ops.add(Op.delete(leaderPath, leader.stat().version()));
        }
      } catch (KeelException.NoNodeException e) {
        // Gone already (deleted by hand): nothing to hand over.
      }
      List<OpResult> done = ZNodes.retry(client, Deadline.never(), () -> client.multi(ops));
      yieldingSince = ((OpResult.SetDataResult) done.get(0)).stat().mzxid();
    } catch (KeelException.NoNodeException e) {
      // A retry after our multi landed (its delete finds nothing), the leader node deleted by
      // hand meanwhile, or our registration gone.
      Optional<Stat> now = ZNodes.retry(client, Deadline.never(), () -> client.exists(reg));
      if (now.isEmpty()) {
        registration = null;  // deleted by hand: join again, without our leader node
        yieldingSince = 0;
        deleteLeaderIfMine(Deadline.never());
      } else if (now.get().version() == ended.version()) {
        yieldingSince = Term.rewrite(this, reg).mzxid();  // the multi did not land
      } else {
        yieldingSince = now.get().mzxid();
      }
    }
  }

  private void deleteLeaderIfMine(Deadline deadline) throws InterruptedException {
    try {
      NodeData leader = ZNodes.retry(client, deadline, () -> client.getData(leaderPath));
      if (mine(leader)) {
        ZNodes.retryRun(client, deadline, () -> client.delete(leaderPath, leader.stat().version()));
      }
    } catch (KeelException.NoNodeException e) {
      // Not there, or our delete landed before its reply was lost.
    }
  }

  @Override
  void leave() {
    try {
      if (registration != null) {
        registry.leave(registration);  // first: the last term's guard fails now
        registration = null;
      }
      deleteLeaderIfMine(Deadline.after(Duration.ofMillis(client.sessionTimeoutMs())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (KeelException e) {
      // Session gone or cluster unreachable for a whole session timeout: the nodes die with it.
    }
  }

  @Override
  Optional<String> readLeaderId(Deadline deadline) throws InterruptedException {
    return readLeader(deadline).map(d -> new String(d.data(), StandardCharsets.UTF_8));
  }

  private Optional<NodeData> readLeader(Deadline deadline) throws InterruptedException {
    try {
      return Optional.of(ZNodes.retry(client, deadline, () -> client.getData(leaderPath)));
    } catch (KeelException.NoNodeException e) {
      return Optional.empty();
    }
  }

  @Override
  List<Participant> readParticipants(Deadline deadline) throws InterruptedException {
    Optional<NodeData> leader = readLeader(deadline);
    List<Participant> out = new ArrayList<>();
    boolean marked = false;
    for (String name : registry.sortedChildren(deadline)) {
      String node = ZNodes.join(registry.dir(), name);
      try {
        NodeData d = ZNodes.retry(client, deadline, () -> client.getData(node));
        boolean leads = !marked && leader.isPresent()
            && leader.get().stat().ephemeralOwner() == d.stat().ephemeralOwner()
            && Arrays.equals(leader.get().data(), d.data());
        marked |= leads;
        out.add(new Participant(new String(d.data(), StandardCharsets.UTF_8), node, leads));
      } catch (KeelException.NoNodeException e) {
        // Left between the listing and the read.
      }
    }
    return out;
  }
}
