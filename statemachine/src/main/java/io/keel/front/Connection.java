package io.keel.front;

import io.keel.proto.Code;
import io.keel.proto.CreateSessionOp;
import io.keel.proto.PathOp;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import io.keel.proto.WriteRequest;
import io.keel.tree.DataTree;
import io.keel.tree.Paths;
import io.keel.watch.EventType;
import io.keel.watch.WatchEvent;
import io.keel.watch.WatchKind;
import io.keel.watch.WatchRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.jute.BinaryInputArchive;
import org.apache.jute.Record;
import org.apache.zookeeper.proto.AddWatchRequest;
import org.apache.zookeeper.proto.AuthPacket;
import org.apache.zookeeper.proto.CheckWatchesRequest;
import org.apache.zookeeper.proto.ConnectRequest;
import org.apache.zookeeper.proto.ConnectResponse;
import org.apache.zookeeper.proto.RemoveWatchesRequest;
import org.apache.zookeeper.proto.ReplyHeader;
import org.apache.zookeeper.proto.RequestHeader;
import org.apache.zookeeper.proto.SetWatches;
import org.apache.zookeeper.proto.SetWatches2;
import org.apache.zookeeper.proto.WatcherEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, and the session on it once the handshake is done.
 *
 * <p>Order (ZooKeeper's guarantees): requests are started in arrival order; a read (or a watch
 * change) starts only once the session's earlier writes and syncs are applied at this server, and
 * nothing after it starts before it. Replies leave in arrival order. Watch events leave in the
 * registry's order (zxid order); a reply waits for the events its zxid covers, and a read that
 * sets a watch takes its position before registering, so the events of the new watch follow its
 * reply (ZooKeeper's client attaches a watcher only when the reply arrives).
 *
 * <p>Everything runs on the channel's event loop; completions from other threads are handed back
 * to it. Nothing here blocks.
 */
final class Connection extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

  /** ZooKeeper's KeeperState.SyncConnected, the state every pushed event carries. */
  private static final int SYNC_CONNECTED = 3;
  private static final int MAX_EVENTS_PER_POLL = 1000;

  private enum State { HANDSHAKE, CONNECTING, OPEN, CLOSED }

  private final SessionFront front;
  private Channel channel;
  private State state = State.HANDSHAKE;
  private long sessionId;
  private boolean closing;
  /** Frames that came after the ConnectRequest, before the session was ready. */
  private final ArrayDeque<ByteBuf> early = new ArrayDeque<>();
  /** Calls not started yet, in arrival order. */
  private final ArrayDeque<Call> waiting = new ArrayDeque<>();
  /** Calls started whose reply has not left, in arrival order. */
  private final ArrayDeque<Call> started = new ArrayDeque<>();
  /** Started writes and syncs not yet applied here: reads wait for them. */
  private int unfinished;
  private WatchRegistry registry;
  /** Events taken from the registry and not yet written. */
  private final ArrayDeque<WatchEvent> events = new ArrayDeque<>();
  /** Highest event seq taken from the registry, and written to the client. */
  private long taken;
  private long delivered;
  private CompletableFuture<List<WatchEvent>> poll;
  private boolean unflushed;
  private boolean readingPaused;

  Connection(SessionFront front) {
    this.front = front;
  }

  long sessionId() {
    return sessionId;
  }

  // ------------------------------------------------------------------ Netty

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    channel.eventLoop().schedule(() -> {
      if (state == State.HANDSHAKE) {
        LOG.info("Closing connection from {}: no ConnectRequest within {} ms", remote(),
            front.settings().handshakeTimeoutMs());
        channel.close();
      }
    }, front.settings().handshakeTimeoutMs(), TimeUnit.MILLISECONDS);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf frame = (ByteBuf) msg;
    try {
      switch (state) {
        case HANDSHAKE -> handshake(frame);
        case CONNECTING -> early.add(frame.retain());
        case OPEN -> request(frame);
        case CLOSED -> { }
      }
    } finally {
      frame.release();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    flush();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    pump();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    state = State.CLOSED;
    early.forEach(ByteBuf::release);
    early.clear();
    if (sessionId != 0) {
      front.detached(this);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable why = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
    if (why instanceof TooLongFrameException || why instanceof CorruptedFrameException) {
      LOG.warn("Closing connection from {} (session 0x{}): frame refused: {}", remote(),
          Long.toHexString(sessionId), why.getMessage());
    } else if (why instanceof IOException) {
      LOG.debug("Connection from {} failed: {}", remote(), why.toString());
    } else {
      LOG.warn("Closing connection from {} (session 0x{}) after an unexpected error", remote(),
          Long.toHexString(sessionId), why);
    }
    close();
  }

  // ------------------------------------------------------------------ the handshake

  private void handshake(ByteBuf frame) {
    ConnectRequest request = new ConnectRequest();
    try {
      readConnect(frame, request);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Closing connection from {}: its first frame ({} bytes) is not a ConnectRequest: {}",
          remote(), frame.readableBytes(), e.toString());
      close();
      return;
    }
    state = State.CONNECTING;
    channel.config().setAutoRead(false);
    long seen = request.getLastZxidSeen();
    CompletableFuture<Void> caughtUp = front.stateMachine().awaitApplied(seen)
        .orTimeout(front.settings().catchUpTimeoutMs(), TimeUnit.MILLISECONDS);
    caughtUp.whenComplete((ok, e) -> onLoop(() -> {
      if (e != null) {
        LOG.info("Refusing session 0x{} from {}: it has seen zxid 0x{}, this server only 0x{};"
                + " the client will try another server", Long.toHexString(request.getSessionId()),
            remote(), Long.toHexString(seen), Long.toHexString(tree().lastZxid()));
        close();
      } else if (request.getSessionId() == 0) {
        createSession(request.getTimeOut());
      } else {
        resumeSession(request.getSessionId(), request.getPasswd());
      }
    }));
  }

  /** ZooKeeper clients before 3.4 send no readOnly flag; the rest of the record is the same. */
  private void readConnect(ByteBuf frame, ConnectRequest request) throws IOException {
    BinaryInputArchive in = Wire.reader(frame, 1024);
    request.setProtocolVersion(in.readInt("protocolVersion"));
    request.setLastZxidSeen(in.readLong("lastZxidSeen"));
    request.setTimeOut(in.readInt("timeOut"));
    request.setSessionId(in.readLong("sessionId"));
    request.setPasswd(in.readBuffer("passwd"));
    if (frame.isReadable()) {
      request.setReadOnly(in.readBool("readOnly"));
    }
    if (frame.isReadable()) {
      throw new IOException(frame.readableBytes() + " bytes after the ConnectRequest");
    }
  }

  private void createSession(int timeoutMs) {
    WriteRequest create = WriteRequest.newBuilder()
        .setCreateSession(CreateSessionOp.newBuilder().setTimeoutMs(Math.max(1, timeoutMs))).build();
    front.forwarder().submit(create).thenCompose(r -> r.getErr() != Code.OK ? CompletableFuture.completedFuture(r)
            : front.stateMachine().awaitApplied(r.getZxid()).thenApply(v -> r))
        .whenComplete((r, e) -> onLoop(() -> {
          if (e != null || r.getErr() != Code.OK) {
            LOG.info("Could not open a session for {}: {}", remote(),
                e != null ? e.toString() : r.getErr() + " " + r.getMessage());
            close();
          } else {
            open(r.getSession().getSessionId(), r.getSession().getTimeoutMs());
          }
        }));
  }

  private void resumeSession(long id, byte[] passwd) {
    int timeoutMs = tree().sessionTimeoutMs(id);
    if (timeoutMs < 0 || !front.passwordMatches(id, passwd)) {
      LOG.info("Session 0x{} from {} is {}; telling the client it expired", Long.toHexString(id),
          remote(), timeoutMs < 0 ? "closed or expired" : "not proven by its password");
      channel.writeAndFlush(Wire.frame(channel.alloc(), null,
          new ConnectResponse(0, 0, 0, new byte[16], false)));
      close();
      return;
    }
    open(id, timeoutMs);
  }

  private void open(long id, int timeoutMs) {
    if (state != State.CONNECTING) {
      return;
    }
    sessionId = id;
    front.attach(this);
    // Watches of an earlier connection are the client's to restore (SetWatches), from its view.
    front.stateMachine().sessionDetached(id);
    registry = front.stateMachine().watchRegistry();
    front.heard(id);
    channel.write(Wire.frame(channel.alloc(), null,
        new ConnectResponse(0, timeoutMs, id, front.password(id), false)));
    unflushed = true;
    state = State.OPEN;
    LOG.debug("Session 0x{} open for {} (timeout {} ms)", Long.toHexString(id), remote(), timeoutMs);
    while (!early.isEmpty() && state == State.OPEN) {
      ByteBuf frame = early.poll();
      try {
        request(frame);
      } finally {
        frame.release();
      }
    }
    channel.config().setAutoRead(true);
    pump();
  }

  // ------------------------------------------------------------------ requests

  private void request(ByteBuf frame) {
    BinaryInputArchive in = Wire.reader(frame, front.settings().maxFrameBytes());
    RequestHeader header = new RequestHeader();
    try {
      header.deserialize(in, "header");
    } catch (IOException e) {
      malformed("a request header: " + e);
      return;
    }
    front.heard(sessionId);
    switch (header.getType()) {
      case OpCodes.PING -> {
        channel.write(Wire.reply(channel.alloc(), Wire.PING_XID, tree().lastZxid(), 0, null));
        unflushed = true;
        return;
      }
      case OpCodes.AUTH -> {
        try {
          new AuthPacket().deserialize(in, "request");
        } catch (IOException e) {
          malformed("an auth packet: " + e);
          return;
        }
        // ACLs are stored, not enforced yet (issue 13): every identity is accepted.
        channel.write(Wire.reply(channel.alloc(), Wire.AUTH_XID, 0, 0, null));
        unflushed = true;
        return;
      }
      default -> { }
    }
    Call call;
    if (header.getType() == OpCodes.WHO_AM_I) {
      // No authentication yet (issue 13): a client is known by its address, as ZooKeeper's ip scheme.
      call = Call.done(header.getXid(), OpCodes.WHO_AM_I, Response.newBuilder().setZxid(tree().lastZxid()).build());
      String host = channel.remoteAddress() instanceof java.net.InetSocketAddress a
          ? a.getAddress().getHostAddress() : String.valueOf(channel.remoteAddress());
      call.body = new org.apache.zookeeper.proto.WhoAmIResponse(
          List.of(new org.apache.zookeeper.data.ClientInfo("ip", host)));
      waiting.add(call);
      pump();
      return;
    }
    try {
      call = Requests.decode(header.getXid(), header.getType(), in, sessionId,
          front.settings().maxDataBytes());
    } catch (Requests.MalformedException e) {
      malformed(e.getMessage());
      return;
    }
    if (frame.isReadable()) {
      malformed("request type " + header.getType() + " has " + frame.readableBytes()
          + " bytes after its record");
      return;
    }
    waiting.add(call);
    if (waiting.size() + started.size() >= front.settings().maxPendingPerSession() && !readingPaused) {
      // Back-pressure: this client sends faster than its requests complete.
      readingPaused = true;
      channel.config().setAutoRead(false);
    }
    pump();
  }

  private void malformed(String what) {
    LOG.warn("Closing connection from {} (session 0x{}): malformed {}", remote(),
        Long.toHexString(sessionId), what);
    close();
  }

  /** Starts what may start, writes what may leave, and keeps events flowing. */
  private void pump() {
    if (state != State.OPEN) {
      return;
    }
    while (true) {
      startWhatMay();
      if (!writeReadyReplies()) {
        return;  // the channel closed after a closeSession reply
      }
      Call head = started.peek();
      boolean blocked = head != null && head.ready;  // waiting for events its zxid covers
      if (!blocked) {
        // No reply is due: every event taken so far precedes whatever is answered next.
        writeEvents(Long.MAX_VALUE);
      }
      if (poll == null && !closing && channel.isWritable() && takeEvents()) {
        continue;  // events were there at once
      }
      break;
    }
    if (readingPaused && waiting.size() + started.size() < front.settings().maxPendingPerSession() / 2) {
      readingPaused = false;
      channel.config().setAutoRead(true);
    }
    flush();
  }

  private void startWhatMay() {
    while (!waiting.isEmpty()) {
      Call c = waiting.peek();
      if (!c.ordersReads() && c.kind != Call.Kind.DONE && unfinished > 0) {
        return;
      }
      waiting.poll();
      started.add(c);
      start(c);
    }
  }

  /** Writes ready replies in order while their events are out; false if the channel closed. */
  private boolean writeReadyReplies() {
    while (!started.isEmpty() && started.peek().ready) {
      Call c = started.peek();
      if (delivered < c.needSeq) {
        writeEvents(c.needSeq);
        if (delivered < c.needSeq) {
          return true;  // its events are still on their way from the registry
        }
      }
      started.poll();
      long zxid = c.result.getZxid() > 0 ? c.result.getZxid() : tree().lastZxid();
      channel.write(Wire.reply(channel.alloc(), c.xid, zxid, Replies.err(c), Replies.body(c)));
      unflushed = true;
      if (c.opCode == OpCodes.CLOSE_SESSION) {
        flush();
        close();
        return false;
      }
    }
    return true;
  }

  private void start(Call c) {
    switch (c.kind) {
      case DONE -> { }
      case READ -> serveRead(c);
      case MULTI_READ -> serveMultiRead(c);
      case WATCHES -> changeWatches(c);
      case WRITE -> {
        unfinished++;
        if (c.opCode == OpCodes.CLOSE_SESSION) {
          closing = true;
        }
        front.forwarder().submit(c.write).whenComplete((r, e) -> applied(c, e == null ? r : lost(e)));
      }
      case SYNC -> {
        unfinished++;
        front.sync().whenComplete((r, e) -> applied(c, e == null ? r : lost(e)));
      }
    }
  }

  /** A write's or sync's answer: it is ready once this server has applied it too. */
  private void applied(Call c, Response r) {
    CompletableFuture<Void> here = r.getZxid() > 0 ? front.stateMachine().awaitApplied(r.getZxid())
        .orTimeout(front.settings().forwardGiveUpMs(), TimeUnit.MILLISECONDS)
        : CompletableFuture.completedFuture(null);
    here.whenComplete((ok, e) -> onLoop(() -> {
      if (e != null && state == State.OPEN) {
        // The write is in the log but this server is not applying it: its session must not read
        // here before seeing it, so the client moves to a server that keeps up.
        LOG.warn("Closing session 0x{}'s connection from {}: this server has not applied zxid 0x{}"
                + " within {} ms (it is cut off or far behind)", Long.toHexString(sessionId), remote(),
            Long.toHexString(r.getZxid()), front.settings().forwardGiveUpMs());
        close();
        return;
      }
      unfinished--;
      c.result = e == null ? r : lost(e);
      c.needSeq = Math.max(0, registry.lastSeqAt(sessionId, c.result.getZxid()));
      c.ready = true;
      pump();
    }));
  }

  private void serveRead(Call c) {
    Response r = tree().read(c.read);
    whenWatchesAt(r.getZxid(), () -> {
      c.needSeq = Math.max(0, registry.lastSeqAt(sessionId, r.getZxid()));
      WatchKind kind = watchFor(c, r);
      if (kind != null) {
        registry.register(sessionId, c.watchPath, kind, r.getZxid());
      }
      c.result = r;
      c.ready = true;
    });
  }

  /** ZooKeeper's rules for which read leaves which watch; null when it leaves none. */
  private static WatchKind watchFor(Call c, Response r) {
    if (c.watchKind == null) {
      return null;
    }
    if (r.getErr() == Code.OK) {
      return c.watchKind == WatchKind.EXIST ? WatchKind.DATA : c.watchKind;
    }
    return r.getErr() == Code.NONODE && c.watchKind == WatchKind.EXIST ? WatchKind.EXIST : null;
  }

  private void serveMultiRead(Call c) {
    List<Response> results = new ArrayList<>(c.reads.size());
    long zxid = 0;
    for (ReadRequest read : c.reads) {
      Response r = tree().read(read);
      results.add(r);
      zxid = Math.max(zxid, r.getZxid());
    }
    long at = zxid;
    whenWatchesAt(at, () -> {
      c.needSeq = Math.max(0, registry.lastSeqAt(sessionId, at));
      c.results = results;
      c.result = Response.newBuilder().setZxid(at).build();
      c.ready = true;
    });
  }

  /**
   * Runs {@code then} once the watch registry has seen every entry up to {@code zxid} (the apply
   * thread updates the tree first), at once when it has.
   */
  private void whenWatchesAt(long zxid, Runnable then) {
    if (registry.appliedZxid() >= zxid) {
      then.run();
      return;
    }
    front.stateMachine().awaitApplied(zxid).whenComplete((ok, e) -> onLoop(() -> {
      then.run();
      pump();
    }));
  }

  // ------------------------------------------------------------------ watch changes

  private void changeWatches(Call c) {
    long zxid = tree().lastZxid();
    whenWatchesAt(zxid, () -> {
      c.result = watchChange(c, zxid);
      c.ready = true;
    });
  }

  private Response watchChange(Call c, long zxid) {
    Response.Builder ok = Response.newBuilder().setZxid(zxid);
    Record op = c.watchOp;
    if (op instanceof SetWatches sw) {
      restore(sw.getRelativeZxid(), sw.getDataWatches(), sw.getExistWatches(), sw.getChildWatches(),
          List.of(), List.of());
      return ok.build();
    }
    if (op instanceof SetWatches2 sw) {
      restore(sw.getRelativeZxid(), sw.getDataWatches(), sw.getExistWatches(), sw.getChildWatches(),
          sw.getPersistentWatches(), sw.getPersistentRecursiveWatches());
      return ok.build();
    }
    String path;
    Set<WatchKind> kinds;
    if (op instanceof AddWatchRequest add) {
      path = add.getPath();
      WatchKind kind = switch (add.getMode()) {
        case Requests.ADD_WATCH_PERSISTENT -> WatchKind.PERSISTENT;
        case Requests.ADD_WATCH_PERSISTENT_RECURSIVE -> WatchKind.PERSISTENT_RECURSIVE;
        default -> null;
      };
      String problem = pathProblem(path);
      if (kind == null || problem != null) {
        return failure(Code.BADARGUMENTS, path,
            kind == null ? "addWatch mode " + add.getMode() + " is unknown" : problem);
      }
      if (!tree().hasSession(sessionId)) {
        return failure(Code.SESSIONEXPIRED, path, "session 0x" + Long.toHexString(sessionId) + " has expired");
      }
      registry.register(sessionId, path, kind, zxid);
      return ok.build();
    }
    int type;
    if (op instanceof RemoveWatchesRequest rw) {
      path = rw.getPath();
      type = rw.getType();
    } else {
      CheckWatchesRequest cw = (CheckWatchesRequest) op;
      path = cw.getPath();
      type = cw.getType();
    }
    kinds = watcherType(type);
    String problem = pathProblem(path);
    if (kinds == null || problem != null) {
      return failure(Code.BADARGUMENTS, path, kinds == null ? "watcher type " + type + " is unknown" : problem);
    }
    boolean found = false;
    for (WatchKind k : kinds) {
      found |= op instanceof RemoveWatchesRequest ? registry.remove(sessionId, path, k)
          : registry.holds(sessionId, path, k);
    }
    return found ? ok.build()
        : failure(Code.NOWATCHER, path, "no watch of type " + type + " on " + Paths.quote(path));
  }

  /** ZooKeeper's WatcherType numbers: Children 1, Data 2, Any 3, Persistent 4, PersistentRecursive 5. */
  private static Set<WatchKind> watcherType(int type) {
    return switch (type) {
      case 1 -> EnumSet.of(WatchKind.CHILD);
      case 2 -> EnumSet.of(WatchKind.DATA, WatchKind.EXIST);
      case 3 -> EnumSet.allOf(WatchKind.class);
      case 4 -> EnumSet.of(WatchKind.PERSISTENT);
      case 5 -> EnumSet.of(WatchKind.PERSISTENT_RECURSIVE);
      default -> null;
    };
  }

  /** ZooKeeper's SetWatches: the client's watches, as of the last zxid it saw, moved here. */
  private void restore(long lastZxid, List<String> data, List<String> exist, List<String> child,
                       List<String> persistent, List<String> recursive) {
    Map<String, Set<WatchKind>> watches = new HashMap<>();
    add(watches, data, WatchKind.DATA);
    add(watches, exist, WatchKind.EXIST);
    add(watches, child, WatchKind.CHILD);
    add(watches, persistent, WatchKind.PERSISTENT);
    add(watches, recursive, WatchKind.PERSISTENT_RECURSIVE);
    DataTree t = tree();
    registry.restore(sessionId, Math.min(lastZxid, t.lastZxid()), watches, p -> stamp(t, p));
  }

  private static void add(Map<String, Set<WatchKind>> watches, List<String> paths, WatchKind kind) {
    if (paths == null) {
      return;
    }
    for (String p : paths) {
      // A path the client could not have watched is skipped rather than failing every other one.
      if (p != null && Paths.problem(p, false) == null) {
        watches.computeIfAbsent(p, x -> EnumSet.noneOf(WatchKind.class)).add(kind);
      }
    }
  }

  private static WatchRegistry.NodeStamp stamp(DataTree t, String path) {
    Response r = t.read(ReadRequest.newBuilder().setExists(PathOp.newBuilder().setPath(path)).build());
    return r.getErr() != Code.OK ? null
        : new WatchRegistry.NodeStamp(r.getStat().getCzxid(), r.getStat().getMzxid(), r.getStat().getPzxid());
  }

  // ------------------------------------------------------------------ pushed events

  /** Takes what the registry has queued; true if events were there at once. */
  private boolean takeEvents() {
    CompletableFuture<List<WatchEvent>> f = pollRegistry();
    if (f.isDone()) {
      return took(f);
    }
    poll = f;
    f.whenComplete((list, e) -> onLoop(() -> {
      if (poll == f) {
        poll = null;
        took(f);
        pump();
      }
    }));
    return false;
  }

  private CompletableFuture<List<WatchEvent>> pollRegistry() {
    try {
      return registry.poll(sessionId, taken, MAX_EVENTS_PER_POLL);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private boolean took(CompletableFuture<List<WatchEvent>> f) {
    List<WatchEvent> list;
    try {
      list = f.join();
    } catch (RuntimeException e) {
      // The registry no longer knows this session's numbering (its state here was dropped): the
      // watches are gone, so the client must reconnect and restore them.
      LOG.info("Closing session 0x{}'s connection from {}: its watch state here was lost ({})",
          Long.toHexString(sessionId), remote(), e.getMessage());
      close();
      return false;
    }
    for (WatchEvent e : list) {
      if (e.seq() > taken) {
        events.add(e);
        taken = e.seq();
      }
    }
    return !list.isEmpty();
  }

  /** Writes taken events up to seq {@code upTo}. */
  private void writeEvents(long upTo) {
    while (!events.isEmpty() && events.peek().seq() <= upTo) {
      WatchEvent e = events.poll();
      for (int type : zkTypes(e.type())) {
        channel.write(Wire.frame(channel.alloc(), new ReplyHeader(Wire.NOTIFICATION_XID, e.zxid(), 0),
            new WatcherEvent(type, SYNC_CONNECTED, e.path())));
      }
      delivered = e.seq();
      unflushed = true;
    }
  }

  /**
   * ZooKeeper's EventType numbers. A stock client knows no HISTORY_GAP ("something changed here,
   * re-read"): it gets both kinds of change, which make data and child watchers re-read.
   */
  private static int[] zkTypes(EventType type) {
    return switch (type) {
      case NODE_CREATED -> new int[] {1};
      case NODE_DELETED -> new int[] {2};
      case NODE_DATA_CHANGED -> new int[] {3};
      case NODE_CHILDREN_CHANGED -> new int[] {4};
      case HISTORY_GAP -> new int[] {3, 4};
    };
  }

  // ------------------------------------------------------------------ helpers

  /** The session was closed or expired at the leader: the client learns it on reconnecting. */
  void sessionEnded() {
    onLoop(() -> {
      if (!closing) {
        LOG.debug("Session 0x{} ended; closing its connection from {}", Long.toHexString(sessionId), remote());
        close();
      }
    });
  }

  /** Closes the connection (from any thread); the session lives on until it expires. */
  void close() {
    if (channel == null) {
      return;
    }
    onLoop(() -> {
      if (state != State.CLOSED) {
        state = State.CLOSED;
        flush();
        channel.close();
      }
    });
  }

  private void flush() {
    if (unflushed && channel != null) {
      unflushed = false;
      channel.flush();
    }
  }

  private void onLoop(Runnable r) {
    if (channel.eventLoop().inEventLoop()) {
      r.run();
    } else {
      channel.eventLoop().execute(r);
    }
  }

  private DataTree tree() {
    return front.stateMachine().tree();
  }

  private static String pathProblem(String path) {
    String problem = Paths.problem(path, false);
    return problem == null ? null : "path " + Paths.quote(path) + " is invalid: " + problem;
  }

  private static Response failure(Code code, String path, String message) {
    return Response.newBuilder().setErr(code).setPath(path == null ? "" : path).setMessage(message).build();
  }

  private static Response lost(Throwable e) {
    return failure(Code.CONNECTIONLOSS, "", "the request failed (" + e + "); its outcome is unknown");
  }

  private String remote() {
    return channel == null ? "?" : String.valueOf(channel.remoteAddress());
  }
}
