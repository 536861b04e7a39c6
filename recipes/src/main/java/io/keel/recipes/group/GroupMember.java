package io.keel.recipes.group;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.NodeData;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.EphemeralNode;
import io.keel.recipes.internal.TreeCache;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Membership of a group of processes (Curator's GroupMember; ZooKeeper's cluster-management
 * recipe): this process joins as the ephemeral node {@code <group>/<id>} with an optional payload,
 * sees every member, and is told when members join, leave or change their payload.
 *
 * <pre>{@code
 * try (GroupMember me = new GroupMember(client, "/groups/workers", "worker-7", address).start()) {
 *   me.addListener(new GroupMember.Listener() {
 *     public void left(Member m) { reassignWorkOf(m.id()); }
 *   });
 *   Set<String> peers = me.members().keySet();
 * }  // leaves the group
 * }</pre>
 *
 * <p>Guarantees: every member's view converges on the group's membership; a member whose process
 * dies leaves every view when its session times out. Listeners get the changes between successive
 * views, one call at a time, in order, on a client callback thread (within one change: the ones
 * that left first, then joins and payload updates by id); a member that left and re-joined at once
 * is reported as both. Listeners added before {@link #start()} hear every member present at start
 * as joined. Ids are unique: joining with an id another live session holds fails with
 * NodeExistsException.
 *
 * <p>Failures: connection loss is ridden out (missed changes are replayed, or re-read after a
 * HISTORY_GAP); while SUSPENDED this member stays in the group as long as its session does. On
 * LOST this member is out of the group for good and its view stops updating: a new session is a
 * new client, so connect one and join again. Thread-safe; {@link #close} (idempotent) leaves the
 * group and removes the watch; the group's directory is a container the server reaps once empty.
 */
public final class GroupMember implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GroupMember.class);

  /** One member as seen in the group. Immutable (the payload is copied). */
  public record Member(String id, byte[] payload, long sessionId) {
    public Member {
      payload = payload == null ? new byte[0] : payload.clone();
    }

    @Override
    public byte[] payload() {
      return payload.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Member m && id.equals(m.id) && sessionId == m.sessionId
          && Arrays.equals(payload, m.payload);
    }

    @Override
    public int hashCode() {
      return id.hashCode();
    }

    @Override
    public String toString() {
      return "Member[" + id + ", session 0x" + Long.toHexString(sessionId) + ", " + payload.length + " bytes]";
    }
  }

  /** Told of membership changes. */
  public interface Listener {
    default void joined(Member member) {}

    default void left(Member member) {}

    /** The member changed its payload. */
    default void updated(Member member) {}
  }

  private final KeelClient client;
  private final String group;
  private final String id;
  private final EphemeralNode node;
  private final TreeCache cache;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile byte[] payload;
  private volatile SortedMap<String, NodeData> seen = Collections.emptySortedMap();
  private volatile boolean started;

  /** Member {@code id} of {@code groupPath}, with {@code payload} (may be null); joins on start. */
  public GroupMember(KeelClient client, String groupPath, String id, byte[] payload) {
    if (client == null || groupPath == null || !groupPath.startsWith("/") || groupPath.equals("/")
        || groupPath.endsWith("/")) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, groupPath,
          "a client and an absolute group path (not the root, no trailing slash) are needed");
    }
    if (id == null || id.isEmpty() || id.contains("/") || id.equals(".") || id.equals("..")) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, groupPath,
          "a member id must be one non-empty path element, got '" + id + "'");
    }
    this.client = client;
    this.group = groupPath;
    this.id = id;
    this.payload = payload == null ? new byte[0] : payload.clone();
    this.node = new EphemeralNode(client, ZNodes.join(groupPath, id));
    this.cache = new TreeCache(client, groupPath, 1, this::changed);
  }

  /** Joins the group and reads its members; waits as long as it takes. */
  public GroupMember start() throws InterruptedException {
    start(Deadline.never());
    return this;
  }

  /**
   * {@link #start()} within {@code timeout}; false if not done by then (call start again, or
   * close to take back whatever was made).
   */
  public boolean start(Duration timeout) throws InterruptedException {
    return start(Deadline.after(timeout));
  }

  private boolean start(Deadline deadline) throws InterruptedException {
    if (closed.get()) {
      throw new IllegalStateException("member " + id + " of " + group + " is closed");
    }
    try {
      node.create(payload, deadline);
    } catch (KeelException e) {
      if (ZNodes.isTransient(e) && deadline.expired()) {
        return false;
      }
      throw e;
    }
    if (!cache.start(deadline)) {
      return false;
    }
    started = true;
    return true;
  }

  public String id() {
    return id;
  }

  public String groupPath() {
    return group;
  }

  /** The members as last seen (this one included once joined), by id; never blocks. */
  public SortedMap<String, Member> members() {
    if (!started) {
      throw new IllegalStateException("start() member " + id + " of " + group + " first");
    }
    TreeMap<String, Member> out = new TreeMap<>();
    for (Map.Entry<String, NodeData> e : cache.snapshot().entrySet()) {
      if (!e.getKey().equals(group)) {
        out.put(ZNodes.name(e.getKey()), member(e.getKey(), e.getValue()));
      }
    }
    return Collections.unmodifiableSortedMap(out);
  }

  /**
   * Replaces this member's payload; the others are told {@code updated}.
   *
   * @throws KeelException.NoNodeException if this member is no longer in the group
   */
  public void setPayload(byte[] newPayload) throws InterruptedException {
    setPayload(newPayload, Deadline.never());
  }

  /** {@link #setPayload(byte[])} within {@code timeout}; OperationTimeout after it. */
  public void setPayload(byte[] newPayload, Duration timeout) throws InterruptedException {
    setPayload(newPayload, Deadline.after(timeout));
  }

  private void setPayload(byte[] newPayload, Deadline deadline) throws InterruptedException {
    byte[] copy = newPayload == null ? new byte[0] : newPayload.clone();
    if (closed.get() || node.setData(copy, deadline).isEmpty()) {
      throw KeelException.create(KeelException.Code.NONODE, node.path(),
          "member " + id + " is no longer in " + group + ": closed, or its session ended");
    }
    payload = copy;
  }

  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  public void removeListener(Listener listener) {
    listeners.remove(listener);
  }

  /** Leaves the group and stops watching it. Idempotent; never throws. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    cache.close();
    listeners.clear();
    try {
      node.delete(Deadline.after(Duration.ofMillis(client.sessionTimeoutMs())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ZNodes.deleteOwnedAsync(client, node.path());
    } catch (KeelException e) {
      // Session lost or cluster unreachable for a whole session timeout: the node dies with it.
    }
  }

  private void changed(SortedMap<String, NodeData> tree) {
    SortedMap<String, NodeData> before = seen;
    seen = tree;
    for (Map.Entry<String, NodeData> e : before.entrySet()) {
      NodeData now = tree.get(e.getKey());
      if (!e.getKey().equals(group) && (now == null || now.stat().czxid() != e.getValue().stat().czxid())) {
        tell(l -> l.left(member(e.getKey(), e.getValue())));
      }
    }
    for (Map.Entry<String, NodeData> e : tree.entrySet()) {
      NodeData was = before.get(e.getKey());
      if (e.getKey().equals(group)) {
        continue;
      }
      if (was == null || was.stat().czxid() != e.getValue().stat().czxid()) {
        tell(l -> l.joined(member(e.getKey(), e.getValue())));
      } else if (was.stat().mzxid() != e.getValue().stat().mzxid()) {
        tell(l -> l.updated(member(e.getKey(), e.getValue())));
      }
    }
  }

  private void tell(Consumer<Listener> call) {
    for (Listener l : listeners) {
      try {
        call.accept(l);
      } catch (RuntimeException e) {
        LOG.warn("A listener of group {} failed", group, e);
      }
    }
  }

  private static Member member(String path, NodeData d) {
    return new Member(ZNodes.name(path), d.data(), d.stat().ephemeralOwner());
  }
}
