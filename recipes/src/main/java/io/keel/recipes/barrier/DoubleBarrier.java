package io.keel.recipes.barrier;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.NodeData;
import io.keel.client.Op;
import io.keel.recipes.internal.ChangeSignal;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * One member of a double barrier (ZooKeeper's recipe, Curator's {@code DistributedDoubleBarrier}):
 * {@link #enter()} returns once {@code memberCount} members are present, {@link #leave()} once
 * every member of the round has left. Every member names the same path and count.
 *
 * <pre>{@code
 * try (DoubleBarrier barrier = new DoubleBarrier(client, "/jobs/sort", 4)) {
 *   barrier.enter();     // the 4 workers start together
 *   sortMyPart();
 *   barrier.leave();     // and none goes on before all 4 are done
 * }
 * }</pre>
 *
 * <p>Layout: each member is an ephemeral node {@code path/<memberId>-<uuid>}, a new one for every
 * entry (so ids may repeat, and a member back after a crash is a new member); {@code path} is a
 * container (the server removes it once the last member is gone) whose data says whether a round
 * is open.
 * The member whose arrival makes {@code memberCount} opens the round, writing a round id and the
 * members present; the waiting members watch that data only, so an arrival wakes nobody and the
 * opening wakes each waiter once. A round stays open until its last member has left: a member
 * arriving meanwhile (one more than {@code memberCount}) joins it and passes at once. Leaving
 * follows ZooKeeper's scheme: the lowest-named member waits for the highest, every other one
 * removes its node and waits for the lowest, which goes last and closes the round in the same
 * write. So each member is woken once, the lowest once per member leaving after it, and a member
 * that is back at {@code enter} for the next round never holds up one still leaving the last.
 *
 * <p>Failures: a member whose session ends (crash, SESSIONEXPIRED) loses its node. Before the
 * round opens it simply no longer counts; after, it counts as having left, so the others' leave
 * is not held up by it (its own calls fail with {@link KeelException.SessionExpiredException}, or
 * NONODE if it has not learned of the expiry yet). A member that times out, is interrupted or is
 * closed removes its node the same way. If every member of an open round dies, the next member to
 * arrive finds the round empty and starts a new one, so the path serves round after round, and
 * nothing stays behind. Calls ride out connection loss (SUSPENDED) and leader changes while the
 * session lives.
 *
 * <p>One member: {@code enter} and {@code leave} are called by one thread at a time, in turn
 * (enter, leave, enter, ...); {@link #close()} may be called from any thread and makes a blocked
 * call return false (the untimed forms throw IllegalStateException).
 */
public final class DoubleBarrier implements AutoCloseable {
  private final KeelClient client;
  private final String path;
  private final int memberCount;
  private final String memberId;
  /** This member's current entry (a fresh node per enter). */
  private volatile MemberNode me;
  private final ChangeSignal signal = new ChangeSignal();
  private final AtomicBoolean busy = new AtomicBoolean();
  private final LongAdder wakeups = new LongAdder();
  private volatile String round;
  private volatile boolean closed;

  /** A member with a random id. */
  public DoubleBarrier(KeelClient client, String path, int memberCount) {
    this(client, path, memberCount, UUID.randomUUID().toString());
  }

  /** A member named {@code memberId} (for people: ids may repeat; no '/'). */
  public DoubleBarrier(KeelClient client, String path, int memberCount, String memberId) {
    if (client == null || path == null || !path.startsWith("/") || path.equals("/")) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path,
          "a double barrier needs a client and an absolute path other than /, got " + path);
    }
    if (memberCount < 1) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path,
          "memberCount must be at least 1, got " + memberCount);
    }
    this.client = client;
    this.path = path;
    this.memberCount = memberCount;
    this.memberId = MemberNode.checkId(path, memberId);
    this.me = new MemberNode(client, path, memberId);
  }

  public String memberId() {
    return memberId;
  }

  public String path() {
    return path;
  }

  /** True between a successful enter and the next leave. */
  public boolean isEntered() {
    return round != null;
  }

  /** Blocks until {@code memberCount} members are present. */
  public void enter() throws InterruptedException {
    if (!enter(Deadline.never())) {
      throw new IllegalStateException("closed while entering " + path);
    }
  }

  /** Like {@link #enter()}; false if not enough members came in time (this member then left). */
  public boolean enter(Duration timeout) throws InterruptedException {
    return enter(Deadline.after(timeout));
  }

  /** Blocks until every member of the round has left. */
  public void leave() throws InterruptedException {
    if (!leave(Deadline.never())) {
      throw new IllegalStateException("closed while leaving " + path);
    }
  }

  /**
   * Like {@link #leave()}; false if some member was still in at the deadline. This member has left
   * either way.
   */
  public boolean leave(Duration timeout) throws InterruptedException {
    return leave(Deadline.after(timeout));
  }

  /** The name of this member's node in its current or last entry. */
  String nodeName() {
    return me.id;
  }

  /** How often a waiting call of this member was woken by a watch (herd-effect check). */
  long wakeups() {
    return wakeups.sum();
  }

  private boolean enter(Deadline deadline) throws InterruptedException {
    begin();
    boolean entered = false;
    try {
      if (round != null) {
        throw new IllegalStateException(memberId + " already entered " + path + ": leave first");
      }
      me = new MemberNode(client, path, memberId);
      me.arrive(deadline);
      entered = awaitRound(deadline);
      return entered;
    } finally {
      if (!entered) {
        me.remove();
      }
      busy.set(false);
    }
  }

  private boolean leave(Deadline deadline) throws InterruptedException {
    begin();
    boolean left = false;
    try {
      String mine = round;
      if (mine == null) {
        throw new IllegalStateException(memberId + " has not entered " + path);
      }
      left = awaitAllLeft(mine, deadline);  // true: our node is gone already
      return left;
    } finally {
      round = null;
      if (!left) {
        me.remove();
      }
      busy.set(false);
    }
  }

  private void begin() {
    if (closed) {
      throw new IllegalStateException("member " + memberId + " of " + path + " is closed");
    }
    if (!busy.compareAndSet(false, true)) {
      throw new IllegalStateException("another thread is entering or leaving as " + memberId);
    }
  }

  /** Waits for an open round with this member in it; joins or opens one when it may. */
  private boolean awaitRound(Deadline deadline) throws InterruptedException {
    while (!closed) {
      CompletableFuture<Void> changed = signal.current();
      NodeData node = me.roundNode(deadline, signal);
      if (node == null) {
        throw me.gone();
      }
      Round open = Round.decode(node.data());
      int version = node.stat().version();
      List<String> present = me.present(deadline);
      if (!present.contains(me.id)) {
        throw me.gone();
      }
      if (open != null && open.members().contains(me.id)) {
        round = open.id();
        return true;
      }
      if (open != null) {
        List<String> in = open.stillIn(present);
        if (in.isEmpty()) {
          // Everyone of that round left or died and the container is not reaped yet: reset it.
          me.write(deadline, Op.check(me.path, -1), Op.setData(path, null, version));
        } else if (me.write(deadline, Op.check(ZNodes.join(path, in.get(0)), -1),
            Op.setData(path, open.with(me.id).encode(), version))) {
          round = open.id();
          return true;
        }
        continue;
      }
      if (present.size() >= memberCount) {
        Round opened = new Round(UUID.randomUUID().toString(), present);
        if (me.write(deadline, Op.check(me.path, -1), Op.setData(path, opened.encode(), version))) {
          round = opened.id();
          return true;
        }
        continue;
      }
      ChangeSignal.failIfLost(client, path);
      if (!deadline.await(changed)) {
        return false;
      }
      wakeups.increment();
    }
    return false;
  }

  /** Waits until no member of round {@code id} is left but this one, then closes the round. */
  private boolean awaitAllLeft(String id, Deadline deadline) throws InterruptedException {
    boolean removed = false;
    boolean closeSent = false;
    while (!closed) {
      CompletableFuture<Void> changed = signal.current();
      NodeData node = me.roundNode(deadline, null);  // null: all left, the container is reaped
      Round open = node == null ? null : Round.decode(node.data());
      List<String> in = open == null || !open.id().equals(id) ? List.of()
          : open.stillIn(me.present(deadline));
      boolean mine = in.contains(me.id);
      if (!mine && !removed) {
        if (closeSent) {
          // Our closing write was applied and its reply lost: we were the last one out.
          ChangeSignal.failIfLost(client, path);
          return true;
        }
        throw me.gone();  // not removed by us: our session ended (the others went on without us)
      }
      String waitFor;
      if (mine && in.size() == 1) {
        // Last one out: close the round in the same write, so a newcomer never sees it open.
        Op close = Op.setData(path, null, node.stat().version());
        closeSent = true;
        if (me.write(deadline, close, Op.delete(me.path, -1))) {
          return true;
        }
        continue;
      } else if (mine && in.get(0).equals(me.id)) {
        waitFor = in.get(in.size() - 1);
      } else if (mine) {
        ZNodes.deleteIfExists(client, me.path, deadline);
        removed = true;
        continue;
      } else if (in.isEmpty()) {
        // Closed by the last to leave (a new round may have opened since), or the lowest died or
        // gave up after the others had gone.
        return true;
      } else {
        waitFor = in.get(0);
      }
      String watched = ZNodes.join(path, waitFor);
      if (ZNodes.retry(client, deadline, () -> client.exists(watched, signal)).isEmpty()) {
        continue;
      }
      ChangeSignal.failIfLost(client, path);
      if (!deadline.await(changed)) {
        return false;
      }
      wakeups.increment();
    }
    return false;
  }

  /** Leaves the barrier (removes this member's node) and wakes a blocked call. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    signal.fire();
    if (!busy.get()) {
      round = null;
      me.remove();
    }
  }
}
