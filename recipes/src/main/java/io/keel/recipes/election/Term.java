package io.keel.recipes.election;

import io.keel.client.KeelClient;
import io.keel.client.Op;
import io.keel.client.OpResult;
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

  Term(Election election, String node, int version, long token) {
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
