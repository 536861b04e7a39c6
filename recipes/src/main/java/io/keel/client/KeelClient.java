package io.keel.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.keel.proto.AddWatchOp;
import io.keel.proto.CloseSessionOp;
import io.keel.proto.CreateOp;
import io.keel.proto.CreateSessionOp;
import io.keel.proto.DeleteOp;
import io.keel.proto.MultiOp;
import io.keel.proto.PathOp;
import io.keel.proto.PingOp;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import io.keel.proto.SetAclOp;
import io.keel.proto.SetDataOp;
import io.keel.proto.WriteRequest;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection to a Keel cluster, with ZooKeeper's operations and semantics.
 *
 * <p>Connect with a ZooKeeper-style string of some of the servers ({@code host:port,host:port});
 * the client learns the cluster's members from them. Every operation has an asynchronous form
 * returning a {@link CompletableFuture} (many may be in flight at once) and a blocking form that
 * waits for it, with the client's default timeout or a {@link Duration} of the caller's.
 *
 * <p>Order: writes of one client are applied in the order they were issued, and a read waits for
 * the client's earlier writes, so it sees them (ZooKeeper's FIFO client order). Writes are
 * linearizable. Reads are served by the client's own server (one of the connect string's, voter or
 * observer, picked at random and changed when it fails): by default sequentially consistent (never
 * older than anything this client has seen), or linearizable with
 * {@link Builder#readConsistency}; {@link #sync} brings the client's server up to date first.
 *
 * <p>Futures complete on the client's own callback threads, never on Ratis's network threads, so
 * a callback may call the client again, even with a blocking call.
 *
 * <p>Failures: every failure is a {@link KeelException} (unchecked). From an async call it
 * completes the future exceptionally. {@link KeelException.ConnectionLossException} and
 * {@link KeelException.OperationTimeoutException} leave a write's outcome unknown. The client
 * retries through leader changes with exponential backoff for at most its request timeout; a
 * blocking call's {@link Duration} can shorten that wait, not lengthen it.
 *
 * <p>Each client opens a session when it connects, owning its ephemeral nodes, and keeps it alive
 * with pings (never written to the log) every third of its timeout. If the cluster hears nothing
 * from the session for its timeout (the client died or was cut off), the leader expires it and its
 * ephemerals are deleted. {@link #addConnectionStateListener} reports CONNECTED, SUSPENDED,
 * RECONNECTED, LOST and CLOSED. {@link #close} closes the session and removes its ephemerals at
 * once. Writes are exactly-once within the session: a retried write returns the first result.
 * Thread-safe; {@code close} is idempotent.
 */
public final class KeelClient implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KeelClient.class);

  /** Any version: the -1 of ZooKeeper's APIs. */
  public static final int ANY_VERSION = -1;

  /** Larger requests cannot cross the transport; the servers' own, smaller limit applies first. */
  static final int TRANSPORT_MAX_REQUEST_BYTES = 48 * 1024 * 1024;

  private final String connectString;
  private final RaftGroup group;
  private final AtomicReference<RaftClient> raft;
  private final ExecutorService callbacks;
  private final Duration requestTimeout;
  private final ReadConsistency readConsistency;
  private final AttachedReads reads;
  /** Completes when the last write issued so far has its reply: reads wait for it (FIFO order). */
  private CompletableFuture<?> lastWrite = CompletableFuture.completedFuture(null);
  private final long sessionId;
  private final int sessionTimeoutMs;
  private final AtomicLong requestIds = new AtomicLong();
  /** Ids of writes sent but not answered: the smallest bounds what the servers must remember. */
  private final ConcurrentSkipListSet<Long> unanswered = new ConcurrentSkipListSet<>();
  private final SessionKeeper keeper;
  private final Watches watches;
  private final AtomicLong lastZxid = new AtomicLong();
  private final AtomicBoolean closed = new AtomicBoolean();

  private KeelClient(Builder b, List<String> addresses, RaftTransport.Discovered cluster) {
    this.connectString = b.connectString;
    this.group = cluster.group();
    this.requestTimeout = b.requestTimeout;
    this.readConsistency = b.readConsistency;
    this.reads = new AttachedReads(group, addresses,
        Duration.ofMillis(Math.max(200, Math.min(3000, requestTimeout.toMillis() / 3))));
    this.raft = new AtomicReference<>(
        RaftTransport.newClient(group, cluster.leader(), requestTimeout));
    this.callbacks = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "keel-client-callback");
      t.setDaemon(true);
      return t;
    });
    Response session;
    try {
      int wanted = (int) Math.min(Integer.MAX_VALUE, b.sessionTimeout.toMillis());
      session = await(send(WriteRequest.newBuilder().setCreateSession(
          CreateSessionOp.newBuilder().setTimeoutMs(wanted))), b.connectTimeout);
    } catch (KeelException e) {
      closeQuietly(raft.get());
      reads.close();
      callbacks.shutdown();
      throw e;
    }
    this.sessionId = session.getSession().getSessionId();
    this.sessionTimeoutMs = session.getSession().getTimeoutMs();
    this.watches = new Watches(sessionId, reads, lastZxid::get, callbacks);
    this.keeper = new SessionKeeper(this, sessionId, sessionTimeoutMs);
    keeper.addListener(state -> {
      if (state == ConnectionState.LOST) {
        watches.sessionLost();
      }
    });
    LOG.debug("Connected to {} (group {}), session 0x{}", connectString, this.group.getGroupId(),
        Long.toHexString(sessionId));
  }

  /** Connects with default settings. */
  public static KeelClient connect(String connectString) {
    return builder(connectString).build();
  }

  public static Builder builder(String connectString) {
    return new Builder(connectString);
  }

  /** Settings of a client; {@link #build()} connects. Not thread-safe. */
  public static final class Builder {
    private final String connectString;
    private Duration requestTimeout = Duration.ofSeconds(15);
    private Duration connectTimeout = Duration.ofSeconds(15);
    private Duration sessionTimeout = Duration.ofSeconds(30);
    private ReadConsistency readConsistency = ReadConsistency.SEQUENTIAL;

    private Builder(String connectString) {
      this.connectString = connectString;
    }

    /** Default timeout of every operation (async ones too); default 15 s. */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout, "requestTimeout");
      return this;
    }

    /** How long {@link #build()} tries to reach the cluster; default 15 s. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /** Session timeout to ask for; the servers clamp it into their bounds. Default 30 s. */
    public Builder sessionTimeout(Duration timeout) {
      this.sessionTimeout = positive(timeout, "sessionTimeout");
      return this;
    }

    /** How fresh reads must be; default {@link ReadConsistency#SEQUENTIAL}, as ZooKeeper. */
    public Builder readConsistency(ReadConsistency consistency) {
      if (consistency == null) {
        throw KeelException.create(KeelException.Code.BADARGUMENTS, null, "readConsistency is null");
      }
      this.readConsistency = consistency;
      return this;
    }

    /** Discovers the cluster from the connect string, opens a session, and returns the client. */
    public KeelClient build() {
      List<String> addresses = RaftTransport.parseConnectString(connectString);
      return new KeelClient(this, addresses, RaftTransport.discover(addresses, connectTimeout));
    }

    private static Duration positive(Duration d, String name) {
      if (d == null || d.isNegative() || d.isZero() || d.toDays() > 365) {
        throw KeelException.create(KeelException.Code.BADARGUMENTS, null,
            name + " must be positive and at most a year, got " + d);
      }
      return d;
    }
  }

  // ------------------------------------------------------------------ async API

  /** Creates a node; completes with its actual path (with any sequential suffix). */
  public CompletableFuture<String> createAsync(String path, byte[] data, CreateMode mode) {
    return createAsync(path, data, mode, CreateOptions.DEFAULT).thenApply(Created::path);
  }

  /** Creates a node with an ACL and/or TTL; completes with its path and stat. */
  public CompletableFuture<Created> createAsync(String path, byte[] data, CreateMode mode,
                                                CreateOptions options) {
    if (mode == null || options == null) {
      return CompletableFuture.failedFuture(KeelException.create(KeelException.Code.BADARGUMENTS,
          path, "create needs a mode and options (CreateOptions.DEFAULT)"));
    }
    return write(WriteRequest.newBuilder().setCreate(createOp(path, data, mode, options)))
        .thenApply(r -> new Created(r.getCreate().getPath(), Stat.of(r.getCreate().getStat())));
  }

  /** Deletes a node if its version matches ({@link #ANY_VERSION} for any). */
  public CompletableFuture<Void> deleteAsync(String path, int version) {
    return write(WriteRequest.newBuilder().setDelete(
        DeleteOp.newBuilder().setPath(orEmpty(path)).setVersion(version))).thenApply(r -> null);
  }

  /** Replaces a node's data if its version matches; completes with the new stat. */
  public CompletableFuture<Stat> setDataAsync(String path, byte[] data, int version) {
    return write(WriteRequest.newBuilder().setSetData(
        SetDataOp.newBuilder().setPath(orEmpty(path)).setData(bytes(data)).setVersion(version)))
        .thenApply(r -> Stat.of(r.getStat()));
  }

  /** The node's stat, or empty if there is no such node. */
  public CompletableFuture<Optional<Stat>> existsAsync(String path) {
    return send(ReadRequest.newBuilder().setExists(pathOp(path)), KeelException.Code.NONODE)
        .thenApply(r -> r.getErrValue() == 0 ? Optional.of(Stat.of(r.getStat())) : Optional.empty());
  }

  /**
   * The node's stat, or empty if there is no such node; either way leaves a one-shot watch: on an
   * existing node it fires on data change or deletion, on a missing one on creation (ZooKeeper's
   * exists watch).
   */
  public CompletableFuture<Optional<Stat>> existsAsync(String path, Watcher watcher) {
    return watched(path, Watches.Kind.EXIST, watcher,
        ReadRequest.newBuilder().setExists(pathOp(path)), KeelException.Code.NONODE)
        .thenApply(r -> r.getErrValue() == 0 ? Optional.of(Stat.of(r.getStat())) : Optional.empty());
  }

  /** The node's data and stat. */
  public CompletableFuture<NodeData> getDataAsync(String path) {
    return read(ReadRequest.newBuilder().setGetData(pathOp(path))).thenApply(KeelClient::nodeData);
  }

  /**
   * The node's data and stat, leaving a one-shot watch that fires on its next data change or
   * deletion. No watch is left when the node does not exist (the future fails with NONODE).
   */
  public CompletableFuture<NodeData> getDataAsync(String path, Watcher watcher) {
    return watched(path, Watches.Kind.DATA, watcher,
        ReadRequest.newBuilder().setGetData(pathOp(path)), null).thenApply(KeelClient::nodeData);
  }

  /** The node's child names, sorted. */
  public CompletableFuture<List<String>> getChildrenAsync(String path) {
    return getChildrenWithStatAsync(path).thenApply(Children::names);
  }

  /**
   * The node's child names, sorted, leaving a one-shot watch that fires when a child is created or
   * deleted, or the node is deleted. No watch is left when the node does not exist.
   */
  public CompletableFuture<List<String>> getChildrenAsync(String path, Watcher watcher) {
    return getChildrenWithStatAsync(path, watcher).thenApply(Children::names);
  }

  /** The node's child names (sorted) with the node's stat. */
  public CompletableFuture<Children> getChildrenWithStatAsync(String path) {
    return read(ReadRequest.newBuilder().setGetChildren(pathOp(path))).thenApply(KeelClient::children);
  }

  /** {@link #getChildrenAsync(String, Watcher)} with the node's stat. */
  public CompletableFuture<Children> getChildrenWithStatAsync(String path, Watcher watcher) {
    return watched(path, Watches.Kind.CHILD, watcher,
        ReadRequest.newBuilder().setGetChildren(pathOp(path)), null).thenApply(KeelClient::children);
  }

  /**
   * Adds a watch that stays until removed or the session ends (ZooKeeper's addWatch). The node need
   * not exist. Adding the same watcher twice keeps one.
   */
  public CompletableFuture<Void> addWatchAsync(String path, Watcher watcher, AddWatchMode mode) {
    if (mode == null) {
      return CompletableFuture.failedFuture(KeelException.create(KeelException.Code.BADARGUMENTS,
          path, "addWatch needs a mode"));
    }
    Watches.Kind kind = mode == AddWatchMode.PERSISTENT ? Watches.Kind.PERSISTENT
        : Watches.Kind.PERSISTENT_RECURSIVE;
    return watched(path, kind, watcher, ReadRequest.newBuilder().setAddWatch(
        AddWatchOp.newBuilder().setPath(orEmpty(path)).setKind(kind.proto)), null)
        .thenApply(r -> null);
  }

  /**
   * Removes {@code watcher}'s watches of {@code type} on {@code path}; the watcher gets a
   * *_WATCH_REMOVED event for each. Fails with NOWATCHER when it has none there.
   */
  public CompletableFuture<Void> removeWatchesAsync(String path, Watcher watcher, WatcherType type) {
    if (watcher == null) {
      return CompletableFuture.failedFuture(KeelException.create(KeelException.Code.BADARGUMENTS,
          path, "watcher is null (removeAllWatches removes every watcher's)"));
    }
    return removeWatchesOf(path, watcher, type);
  }

  /** Removes every watcher's watches of {@code type} on {@code path}; NOWATCHER if there are none. */
  public CompletableFuture<Void> removeAllWatchesAsync(String path, WatcherType type) {
    return removeWatchesOf(path, null, type);
  }

  private CompletableFuture<Void> removeWatchesOf(String path, Watcher watcher, WatcherType type) {
    if (closed.get()) {
      return closedFailure();
    }
    if (type == null) {
      return CompletableFuture.failedFuture(KeelException.create(KeelException.Code.BADARGUMENTS,
          path, "removeWatches needs a watcher type"));
    }
    try {
      return watches.removeAtServer(orEmpty(path), watches.remove(orEmpty(path), watcher, type));
    } catch (KeelException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static NodeData nodeData(Response r) {
    return new NodeData(r.getData().getData().toByteArray(), Stat.of(r.getData().getStat()));
  }

  private static Children children(Response r) {
    return new Children(List.copyOf(r.getChildren().getChildrenList()), Stat.of(r.getChildren().getStat()));
  }

  /** The number of all nodes below the node (children, grandchildren, ...). */
  public CompletableFuture<Long> getAllChildrenNumberAsync(String path) {
    return read(ReadRequest.newBuilder().setGetAllChildrenNumber(pathOp(path)))
        .thenApply(r -> r.getCount().getCount());
  }

  /** This session's ephemeral nodes whose path starts with {@code prefix} ("/" for all), sorted. */
  public CompletableFuture<List<String>> getEphemeralsAsync(String prefix) {
    return read(ReadRequest.newBuilder().setGetEphemerals(pathOp(prefix)))
        .thenApply(r -> List.copyOf(r.getPaths().getPathsList()));
  }

  /** The node's ACL and stat. */
  public CompletableFuture<AclData> getAclAsync(String path) {
    return read(ReadRequest.newBuilder().setGetAcl(pathOp(path)))
        .thenApply(r -> new AclData(r.getAcl().getAclList().stream().map(Acl::of).toList(),
            Stat.of(r.getAcl().getStat())));
  }

  /** Replaces the node's ACL if its ACL version matches; completes with the new stat. */
  public CompletableFuture<Stat> setAclAsync(String path, List<Acl> acl, int aclVersion) {
    SetAclOp.Builder op = SetAclOp.newBuilder().setPath(orEmpty(path)).setVersion(aclVersion);
    acl.forEach(a -> op.addAcl(a.toProto()));
    return write(WriteRequest.newBuilder().setSetAcl(op)).thenApply(r -> Stat.of(r.getStat()));
  }

  /**
   * Applies every op at one zxid, or none. On failure the future fails with the failing op's
   * exception, whose {@link KeelException#results()} holds one {@link OpResult.ErrorResult} per op.
   */
  public CompletableFuture<List<OpResult>> multiAsync(List<Op> ops) {
    MultiOp.Builder multi = MultiOp.newBuilder();
    for (Op op : ops) {
      if (op == null || op instanceof Op.Create c && (c.mode() == null || c.options() == null)) {
        return CompletableFuture.failedFuture(KeelException.create(KeelException.Code.BADARGUMENTS,
            null, "a multi's ops must not be null, nor a create's mode or options"));
      }
      multi.addOps(op.toProto());
    }
    return write(WriteRequest.newBuilder().setMulti(multi))
        .thenApply(r -> r.getMulti().getResultsList().stream().map(OpResult::of).toList());
  }

  // ------------------------------------------------------------------ blocking API

  public String create(String path, byte[] data, CreateMode mode) {
    return await(createAsync(path, data, mode), requestTimeout);
  }

  public String create(String path, byte[] data, CreateMode mode, Duration timeout) {
    return await(createAsync(path, data, mode), timeout);
  }

  public Created create(String path, byte[] data, CreateMode mode, CreateOptions options) {
    return await(createAsync(path, data, mode, options), requestTimeout);
  }

  public Created create(String path, byte[] data, CreateMode mode, CreateOptions options,
                        Duration timeout) {
    return await(createAsync(path, data, mode, options), timeout);
  }

  public void delete(String path, int version) {
    await(deleteAsync(path, version), requestTimeout);
  }

  public void delete(String path, int version, Duration timeout) {
    await(deleteAsync(path, version), timeout);
  }

  public Stat setData(String path, byte[] data, int version) {
    return await(setDataAsync(path, data, version), requestTimeout);
  }

  public Stat setData(String path, byte[] data, int version, Duration timeout) {
    return await(setDataAsync(path, data, version), timeout);
  }

  public Optional<Stat> exists(String path) {
    return await(existsAsync(path), requestTimeout);
  }

  public Optional<Stat> exists(String path, Duration timeout) {
    return await(existsAsync(path), timeout);
  }

  public NodeData getData(String path) {
    return await(getDataAsync(path), requestTimeout);
  }

  public NodeData getData(String path, Duration timeout) {
    return await(getDataAsync(path), timeout);
  }

  public Optional<Stat> exists(String path, Watcher watcher) {
    return await(existsAsync(path, watcher), requestTimeout);
  }

  public Optional<Stat> exists(String path, Watcher watcher, Duration timeout) {
    return await(existsAsync(path, watcher), timeout);
  }

  public NodeData getData(String path, Watcher watcher) {
    return await(getDataAsync(path, watcher), requestTimeout);
  }

  public NodeData getData(String path, Watcher watcher, Duration timeout) {
    return await(getDataAsync(path, watcher), timeout);
  }

  public List<String> getChildren(String path, Watcher watcher) {
    return await(getChildrenAsync(path, watcher), requestTimeout);
  }

  public List<String> getChildren(String path, Watcher watcher, Duration timeout) {
    return await(getChildrenAsync(path, watcher), timeout);
  }

  public Children getChildrenWithStat(String path, Watcher watcher) {
    return await(getChildrenWithStatAsync(path, watcher), requestTimeout);
  }

  public Children getChildrenWithStat(String path, Watcher watcher, Duration timeout) {
    return await(getChildrenWithStatAsync(path, watcher), timeout);
  }

  public void addWatch(String path, Watcher watcher, AddWatchMode mode) {
    await(addWatchAsync(path, watcher, mode), requestTimeout);
  }

  public void addWatch(String path, Watcher watcher, AddWatchMode mode, Duration timeout) {
    await(addWatchAsync(path, watcher, mode), timeout);
  }

  public void removeWatches(String path, Watcher watcher, WatcherType type) {
    await(removeWatchesAsync(path, watcher, type), requestTimeout);
  }

  public void removeWatches(String path, Watcher watcher, WatcherType type, Duration timeout) {
    await(removeWatchesAsync(path, watcher, type), timeout);
  }

  public void removeAllWatches(String path, WatcherType type) {
    await(removeAllWatchesAsync(path, type), requestTimeout);
  }

  public void removeAllWatches(String path, WatcherType type, Duration timeout) {
    await(removeAllWatchesAsync(path, type), timeout);
  }

  public List<String> getChildren(String path) {
    return await(getChildrenAsync(path), requestTimeout);
  }

  public List<String> getChildren(String path, Duration timeout) {
    return await(getChildrenAsync(path), timeout);
  }

  public Children getChildrenWithStat(String path) {
    return await(getChildrenWithStatAsync(path), requestTimeout);
  }

  public Children getChildrenWithStat(String path, Duration timeout) {
    return await(getChildrenWithStatAsync(path), timeout);
  }

  public long getAllChildrenNumber(String path) {
    return await(getAllChildrenNumberAsync(path), requestTimeout);
  }

  public long getAllChildrenNumber(String path, Duration timeout) {
    return await(getAllChildrenNumberAsync(path), timeout);
  }

  public List<String> getEphemerals(String prefix) {
    return await(getEphemeralsAsync(prefix), requestTimeout);
  }

  public List<String> getEphemerals(String prefix, Duration timeout) {
    return await(getEphemeralsAsync(prefix), timeout);
  }

  public AclData getAcl(String path) {
    return await(getAclAsync(path), requestTimeout);
  }

  public AclData getAcl(String path, Duration timeout) {
    return await(getAclAsync(path), timeout);
  }

  public Stat setAcl(String path, List<Acl> acl, int aclVersion) {
    return await(setAclAsync(path, acl, aclVersion), requestTimeout);
  }

  public Stat setAcl(String path, List<Acl> acl, int aclVersion, Duration timeout) {
    return await(setAclAsync(path, acl, aclVersion), timeout);
  }

  public List<OpResult> multi(List<Op> ops) {
    return await(multiAsync(ops), requestTimeout);
  }

  public List<OpResult> multi(List<Op> ops, Duration timeout) {
    return await(multiAsync(ops), timeout);
  }

  // ------------------------------------------------------------------ session and state

  /** This client's session id: the {@code ephemeralOwner} of its ephemeral nodes. */
  public long sessionId() {
    return sessionId;
  }

  /** The session timeout the cluster granted, in milliseconds. */
  public int sessionTimeoutMs() {
    return sessionTimeoutMs;
  }

  /**
   * Calls {@code listener} with every change of the session's {@link ConnectionState}, in order,
   * on one thread of the client's. Returns at once.
   */
  public void addConnectionStateListener(Consumer<ConnectionState> listener) {
    keeper.addListener(listener);
  }

  /**
   * Stops calling {@code listener} (compared by identity); a no-op if it was not added. A change
   * already being delivered may still reach it.
   */
  public void removeConnectionStateListener(Consumer<ConnectionState> listener) {
    keeper.removeListener(listener);
  }

  /** The session's current state. */
  public ConnectionState connectionState() {
    return keeper.state();
  }

  /** The largest zxid this client has seen in any reply. */
  public long lastZxid() {
    return lastZxid.get();
  }

  /** Closes the session (its ephemerals are deleted at once) and releases connections. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    boolean expired = keeper != null && keeper.state() == ConnectionState.LOST;
    if (keeper != null) {
      keeper.close();
    }
    if (watches != null) {
      watches.close();
    }
    try {
      if (expired) {
        return;
      }
      await(send(WriteRequest.newBuilder().setCloseSession(
          CloseSessionOp.newBuilder().setSessionId(sessionId))), requestTimeout);
    } catch (KeelException e) {
      LOG.warn("Could not close session 0x{} cleanly: {}", Long.toHexString(sessionId), e.getMessage());
    } finally {
      closeQuietly(raft.get());
      reads.close();
      callbacks.shutdown();
    }
  }

  @Override
  public String toString() {
    return "KeelClient{" + connectString + ", session 0x" + Long.toHexString(sessionId) + "}";
  }

  // ------------------------------------------------------------------ plumbing

  private CompletableFuture<Response> write(WriteRequest.Builder request) {
    if (closed.get()) {
      return closedFailure();
    }
    return send(request);
  }

  private CompletableFuture<Response> send(WriteRequest.Builder request) {
    synchronized (this) {
      // sessionId is still 0 while the constructor opens the session.
      long id = requestIds.incrementAndGet();
      unanswered.add(id);
      request.setSessionId(sessionId).setRequestId(id).setAnsweredBelow(unanswered.first());
      ByteString bytes = request.build().toByteString();
      if (bytes.size() > TRANSPORT_MAX_REQUEST_BYTES) {
        unanswered.remove(id);
        return CompletableFuture.failedFuture(tooLarge(bytes.size()));
      }
      RaftClient client = raft.get();
      CompletableFuture<Response> reply = reply(client, client.async().send(message(bytes)), null);
      // Answered or given up on: either way Ratis will not resend it.
      reply.whenComplete((r, e) -> unanswered.remove(id));
      lastWrite = reply;
      return reply;
    }
  }

  private CompletableFuture<Response> read(ReadRequest.Builder request) {
    return send(request, null);
  }

  /** A read whose {@code tolerated} error code completes normally instead of failing. */
  private CompletableFuture<Response> send(ReadRequest.Builder request, KeelException.Code tolerated) {
    return readAt(request, readConsistency, tolerated, null);
  }

  /** A read that also leaves a watch at the server that serves it. */
  private CompletableFuture<Response> watched(String path, Watches.Kind kind, Watcher watcher,
                                              ReadRequest.Builder request,
                                              KeelException.Code tolerated) {
    if (closed.get()) {
      return closedFailure();
    }
    Watches.Pending pending;
    try {
      pending = watches.adding(orEmpty(path), kind, watcher);
    } catch (KeelException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (!request.hasAddWatch()) {
      request.setWatch(true);
    }
    return readAt(request, readConsistency, tolerated, pending);
  }

  private CompletableFuture<Response> readAt(ReadRequest.Builder request, ReadConsistency consistency,
                                             KeelException.Code tolerated, Watches.Pending watch) {
    if (closed.get()) {
      return closedFailure();
    }
    CompletableFuture<?> before;
    synchronized (this) {
      before = lastWrite;
    }
    // A read issued by a watcher cannot wait for watchers to run: it runs on their thread.
    boolean onDispatcher = watches != null && watches.onDispatchThread();
    // The server may serve a read before an earlier write of ours commits; wait for the write,
    // then ask for a server state at least as new as everything this client has seen.
    return before.handle((r, e) -> null).thenCompose(ignored -> {
      ByteString bytes = request.setSessionId(sessionId).setMinZxid(lastZxid.get())
          .build().toByteString();
      long deadline = System.nanoTime() + requestTimeout.toNanos();
      return parse(null, reads.read(message(bytes), consistency, deadline), requestTimeout);
    }).handle((parsed, error) -> {
      if (watch != null) {
        watches.answered(watch, error == null ? parsed.response() : null);
      }
      if (error != null) {
        throw error instanceof KeelException k ? k : RaftTransport.translate(error);
      }
      // Events that must come before the result are delivered first.
      if (watches == null) {
        return CompletableFuture.completedFuture(parsed.response());
      }
      // Bounded like any request: events that cannot be fetched must not hold a read forever.
      return watches.admit(parsed.server(), parsed.response(), onDispatcher)
          .orTimeout(requestTimeout.toNanos(), TimeUnit.NANOSECONDS)
          .exceptionally(e -> {
            throw KeelException.create(KeelException.Code.OPERATIONTIMEOUT, null,
                "the read was answered but the watch events before it could not be fetched within "
                    + requestTimeout.toMillis() + " ms", e, null);
          });
    }).thenCompose(f -> f).thenApply(r -> check(r, tolerated));
  }

  /**
   * Brings this client's server up to date with the leader (ZooKeeper's sync): reads after it
   * completes see every write committed before it started. {@code path} is checked like a read's.
   */
  public CompletableFuture<Void> syncAsync(String path) {
    return readAt(ReadRequest.newBuilder().setExists(pathOp(path)), ReadConsistency.LINEARIZABLE,
        KeelException.Code.NONODE, null)
        .thenApply(r -> null);
  }

  public void sync(String path) {
    await(syncAsync(path), requestTimeout);
  }

  public void sync(String path, Duration timeout) {
    await(syncAsync(path), timeout);
  }

  /** The member this client's reads are served by now: {@code host:port}. */
  public String attachedServer() {
    RaftPeerId id = reads.attached();
    return group.getPeer(id) == null ? id.toString() : group.getPeer(id).getAddress();
  }

  /**
   * Turns a Ratis reply into a Keel response on the callback threads, with the request timeout.
   * Every failure becomes a {@link KeelException}.
   */
  private CompletableFuture<Response> reply(RaftClient client, CompletableFuture<RaftClientReply> sent,
                                            KeelException.Code tolerated) {
    return reply(client, sent, tolerated, requestTimeout);
  }

  private CompletableFuture<Response> reply(RaftClient client, CompletableFuture<RaftClientReply> sent,
                                            KeelException.Code tolerated, Duration timeout) {
    return parse(client, sent, timeout).thenApply(p -> check(p.response(), tolerated));
  }

  /** A reply and the server that sent it. */
  private record Parsed(RaftPeerId server, Response response) {
  }

  /**
   * Turns a Ratis reply into a Keel response on the callback threads, with a timeout. A transport
   * failure becomes a {@link KeelException}; an error in the response is left to {@link #check}.
   */
  private CompletableFuture<Parsed> parse(RaftClient client, CompletableFuture<RaftClientReply> sent,
                                          Duration timeout) {
    return sent.thenApply(r -> r)
        .orTimeout(timeout.toNanos(), TimeUnit.NANOSECONDS)
        .handleAsync((reply, error) -> {
          Throwable failure = error != null ? error : reply.isSuccess() ? null : reply.getException();
          if (failure != null) {
            KeelException k = RaftTransport.translate(failure);
            if (client != null && RaftTransport.isClientBroken(failure)) {
              renew(client);
            }
            keeper().failed(k);
            throw k;
          }
          Response r;
          try {
            r = Response.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
          } catch (InvalidProtocolBufferException e) {
            throw KeelException.create(KeelException.Code.MARSHALLINGERROR, null,
                "unreadable reply from the server: " + e.getMessage());
          }
          lastZxid.accumulateAndGet(r.getZxid(), Math::max);
          return new Parsed(reply.getServerId(), r);
        }, callbacks);
  }

  /** The response, or its error as an exception unless it is the {@code tolerated} one. */
  private Response check(Response r, KeelException.Code tolerated) {
    if (r.getErrValue() != 0 && (tolerated == null || r.getErrValue() != tolerated.intValue())) {
      KeelException k = RaftTransport.toException(r);
      keeper().failed(k);
      throw k;
    }
    return r;
  }

  private static <T> CompletableFuture<T> closedFailure() {
    return CompletableFuture.failedFuture(KeelException.create(KeelException.Code.SESSIONEXPIRED,
        null, "the client is closed"));
  }

  /** The session keeper, or a no-op while the constructor is still opening the session. */
  private SessionKeeper keeper() {
    SessionKeeper k = keeper;
    return k != null ? k : SessionKeeper.NONE;
  }

  /**
   * Sends a ping of this session. Only the leader tracks session liveness, and a linearizable read
   * may be answered by a follower (through read index) without the leader hearing of it; a
   * non-linearizable read is answered by the leader alone (Ratis redirects it there).
   */
  CompletableFuture<Response> ping(Duration timeout) {
    ByteString bytes = ReadRequest.newBuilder().setSessionId(sessionId)
        .setPing(PingOp.getDefaultInstance()).build().toByteString();
    RaftClient client = raft.get();
    // SESSIONEXPIRED is an answer here (the keeper reports LOST), not a failure.
    return reply(client, client.async().sendReadOnlyNonLinearizable(message(bytes)),
        KeelException.Code.SESSIONEXPIRED, timeout);
  }

  /**
   * Once a request exhausts its retries, Ratis's ordered stream fails every later request on that
   * Raft client; replace it so the next operation gets a fresh one.
   */
  private void renew(RaftClient broken) {
    if (closed.get()) {
      return;
    }
    RaftClient fresh = RaftTransport.newClient(group, null, requestTimeout);
    if (raft.compareAndSet(broken, fresh)) {
      LOG.info("Replaced the Raft client of {} after a connection failure", this);
      closeQuietly(broken);
    } else {
      closeQuietly(fresh);
    }
  }

  /** Waits for an async result: the one place blocking calls turn futures into values. */
  static <T> T await(CompletableFuture<T> future, Duration timeout) {
    try {
      return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw KeelException.create(KeelException.Code.OPERATIONTIMEOUT, null,
          "no reply within " + timeout.toMillis() + " ms; the outcome is unknown", e, null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw KeelException.create(KeelException.Code.CONNECTIONLOSS, null,
          "interrupted while waiting for a reply; the outcome is unknown", e, null);
    } catch (ExecutionException e) {
      throw RaftTransport.rethrowHere(e.getCause());
    }
  }

  private static KeelException tooLarge(int size) {
    return KeelException.create(KeelException.Code.BADARGUMENTS, null,
        "request of " + size + " bytes exceeds " + TRANSPORT_MAX_REQUEST_BYTES
            + " bytes, more than any server accepts");
  }

  static String orEmpty(String path) {
    return path == null ? "" : path;
  }

  static CreateOp createOp(String path, byte[] data, CreateMode mode, CreateOptions options) {
    CreateOp.Builder op = CreateOp.newBuilder().setPath(orEmpty(path)).setData(bytes(data))
        .setMode(mode.toProto()).setTtl(options.ttlMs());
    options.acl().forEach(a -> op.addAcl(a.toProto()));
    return op.build();
  }

  static ByteString bytes(byte[] data) {
    return data == null ? ByteString.EMPTY : ByteString.copyFrom(data);
  }

  private static PathOp pathOp(String path) {
    return PathOp.newBuilder().setPath(orEmpty(path)).build();
  }

  private static Message message(ByteString bytes) {
    // Keel's protobuf and Ratis's shaded one are different classes; wrap without copying.
    return Message.valueOf(UnsafeByteOperations.unsafeWrap(bytes.asReadOnlyByteBuffer()));
  }

  private static void closeQuietly(RaftClient raft) {
    try {
      raft.close();
    } catch (IOException e) {
      LOG.debug("Error closing the Raft client", e);
    }
  }
}
