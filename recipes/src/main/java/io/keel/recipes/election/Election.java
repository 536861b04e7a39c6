package io.keel.recipes.election;

import io.keel.client.ConnectionState;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Stat;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.ZNodes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
  private enum Status { LATENT, STARTED, CLOSED, FAILED }

  final KeelClient client;
  final String path;
  final String id;
  final byte[] idBytes;
  private final Dispatcher dispatcher;
  private final Consumer<ConnectionState> stateListener = this::connectionChanged;
  private final Campaign campaign;
  private final Object lock = new Object();
  private Status status = Status.LATENT;
  private KeelException failure;
  private Term term;
  /** Completes with the next term (or with why there will be none); replaced when a term ends. */
  private CompletableFuture<Term> nextTerm = new CompletableFuture<>();
  /** Completed to make the campaign thread look again: state change, resign, close. */
  private CompletableFuture<Void> wake = new CompletableFuture<>();
  private Term resigned;
  private Term lastEnded;
  private Thread thread;
  private boolean cleaningUp;

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
    this.campaign = new Campaign(this);
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
    synchronized (lock) {
      if (status != Status.LATENT) {
        throw new IllegalStateException("election " + path + " of " + id + " is " + status
            + ": start it once");
      }
      status = Status.STARTED;
      client.addConnectionStateListener(stateListener);
      thread = new Thread(campaign::run, "keel-election-" + id);
      thread.setDaemon(true);
      thread.start();
    }
  }

  /** True while this participant leads (as far as it knows: see {@link Leadership#isCurrent}). */
  public final boolean hasLeadership() {
    synchronized (lock) {
      return term != null;
    }
  }

  /** The current term, if this participant leads now. */
  public final Optional<Leadership> leadership() {
    synchronized (lock) {
      return Optional.ofNullable(term);
    }
  }

  /**
   * Waits until this participant leads and returns the term.
   *
   * @throws KeelException.SessionExpiredException if the session ended: the election is over
   * @throws IllegalStateException if the election is not started or is closed
   * @throws InterruptedException if interrupted while waiting
   */
  public final Leadership awaitLeadership() throws InterruptedException {
    return awaitLeadership(Deadline.never()).orElseThrow();
  }

  /** {@link #awaitLeadership()} for at most {@code timeout}; empty if another still leads then. */
  public final Optional<Leadership> awaitLeadership(Duration timeout) throws InterruptedException {
    return awaitLeadership(Deadline.after(timeout));
  }

  private Optional<Leadership> awaitLeadership(Deadline deadline) throws InterruptedException {
    while (true) {
      CompletableFuture<Term> next;
      synchronized (lock) {
        if (status == Status.LATENT) {
          throw new IllegalStateException("election " + path + " of " + id + " is not started");
        }
        next = nextTerm;
      }
      if (!deadline.await(next)) {
        return Optional.empty();
      }
      Term t;
      try {
        t = next.join();
      } catch (CompletionException e) {
        throw again(e.getCause());
      }
      if (t.isCurrent()) {
        return Optional.of(t);
      }
      // That term ended before we looked: nextTerm was replaced when it did.
    }
  }

  private RuntimeException again(Throwable why) {
    if (why instanceof KeelException k) {
      return KeelException.create(k.code(), path, k.getMessage());
    }
    return new IllegalStateException(why.getMessage(), why);
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
    synchronized (lock) {
      return term != null && resignLocked(term);
    }
  }

  /** Resigns {@code t} if it is still the current term. */
  final boolean resign(Term t) {
    synchronized (lock) {
      return term == t && t != null && resignLocked(t);
    }
  }

  private boolean resignLocked(Term t) {
    if (status != Status.STARTED) {
      return false;
    }
    resigned = endTermLocked();
    wake.complete(null);
    return true;
  }

  /**
   * The id of the participant that leads now (or is about to lead, or will lead again after its
   * suspension: the head of the line), as of a sync with the leader.
   */
  public final Optional<String> currentLeaderId() throws InterruptedException {
    return currentLeaderId(Duration.ofMillis(client.sessionTimeoutMs()));
  }

  public final Optional<String> currentLeaderId(Duration timeout) throws InterruptedException {
    Deadline deadline = Deadline.after(timeout);
    ZNodes.retryRun(client, deadline, () -> client.sync(path, deadline.remaining(Duration.ofHours(1))));
    return readLeaderId(deadline);
  }

  /** Every participant, in line order, the leader marked, as of a sync with the leader. */
  public final List<Participant> participants() throws InterruptedException {
    return participants(Duration.ofMillis(client.sessionTimeoutMs()));
  }

  public final List<Participant> participants(Duration timeout) throws InterruptedException {
    Deadline deadline = Deadline.after(timeout);
    ZNodes.retryRun(client, deadline, () -> client.sync(path, deadline.remaining(Duration.ofHours(1))));
    return readParticipants(deadline);
  }

  /**
   * Leaves the election: drops leadership (listeners get {@code notLeader}), then removes this
   * participant's nodes, so the next one takes over at once rather than after the session
   * timeout. Waits for that, unless called from a listener (then it happens after the listener
   * returns). Idempotent; never throws.
   */
  @Override
  public final void close() {
    Thread t;
    synchronized (lock) {
      if (status == Status.CLOSED) {
        return;
      }
      status = Status.CLOSED;
      endTermLocked();
      nextTerm.completeExceptionally(new IllegalStateException(
          "election " + path + " of " + id + " is closed"));
      stopLocked();
      t = thread;
    }
    if (t == null) {
      dispatcher.shutdown();
      return;
    }
    if (dispatcher.onThread() || t == Thread.currentThread()) {
      return;
    }
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();  // the hand-off goes on in the background
    }
  }

  private void connectionChanged(ConnectionState state) {
    switch (state) {
      case SUSPENDED -> {
        synchronized (lock) {
          endTermLocked();
          wake.complete(null);
        }
      }
      case RECONNECTED -> {
        synchronized (lock) {
          wake.complete(null);
        }
      }
      case LOST -> fail(KeelException.create(KeelException.Code.SESSIONEXPIRED, path,
          "the session of " + id + " expired: the election is over; connect a new client"));
      case CLOSED -> fail(KeelException.create(KeelException.Code.SESSIONEXPIRED, path,
          "the client of " + id + " was closed: the election is over"));
      default -> { }
    }
  }

  /** Ends the election for good on a failure the session cannot recover from. */
  final void fail(KeelException e) {
    synchronized (lock) {
      if (status != Status.STARTED) {
        return;
      }
      status = Status.FAILED;
      failure = e;
      endTermLocked();
      nextTerm.completeExceptionally(e);
      stopLocked();
    }
  }

  private void stopLocked() {
    wake.complete(null);
    if (thread != null && !cleaningUp) {
      thread.interrupt();  // out of whatever wait it is in; it cleans up without interrupts
    }
  }

  private Term endTermLocked() {
    Term t = term;
    if (t == null) {
      return null;
    }
    term = null;
    lastEnded = t;
    t.end(dispatcher.notLeader(t));
    nextTerm = new CompletableFuture<>();
    return t;
  }

  // ------------------------------------------------------------ for the campaign thread

  /** What the campaign thread must do next: look again with this wake, hand off, or stop. */
  record Step(CompletableFuture<Void> wake, Term handOff, boolean stop) {}

  final Step nextStep() {
    synchronized (lock) {
      if (status != Status.STARTED) {
        return new Step(wake, null, true);
      }
      if (wake.isDone()) {
        wake = new CompletableFuture<>();
      }
      Term handOff = resigned;
      resigned = null;
      return new Step(wake, handOff, false);
    }
  }

  /** Makes {@code t} the current term, unless something changed since it was begun. */
  final boolean publish(Term t, CompletableFuture<Void> sinceWake) {
    synchronized (lock) {
      if (status != Status.STARTED || sinceWake != wake || wake.isDone()
          || !client.connectionState().isConnected()) {
        return false;
      }
      term = t;
      nextTerm.complete(t);
      dispatcher.leader(t);
      return true;
    }
  }

  /** Ends {@code t} if it is still current (its node changed or went). */
  final void ended(Term t) {
    synchronized (lock) {
      if (term == t) {
        endTermLocked();
      }
    }
  }

  /** Marks the start of clean-up: no interrupt comes after this; returns the last ended term. */
  final Term beginCleanUp() {
    synchronized (lock) {
      cleaningUp = true;
      Thread.interrupted();
      return lastEnded;
    }
  }

  final void cleanedUp() {
    client.removeConnectionStateListener(stateListener);
    dispatcher.shutdown();
  }

  /** Sets {@code node}'s data to this participant's id; the write begins a term. */
  final Stat rewrite(String node, Deadline deadline) throws InterruptedException {
    return ZNodes.retry(client, deadline, () -> {
      while (true) {
        Stat now = client.exists(node).orElseThrow(() -> KeelException.create(
            KeelException.Code.NONODE, node, "our election node " + node + " is gone"));
        try {
          return client.setData(node, idBytes, now.version());
        } catch (KeelException.BadVersionException e) {
          // An earlier try of ours landed before its reply was lost: read the version again.
        }
      }
    });
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
  abstract void stepDown() throws InterruptedException;

  /** Removes every node of this participant's. Never throws; not interrupted. */
  abstract void leave();

  abstract Optional<String> readLeaderId(Deadline deadline) throws InterruptedException;

  abstract List<Participant> readParticipants(Deadline deadline) throws InterruptedException;

  final Term newTerm(String node, Stat written) {
    return new Term(this, node, written.version(), written.mzxid());
  }

  @Override
  public String toString() {
    synchronized (lock) {
      return getClass().getSimpleName() + "[" + path + ", " + id + ", " + status
          + (term != null ? ", leading" : "") + (failure != null ? ", " + failure.getMessage() : "")
          + "]";
    }
  }
}
