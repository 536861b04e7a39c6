package io.keel.recipes.election;

import io.keel.client.ConnectionState;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.ZNodes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A leader election among every participant that names the same path: at most one participant
 * leads at a time, and when it goes another takes over. Two styles share this API:
 * {@link LeaderElection} (the smallest sequential node leads: a fair line) and
 * {@link EphemeralLeaderElection} (the first to create one ephemeral node leads; the others watch
 * it and try again when it goes).
 *
 * <p>Lifecycle: construct, {@link #addListener add listeners}, {@link #start()}, and
 * {@link #close()} to leave (which also drops leadership). One election object is one participant;
 * give each participant its own client, as each would be its own process.
 *
 * <p>Terms: each time this participant becomes leader it begins a {@link Leadership} term with a
 * write to its own node; the term carries a {@link Leadership#fencingToken() fencing token} that
 * grows across all terms and participants, and a {@link Leadership#guard() guard} for writes that
 * must only commit while no later term can have begun.
 *
 * <p>Connection states: leadership is dropped on SUSPENDED (the cluster may already have expired
 * the session and another participant may lead), not only on LOST. After RECONNECTED the same
 * session still holds its node: if this participant is still at the head it begins a new term
 * (with a new token), else it waits its turn. LOST is final: the session and its nodes are gone and
 * a client whose session expired cannot act again, so the election ends; {@link #awaitLeadership}
 * then throws {@link KeelException.SessionExpiredException}. To take part again, connect a new
 * client and start a new election. Connection loss and leader changes within the session timeout
 * are ridden out.
 *
 * <p>Threads: the election does its work on a thread of its own and calls listeners on another
 * (see {@link LeadershipListener}); its methods are thread-safe and may be called from listeners,
 * not from a {@code Watcher}. Blocking calls honour interrupts and have {@link Duration} forms.
 */
public abstract sealed class Election implements AutoCloseable
    permits LeaderElection, EphemeralLeaderElection {
  final KeelClient client;
  final String path;
  final String id;
  final byte[] idBytes;
  private final Dispatcher dispatcher;
  private final TermState state;
  private final Consumer<ConnectionState> stateListener = this::connectionChanged;

  Election(KeelClient client, String path, String participantId) {
    if (client == null) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path, "client is null");
    }
    checkPath(path);
    if (participantId == null || participantId.isEmpty()) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path,
          "participantId must be a non-empty string, got " + participantId);
    }
    this.client = client;
    this.path = path;
    this.id = participantId;
    this.idBytes = participantId.getBytes(StandardCharsets.UTF_8);
    this.dispatcher = new Dispatcher("keel-election-listener-" + participantId);
    this.state = new TermState("election " + path + " of " + participantId, dispatcher);
  }

  private static void checkPath(String path) {
    if (path == null || !path.startsWith("/") || path.length() < 2 || path.endsWith("/")
        || path.contains("//")) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path,
          "the election path must be an absolute path below the root, got " + path);
    }
  }

  /** The election's path. */
  public final String path() {
    return path;
  }

  /** This participant's id. */
  public final String participantId() {
    return id;
  }

  /**
   * Adds a listener, told of the current term at once if this participant leads now. Listeners
   * may be added and removed at any time, before or after start.
   */
  public final void addListener(LeadershipListener listener) {
    if (listener == null) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path, "listener is null");
    }
    dispatcher.add(listener);
  }

  /** Stops telling {@code listener}; calls already queued for it still run. */
  public final void removeListener(LeadershipListener listener) {
    dispatcher.remove(listener);
  }

  /**
   * Joins the election in the background and returns at once; leadership is reported to
   * listeners and to {@link #awaitLeadership}.
   *
   * @throws IllegalStateException if already started or closed
   */
  public final void start() {
    state.start(() -> client.addConnectionStateListener(stateListener), new Campaign(this)::run,
        "keel-election-" + id);
  }

  /** True while this participant leads (as far as it knows: see {@link Leadership#isCurrent}). */
  public final boolean hasLeadership() {
    return state.current() != null;
  }

  /** The current term, if this participant leads now. */
  public final Optional<Leadership> leadership() {
    return Optional.ofNullable(state.current());
  }

  /**
   * Waits until this participant leads and returns the term.
   *
   * @throws KeelException.SessionExpiredException if the session ended: the election is over
   * @throws IllegalStateException if the election is not started or is closed
   * @throws InterruptedException if interrupted while waiting
   */
  public final Leadership awaitLeadership() throws InterruptedException {
    return state.await(Deadline.never()).orElseThrow();
  }

  /** {@link #awaitLeadership()} for at most {@code timeout}; empty if another still leads then. */
  public final Optional<Leadership> awaitLeadership(Duration timeout) throws InterruptedException {
    return state.await(Deadline.after(timeout));
  }

  /**
   * Gives up leadership and goes to the back of the line: the next participant in line (or, in
   * the ephemeral style, any other waiting participant) takes over, and this one may lead again
   * later with a new term. Returns at once, leadership already dropped; the hand-off (deleting
   * this participant's node) follows in the background once listeners returned from
   * {@code notLeader}. To leave the election instead, {@link #close()} it.
   *
   * @return false if this participant did not lead
   */
  public final boolean resign() {
    return state.resign(null);
  }

  /** Resigns {@code t} if it is still the current term. */
  final boolean resign(Term t) {
    return state.resign(t);
  }

  /**
   * The id of the participant that leads now (or is about to lead, or will lead again after its
   * suspension: the head of the line), as of a sync with the cluster's leader; empty if none.
   * Works before {@link #start()} and after {@link #close()} too (an observer's view). Rides out
   * connection loss for up to the session timeout.
   *
   * @throws KeelException if the cluster could not be reached in time or the session is gone
   */
  public final Optional<String> currentLeaderId() throws InterruptedException {
    return currentLeaderId(Duration.ofMillis(client.sessionTimeoutMs()));
  }

  /** {@link #currentLeaderId()}, riding out connection loss for up to {@code timeout}. */
  public final Optional<String> currentLeaderId(Duration timeout) throws InterruptedException {
    Deadline deadline = Deadline.after(timeout);
    ZNodes.retryRun(client, deadline, () -> client.sync(path, deadline.remaining(Duration.ofHours(1))));
    return readLeaderId(deadline);
  }

  /**
   * Every participant, in the order they joined (the line's order in {@link LeaderElection}),
   * the one at the head or holding the leader node marked, as of a sync with the cluster's
   * leader. Rides out connection loss for up to the session timeout.
   *
   * @throws KeelException if the cluster could not be reached in time or the session is gone
   */
  public final List<Participant> participants() throws InterruptedException {
    return participants(Duration.ofMillis(client.sessionTimeoutMs()));
  }

  /** {@link #participants()}, riding out connection loss for up to {@code timeout}. */
  public final List<Participant> participants(Duration timeout) throws InterruptedException {
    Deadline deadline = Deadline.after(timeout);
    ZNodes.retryRun(client, deadline, () -> client.sync(path, deadline.remaining(Duration.ofHours(1))));
    return readParticipants(deadline);
  }

  /**
   * Leaves the election: drops leadership (listeners get {@code notLeader}), then removes this
   * participant's nodes, so the next one takes over at once rather than after the session
   * timeout. Waits for that, unless called from a listener (then it happens after the listener
   * returns); a listener that never returns from {@code notLeader} holds it up. If the cluster
   * cannot be reached for a whole session timeout the nodes are left to the session's end.
   * Idempotent; never throws.
   */
  @Override
  public final void close() {
    Thread campaign = state.close();
    if (campaign == null) {
      dispatcher.shutdown();
      return;
    }
    if (dispatcher.onThread() || campaign == Thread.currentThread()) {
      return;
    }
    try {
      campaign.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();  // the hand-off goes on in the background
    }
  }

  private void connectionChanged(ConnectionState now) {
    switch (now) {
      case SUSPENDED -> state.suspended();
      case RECONNECTED -> state.wakeUp();
      case LOST -> state.fail(KeelException.create(KeelException.Code.SESSIONEXPIRED, path,
          "the session of " + id + " expired: the election is over; connect a new client"));
      case CLOSED -> state.fail(KeelException.create(KeelException.Code.SESSIONEXPIRED, path,
          "the client of " + id + " was closed: the election is over"));
      default -> { }
    }
  }

  // ------------------------------------------------------------ for the campaign thread

  final TermState state() {
    return state;
  }

  /** Makes {@code t} the current term, unless anything changed since {@code sinceWake}. */
  final boolean publish(Term t, CompletableFuture<Void> sinceWake) {
    return state.publish(t, sinceWake, () -> client.connectionState().isConnected());
  }

  final void cleanedUp() {
    client.removeConnectionStateListener(stateListener);
    dispatcher.shutdown();
  }

  // ------------------------------------------------------------ the style's part

  /**
   * Waits until this participant may begin a term. False when {@code wake} completed first; a
   * style may ignore {@code wake} while nothing it signals matters (close and session loss
   * interrupt the thread).
   */
  abstract boolean awaitTurn(CompletableFuture<Void> wake) throws InterruptedException;

  /** The write that begins a term, and the term. */
  abstract Term beginTerm() throws InterruptedException;

  /** A future completing when the node that makes {@code t} the leader changes or goes. */
  abstract CompletableFuture<Void> watchTerm(Term t) throws InterruptedException;

  /** Gives up leadership and goes to the back of the line (listeners were told already). */
  abstract void stepDown(Term ended) throws InterruptedException;

  /** Removes every node of this participant's. Never throws; not interrupted. */
  abstract void leave();

  abstract Optional<String> readLeaderId(Deadline deadline) throws InterruptedException;

  abstract List<Participant> readParticipants(Deadline deadline) throws InterruptedException;

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + path + ", " + id + ", " + state + "]";
  }
}
