package io.keel.server;

import io.keel.front.SessionFront;
import io.keel.server.KeelConfig.ConfigException;
import io.keel.server.KeelConfig.Member;
import io.keel.server.KeelConfig.Role;
import io.keel.statemachine.KeelStateMachine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Keel node: a Ratis server over gRPC whose state machine is {@link KeelStateMachine}.
 *
 * <p>{@link #start} returns once the node is serving (it may still be waiting for an election).
 * {@link #close} is idempotent. Thread-safe.
 */
public final class KeelServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KeelServer.class);

  private static final java.util.concurrent.atomic.AtomicLong SNAPSHOT_CALL_IDS =
      new java.util.concurrent.atomic.AtomicLong();

  private final KeelConfig config;
  private final RaftServer raftServer;
  private final KeelStateMachine stateMachine;
  private final RaftGroup group;
  private final SessionFront front;
  private volatile boolean closed;

  private KeelServer(KeelConfig config, RaftServer raftServer, KeelStateMachine sm, RaftGroup group,
                     SessionFront front) {
    this.config = config;
    this.raftServer = raftServer;
    this.stateMachine = sm;
    this.group = group;
    this.front = front;
  }

  /** Builds and starts a node. Restarts recover the log and newest valid snapshot from dataDir. */
  public static KeelServer start(KeelConfig config) throws IOException {
    Files.createDirectories(config.dataDir());
    RaftGroup group = groupOf(config);
    RaftGroup startGroup = group;
    boolean fresh = !Files.exists(config.dataDir().resolve(group.getGroupId().getUuid().toString()));
    if (config.joining() && fresh && config.self().role() == Role.VOTER) {
      // A voter that knows the members campaigns among them before it is one of them, and Ratis
      // shuts down a candidate the members do not know. With no members it waits for the
      // leader, which contacts it once a membership change adds it. (An observer never
      // campaigns, and one started without itself as a member would never serve.)
      startGroup = RaftGroup.valueOf(group.getGroupId());
    }
    int maxRequestBytes = config.maxRequestBytes();
    KeelStateMachine sm = new KeelStateMachine(new KeelStateMachine.Settings(
        config.maxDataBytes(), maxRequestBytes,
        config.minSessionTimeout(), config.maxSessionTimeout(),
        config.tickTime(), config.containerCheckIntervalMs(), config.watchHistory(),
        // An entry gathers several fronts' batches.
        4 * config.writeBatchMaxOps(), config.writeBatchesInFlight()));
    RaftServer server = RaftServer.newBuilder()
        .setServerId(peerId(config.id()))
        .setGroup(startGroup)
        .setStateMachine(sm)
        .setProperties(properties(config, maxRequestBytes))
        // FORMAT (the default) refuses to start on an existing dataDir.
        .setOption(RaftStorage.StartupOption.RECOVER)
        .build();
    SessionFront front = null;
    try {
      server.start();
      if (config.clientPort() > 0) {
        front = SessionFront.start(frontSettings(config, sm), sm, group, peerId(config.id()));
      }
    } catch (IOException | RuntimeException e) {
      // Release the storage lock and ports, so the node can be started again once fixed.
      try {
        server.close();
      } catch (IOException | RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    LOG.info("Keel node {} serving on {}:\n  {}", config.id(), config.self().address(),
        config.describe());
    return new KeelServer(config, server, sm, group, front);
  }

  private static SessionFront.Settings frontSettings(KeelConfig c, KeelStateMachine sm) {
    return new SessionFront.Settings(c.self().host(), c.clientPort(), c.maxDataBytes(),
        // A frame holds one request: the largest write, with room for its header.
        c.maxRequestBytes() + 1024, c.writeBatchMaxOps(), sm.maxBatchBytes(),
        // Well inside the shortest session timeout, so a live session never looks silent.
        Math.max(20, c.minSessionTimeout() / 4),
        10_000, 2_000, 1_000,
        Math.max(10_000, 5 * c.electionTimeoutMaxMs()),
        c.clusterName(), Math.max(1, Runtime.getRuntime().availableProcessors()));
  }

  /** The Raft peer id of node {@code n}. */
  public static RaftPeerId peerId(int n) {
    return RaftPeerId.valueOf("n" + n);
  }

  /** Every node of one cluster derives the same group id from the cluster name. */
  public static RaftGroupId groupId(String clusterName) {
    return RaftGroupId.valueOf(
        UUID.nameUUIDFromBytes(("keel-cluster:" + clusterName).getBytes(StandardCharsets.UTF_8)));
  }

  static RaftGroup groupOf(KeelConfig config) {
    List<RaftPeer> peers = config.members().stream().map(KeelServer::peerOf).toList();
    return RaftGroup.valueOf(groupId(config.clusterName()), peers);
  }

  private static RaftPeer peerOf(Member m) {
    return RaftPeer.newBuilder()
        .setId(peerId(m.id()))
        .setAddress(m.address())
        .setStartupRole(m.role() == Role.OBSERVER ? RaftPeerRole.LISTENER : RaftPeerRole.FOLLOWER)
        .build();
  }

  static RaftProperties properties(KeelConfig c, int maxRequestBytes) {
    RaftProperties p = new RaftProperties();
    Member self = c.self();
    RaftServerConfigKeys.setStorageDir(p, List.of(c.dataDir().toFile()));
    // The default port 0 is random and is not taken from the peer address.
    GrpcConfigKeys.Server.setHost(p, self.host());
    GrpcConfigKeys.Server.setPort(p, self.port());
    // Ratis's 150-300 ms default flaps on small shared machines.
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(c.electionTimeoutMinMs(), TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(c.electionTimeoutMaxMs(), TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(c.requestTimeoutMs(), TimeUnit.MILLISECONDS));
    // Snapshots are off and kept forever by default; a down follower or observer pins the log.
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, c.snapCount());
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, c.snapRetainCount());
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    // Keep the log behind the older retained snapshots, so one can stand in for a corrupt newer one.
    RaftServerConfigKeys.Log.setPurgePreservationLogNum(p, c.snapCount() * (c.snapRetainCount() - 1));
    RaftServerConfigKeys.Snapshot.setTriggerWhenStopEnabled(p, c.snapshotOnStop());
    // The commit-index entry the leader logs whenever its commit index moves is also what sends
    // followers and observers the new commit index at once; without it they learn it from the next
    // heartbeat (half the minimum election timeout), and apply writes and fire watches that late.
    RaftServerConfigKeys.Log.setLogMetadataEnabled(p, c.notifyFollowersOfCommits());
    RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(Integer.MAX_VALUE, Math.max(1, c.snapCount() / 2)));
    // An entry over the appender's byte limit makes the leader step down; the state machine
    // refuses requests over maxRequestBytes long before, and these limits leave room for one.
    long byteLimit = Math.max(4L << 20, maxRequestBytes + (1L << 20));
    RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(byteLimit));
    RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(byteLimit + (1L << 20)));
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(c.logSegmentSizeBytes()));
    GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(Math.max(64L << 20, 4 * byteLimit)));
    // Followers and observers can serve linearizable reads through read index; the leader answers
    // from its lease without a heartbeat round.
    RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
    RaftServerConfigKeys.Read.setLeaderLeaseEnabled(p, true);
    // Ratis waits 10 ms between two sends to a follower by default, to send more at once. Keel's
    // fronts batch writes themselves, and a write through a follower also waits for the commit
    // index to reach that follower (the entry above), so that wait counts twice in its latency.
    RaftServerConfigKeys.Log.Appender.setWaitTimeMin(p,
        TimeDuration.valueOf(c.replicationBatchWaitMs(), TimeUnit.MILLISECONDS));
    return p;
  }

  public KeelConfig config() {
    return config;
  }

  public RaftServer raftServer() {
    return raftServer;
  }

  public KeelStateMachine stateMachine() {
    return stateMachine;
  }

  public RaftGroup group() {
    return group;
  }

  /** This node's session front, or null when its config has no clientPort. */
  public SessionFront front() {
    return front;
  }

  /** True while this node is the leader and has committed an entry of its term. */
  public boolean isLeaderReady() {
    try {
      return !closed && raftServer.getDivision(group.getGroupId()).getInfo().isLeaderReady();
    } catch (IOException e) {
      return false;
    }
  }

  /** False once this node's Raft group member has stopped, by {@link #close} or a fatal error. */
  public boolean isAlive() {
    try {
      return !closed && raftServer.getDivision(group.getGroupId()).getInfo().isAlive();
    } catch (IOException e) {
      return false;
    }
  }

  /** This node's current Raft term (ZooKeeper's epoch). */
  public long currentTerm() throws IOException {
    return raftServer.getDivision(group.getGroupId()).getInfo().getCurrentTerm();
  }

  /**
   * Takes a snapshot now (through Ratis, on the apply thread, like an automatic one) and returns
   * the log index it covers.
   */
  public long takeSnapshot(Duration timeout) throws IOException {
    // A creation gap of 1: Ratis otherwise silently skips snapshots closer than 1024 entries.
    RaftClientReply reply = raftServer.snapshotManagement(SnapshotManagementRequest.newCreate(
        ClientId.randomId(), raftServer.getId(), group.getGroupId(),
        SNAPSHOT_CALL_IDS.incrementAndGet(), timeout.toMillis(), 1));
    if (!reply.isSuccess()) {
      throw new IOException("snapshot of node " + config.id() + " failed", reply.getException());
    }
    return reply.getLogIndex();
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    if (front != null) {
      front.close();
    }
    raftServer.close();
  }

  /** Runs one node in the foreground until the JVM is told to stop. Exit 2 on a bad config. */
  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: KeelServer CONFIG_FILE");
      System.exit(2);
    }
    System.exit(run(Path.of(args[0])));
  }

  /** Starts the node and blocks until shutdown; returns the process exit code. */
  public static int run(Path configFile) {
    KeelConfig config;
    try {
      config = KeelConfig.load(configFile);
    } catch (ConfigException e) {
      System.err.println("keel: " + configFile + ": " + e.getMessage());
      return 2;
    } catch (IOException e) {
      System.err.println("keel: cannot read " + configFile + ": " + e.getMessage());
      return 2;
    }
    KeelServer server;
    try {
      server = start(config);
    } catch (IOException | RuntimeException e) {
      LOG.error("Keel node {} failed to start", config.id(), e);
      System.err.println("keel: node " + config.id() + " failed to start: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (IOException e) {
        LOG.warn("Error while stopping node {}", config.id(), e);
      } finally {
        stopped.countDown();
      }
    }, "keel-shutdown"));
    try {
      // Ratis closes the group's division on its own after a fatal error (e.g. a failed apply),
      // leaving the server process up: exit then too, so a supervisor can see it.
      while (!stopped.await(1, TimeUnit.SECONDS)) {
        if (!server.isAlive()) {
          LOG.error("Keel node {} stopped after a fatal error; see the log above", config.id());
          return 1;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
