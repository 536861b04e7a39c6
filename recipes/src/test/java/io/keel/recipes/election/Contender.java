package io.keel.recipes.election;

import io.keel.client.KeelClient;
import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One participant as tests run it: its own client (as its own process would have), its election,
 * and a listener that records its leadership intervals in a shared {@link History}.
 *
 * <p>{@link #kill} stands in for the process dying: from then on nothing it reports counts, its
 * open interval ends at the kill, and its session is expired by the cluster at once.
 */
final class Contender implements LeadershipListener, AutoCloseable {
  static final Duration SESSION_TIMEOUT = Duration.ofSeconds(4);

  final String id;
  final KeelClient client;
  final Election election;
  final List<String> calls = new CopyOnWriteArrayList<>();
  final List<String> threads = new CopyOnWriteArrayList<>();
  final List<Long> tokens = new CopyOnWriteArrayList<>();
  private final History history;
  private boolean dead;
  private long openedAt;
  private Leadership open;

  Contender(KeelTestCluster cluster, Style style, String path, String id, History history) {
    this.id = id;
    this.history = history;
    this.client = KeelClient.builder(cluster.connectString()).sessionTimeout(SESSION_TIMEOUT).build();
    this.election = style.create(client, path, id);
    election.addListener(this);
  }

  Contender start() {
    election.start();
    return this;
  }

  @Override
  public synchronized void isLeader(Leadership term) {
    calls.add("isLeader");
    threads.add(Thread.currentThread().getName());
    if (dead) {
      return;
    }
    tokens.add(term.fencingToken());
    open = term;
    openedAt = System.nanoTime();
  }

  @Override
  public synchronized void notLeader() {
    calls.add("notLeader");
    threads.add(Thread.currentThread().getName());
    closeInterval();
  }

  private void closeInterval() {
    if (!dead && open != null && history != null) {
      history.add(id, openedAt, System.nanoTime(), open.fencingToken());
    }
    open = null;
  }

  /** True while its listener says it leads (and it was not killed). */
  synchronized boolean leading() {
    return open != null && !dead;
  }

  synchronized Leadership openTerm() {
    return open;
  }

  /**
   * Its process "dies" now: the interval ends here, then the cluster expires its session, and
   * it is closed. Returns the {@code System.nanoTime} of the expiry.
   */
  long kill(KeelTestCluster cluster) {
    synchronized (this) {
      closeInterval();
      dead = true;
    }
    cluster.expireSession(client.sessionId(), Duration.ofSeconds(30));
    long expired = System.nanoTime();
    close();
    return expired;
  }

  /** When its listener last heard {@code isLeader} ({@code System.nanoTime}). */
  synchronized long openedAt() {
    return openedAt;
  }

  /** Ends the open interval now, as if the test stopped watching here. */
  synchronized void stopRecording() {
    closeInterval();
    dead = true;
  }

  @Override
  public void close() {
    election.close();
    client.close();
  }

  @Override
  public String toString() {
    return id;
  }
}
