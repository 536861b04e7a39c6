package io.keel.recipes.election;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Op;
import io.keel.client.OpResult;
import io.keel.client.Stat;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.ZNodes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The {@link Leadership} an {@link Election} hands out: the node and version its first write left,
 * and the zxid of that write. The election ends it; closing it asks the election to resign.
 */
final class Term implements Leadership {
  private final Election election;
  private final KeelClient client;
  private final String node;
  private final int version;
  private final long token;
  private volatile boolean current = true;
  /** Completes once listeners were told this term is over. */
  private volatile CompletableFuture<Void> told = new CompletableFuture<>();

  /** The term {@code written} (a write to {@code node} by {@code election}) began. */
  static Term of(Election election, String node, Stat written) {
    return new Term(election, node, written.version(), written.mzxid());
  }

  /** Begins a term with {@link #rewrite}. */
  static Term begin(Election election, String node) throws InterruptedException {
    return of(election, node, rewrite(election, node));
  }

  /**
   * Sets {@code node}'s data to the participant's id again, at the version it has: the write's
   * zxid is a term's token, the version it leaves is what the term's guard checks, and it makes
   * every earlier term's guard on the node fail.
   */
  static Stat rewrite(Election election, String node) throws InterruptedException {
    KeelClient client = election.client;
    return ZNodes.retry(client, Deadline.never(), () -> {
      while (true) {
        Stat now = client.exists(node).orElseThrow(() -> KeelException.create(
            KeelException.Code.NONODE, node, "our election node " + node + " is gone"));
        try {
          return client.setData(node, election.idBytes, now.version());
        } catch (KeelException.BadVersionException e) {
          // An earlier try of ours landed before its reply was lost: read the version again.
        }
      }
    });
  }

  private Term(Election election, String node, int version, long token) {
    this.election = election;
    this.client = election.client;
    this.node = node;
    this.version = version;
    this.token = token;
  }

  @Override
  public long fencingToken() {
    return token;
  }

  @Override
  public String participantId() {
    return election.participantId();
  }

  @Override
  public String path() {
    return node;
  }

  int version() {
    return version;
  }

  @Override
  public Op guard() {
    return Op.check(node, version);
  }

  @Override
  public List<OpResult> guardedMulti(List<Op> ops) {
    List<Op> all = new ArrayList<>(ops.size() + 1);
    all.add(guard());
    all.addAll(ops);
    List<OpResult> results = client.multi(all);
    return results.subList(1, results.size());
  }

  @Override
  public boolean isCurrent() {
    return current;
  }

  /** Called by the election, under its lock, when the term is over. */
  void end(CompletableFuture<Void> listenersTold) {
    current = false;
    listenersTold.whenComplete((v, e) -> told.complete(null));
  }

  /** Completes once the listeners' {@code notLeader} for this term returned (or was skipped). */
  CompletableFuture<Void> told() {
    return told;
  }

  @Override
  public void close() {
    election.resign(this);
  }

  @Override
  public String toString() {
    return "Leadership[" + election.participantId() + " at " + node + ", token " + token
        + (current ? "]" : ", ended]");
  }
}
