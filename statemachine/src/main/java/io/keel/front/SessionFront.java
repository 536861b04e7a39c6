package io.keel.front;

import io.keel.proto.Code;
import io.keel.proto.PathOp;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import io.keel.proto.SessionsAliveOp;
import io.keel.statemachine.KeelStateMachine;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.ExponentialBackoffRetry;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session front of one server: ZooKeeper's wire protocol on {@code clientPort}, so any
 * ZooKeeper client talks to Keel (DESIGN §4a). See the package doc for how requests flow.
 *
 * <p>It keeps which connection holds which session (a client reconnecting to this server takes its
 * session over from an older connection), closes a session's connection when the log closes the
 * session, and reports the sessions heard from to the leader every {@code reportIntervalMs}.
 * Thread-safe; {@link #close} is idempotent.
 */
public final class SessionFront implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SessionFront.class);

  /**
   * @param host                 address to listen on
   * @param port                 the client port (0: any free port, see {@link #port})
   * @param maxDataBytes         largest znode data a write may carry (the leader's limit)
   * @param maxFrameBytes        largest request frame; a longer one closes the connection
   * @param maxBatchOps          most writes the front sends the leader at once
   * @param maxBatchBytes        most bytes in one batch (a single larger write goes alone)
   * @param reportIntervalMs     how often the leader hears which sessions are alive here
   * @param handshakeTimeoutMs   a connection must send its ConnectRequest within this
   * @param catchUpTimeoutMs     how long a client that has seen more than this server waits
   * @param maxPendingPerSession requests of one session in progress before reading pauses
   * @param forwardGiveUpMs      a write that reaches no leader for this long fails with
   *                             CONNECTIONLOSS
   * @param clusterName          keys the session passwords
   * @param ioThreads            event loop threads
   */
  public record Settings(String host, int port, int maxDataBytes, int maxFrameBytes, int maxBatchOps,
                         int maxBatchBytes, int reportIntervalMs,
                         int handshakeTimeoutMs, int catchUpTimeoutMs, int maxPendingPerSession,
                         int forwardGiveUpMs, String clusterName, int ioThreads) {
  }

  private final Settings settings;
  private final KeelStateMachine stateMachine;
  private final RaftPeerId self;
  private final WriteForwarder forwarder;
  /** For syncs and session reports. */
  private final RaftClient raft;
  private final EventLoopGroup acceptor;
  private final EventLoopGroup workers;
  private final Map<Long, Connection> sessions = new ConcurrentHashMap<>();
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private volatile Set<Long> heard = ConcurrentHashMap.newKeySet();
  private final SecretKeySpec passwordKey;
  private volatile Channel server;
  private volatile boolean closed;

  private SessionFront(Settings settings, KeelStateMachine stateMachine, RaftGroup group, RaftPeerId self) {
    this.settings = settings;
    this.stateMachine = stateMachine;
    this.self = self;
    this.forwarder = new WriteForwarder(stateMachine, group, settings.maxBatchOps(),
        settings.maxBatchBytes(), settings.forwardGiveUpMs(), settings.forwardGiveUpMs());
    RaftProperties p = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(3, TimeUnit.SECONDS));
    // Reads and reports only: safe to send again, with a pause that grows to a second.
    this.raft = RaftClient.newBuilder().setRaftGroup(group).setProperties(p)
        .setRetryPolicy(ExponentialBackoffRetry.newBuilder()
            .setBaseSleepTime(TimeDuration.valueOf(20, TimeUnit.MILLISECONDS))
            .setMaxSleepTime(TimeDuration.valueOf(1, TimeUnit.SECONDS))
            .setMaxAttempts(Math.max(3, settings.forwardGiveUpMs() / 1000 + 4))
            .build())
        .build();
    this.acceptor = new NioEventLoopGroup(1, new DefaultThreadFactory("keel-front-accept", true));
    this.workers = new NioEventLoopGroup(settings.ioThreads(), new DefaultThreadFactory("keel-front", true));
    this.passwordKey = new SecretKeySpec(("keel-session:" + settings.clusterName())
        .getBytes(StandardCharsets.UTF_8), "HmacSHA256");
  }

  /** Starts listening; the state machine's server must be running. */
  public static SessionFront start(Settings settings, KeelStateMachine stateMachine, RaftGroup group,
                                   RaftPeerId self) throws IOException {
    SessionFront front = new SessionFront(settings, stateMachine, group, self);
    try {
      front.listen();
    } catch (IOException | RuntimeException e) {
      front.close();
      throw e;
    }
    return front;
  }

  private void listen() throws IOException {
    stateMachine.addSessionClosedListener(this::sessionClosed);
    stateMachine.addRestartListener(this::watchesLost);
    ServerBootstrap b = new ServerBootstrap()
        .group(acceptor, workers)
        .channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20))
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            Connection c = new Connection(SessionFront.this);
            connections.add(c);
            ch.closeFuture().addListener(f -> connections.remove(c));
            ch.pipeline().addLast(
                new LengthFieldBasedFrameDecoder(settings.maxFrameBytes(), 0, 4, 0, 4), c);
          }
        });
    try {
      server = b.bind(new InetSocketAddress(settings.host(), settings.port())).sync().channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while binding the client port", e);
    } catch (RuntimeException e) {
      throw new IOException("cannot listen on " + settings.host() + ":" + settings.port() + ": " + e.getMessage(), e);
    }
    workers.next().scheduleWithFixedDelay(this::report, settings.reportIntervalMs(),
        settings.reportIntervalMs(), TimeUnit.MILLISECONDS);
    LOG.info("Session front listening on {} (ZooKeeper wire protocol)", server.localAddress());
  }

  /** The port clients connect to. */
  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Connections open now (handshake done or not). */
  public int connectionCount() {
    return connections.size();
  }

  // ------------------------------------------------------------------ for connections

  Settings settings() {
    return settings;
  }

  KeelStateMachine stateMachine() {
    return stateMachine;
  }

  WriteForwarder forwarder() {
    return forwarder;
  }

  /**
   * ZooKeeper's sync: completes with a reply whose zxid is at least the leader's commit index
   * when the sync began (a linearizable read at this server, through Ratis's read index).
   */
  CompletableFuture<Response> sync() {
    byte[] probe = ReadRequest.newBuilder().setExists(PathOp.newBuilder().setPath("/")).build().toByteArray();
    return raft.async()
        .sendReadOnlyUnordered(Message.valueOf(UnsafeByteOperations.unsafeWrap(probe)), self)
        .thenApply(reply -> {
          if (!reply.isSuccess()) {
            return Response.newBuilder().setErr(Code.CONNECTIONLOSS)
                .setMessage("sync failed: " + reply.getException()).build();
          }
          try {
            return Response.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
          } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return Response.newBuilder().setErr(Code.MARSHALLINGERROR).setMessage(e.getMessage()).build();
          }
        });
  }

  /** The session was heard from here (a request or a ping). */
  void heard(long sessionId) {
    stateMachine.sessionHeard(sessionId);
    heard.add(sessionId);
  }

  /** The connection now holds its session; an older connection of the session is closed. */
  void attach(Connection c) {
    Connection old = sessions.put(c.sessionId(), c);
    if (old != null && old != c) {
      LOG.debug("Session 0x{} moved to a new connection", Long.toHexString(c.sessionId()));
      old.close();
    }
  }

  /** The connection closed; the session's watches here go unless a newer connection holds it. */
  void detached(Connection c) {
    if (sessions.remove(c.sessionId(), c)) {
      stateMachine.sessionDetached(c.sessionId());
    }
  }

  /** The password a session's client proves itself with when it reconnects. */
  byte[] password(long sessionId) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(passwordKey);
      byte[] full = mac.doFinal(ByteBuffer.allocate(8).putLong(sessionId).array());
      byte[] out = new byte[16];
      System.arraycopy(full, 0, out, 0, 16);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JDK has HmacSHA256", e);
    }
  }

  boolean passwordMatches(long sessionId, byte[] passwd) {
    return passwd != null && MessageDigest.isEqual(password(sessionId), passwd);
  }

  // ------------------------------------------------------------------ listeners and reports

  private void sessionClosed(long sessionId) {
    Connection c = sessions.get(sessionId);
    if (c != null) {
      c.sessionEnded();
    }
  }

  /** A snapshot replaced this server's tree and its watches: every client must restore its own. */
  private void watchesLost() {
    List<Connection> all = new ArrayList<>(connections);
    if (!all.isEmpty()) {
      LOG.info("Closing {} client connections: this server installed a snapshot and lost their watches",
          all.size());
    }
    all.forEach(Connection::close);
  }

  private void report() {
    if (heard.isEmpty() || closed) {
      return;
    }
    Set<Long> ids = heard;
    heard = ConcurrentHashMap.newKeySet();
    if (stateMachine.isLeaderReady()) {
      return;  // its own sessions touched its clocks already
    }
    byte[] report = ReadRequest.newBuilder()
        .setSessionsAlive(SessionsAliveOp.newBuilder().addAllSessionIds(ids)).build().toByteArray();
    try {
      raft.async()
          .sendReadOnlyNonLinearizable(Message.valueOf(UnsafeByteOperations.unsafeWrap(report)))
          .whenComplete((r, e) -> {
            if (e != null || !r.isSuccess()) {
              LOG.debug("Session report of {} sessions did not reach the leader: {}", ids.size(),
                  e != null ? e.toString() : r.getException());
            }
          });
    } catch (RuntimeException e) {
      LOG.debug("Session report not sent", e);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (server != null) {
      server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
    new ArrayList<>(connections).forEach(Connection::close);
    forwarder.close();
    try {
      raft.close();
    } catch (IOException e) {
      LOG.debug("Error closing the front's Raft client", e);
    }
    acceptor.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
