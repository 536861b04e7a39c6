package io.keel.testing;

import io.keel.server.KeelConfig;
import io.keel.server.KeelServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Keel cluster in this JVM: N voters and M observers, each a full Ratis server on its own
 * 127.0.0.1 port with its own data directory, that tests can stop, restart and inspect.
 *
 * <pre>{@code
 * try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).build()) {
 *   cluster.awaitLeader(Duration.ofSeconds(30));
 *   try (KeelClient client = KeelClient.connect(cluster.connectString())) { ... }
 * }
 * }</pre>
 *
 * <p>Nodes are numbered from 1; observers follow the voters. {@link #close} stops every node and
 * deletes the data directories it created. Thread-safe for one test driving it.
 */
public final class KeelTestCluster implements AutoCloseable {
  private final Path baseDir;
  private final boolean ownsBaseDir;
  private final Map<Integer, KeelConfig> configs = new LinkedHashMap<>();
  private final Map<Integer, KeelServer> running = new LinkedHashMap<>();
  private final java.util.Set<Integer> spares = new java.util.TreeSet<>();

  private KeelTestCluster(Builder b) throws IOException {
    this.ownsBaseDir = b.baseDir == null;
    this.baseDir = ownsBaseDir ? Files.createTempDirectory("keel-test-") : b.baseDir;
    int members = b.voters + b.observers;
    int spareVoters = b.spares;
    int nodes = members + spareVoters + b.spareObservers;
    List<Integer> allPorts = freePorts(2 * nodes);
    List<Integer> ports = allPorts.subList(0, nodes);
    List<Integer> clientPorts = allPorts.subList(nodes, 2 * nodes);
    StringBuilder memberLines = new StringBuilder();
    for (int i = 1; i <= members; i++) {
      memberLines.append(serverLine(i, ports.get(i - 1), i > b.voters));
    }
    for (int i = 1; i <= members + spareVoters + b.spareObservers; i++) {
      String servers = i <= members ? memberLines.toString()
          : memberLines + serverLine(i, ports.get(i - 1), i > members + spareVoters);
      String text = "id=" + i + "\n"
          + "dataDir=" + baseDir.resolve("node" + i) + "\n"
          + servers
          + "tickTime=" + b.tickTime + "\n"
          + "snapCount=" + b.snapCount + "\n"
          + "snapRetainCount=" + b.snapRetainCount + "\n"
          + "maxDataBytes=" + b.maxDataBytes + "\n"
          + "electionTimeoutMinMs=" + b.electionTimeoutMinMs + "\n"
          + "electionTimeoutMaxMs=" + (2 * b.electionTimeoutMinMs) + "\n"
          + "logSegmentSizeBytes=" + b.logSegmentSizeBytes + "\n"
          + "snapshotOnStop=" + b.snapshotOnStop + "\n"
          + "containerCheckIntervalMs=1000\n"
          + "watchHistory=" + b.watchHistory + "\n"
          + "clientPort=" + clientPorts.get(i - 1) + "\n"
          + "writeBatchMaxOps=" + b.writeBatchMaxOps + "\n"
          + (i > members ? "initialClusterState=existing\n" : "");
      configs.put(i, KeelConfig.parse(text, null));
      if (i > members) {
        spares.add(i);
      }
    }
  }

  private static String serverLine(int id, int port, boolean observer) {
    return "server." + id + "=127.0.0.1:" + port + (observer ? ":observer" : "") + "\n";
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Settings of a test cluster; {@link #build()} starts every node. */
  public static final class Builder {
    private int voters = 3;
    private int observers = 0;
    private int spares = 0;
    private int spareObservers = 0;
    private long snapCount = 100_000;
    private int snapRetainCount = 3;
    private int maxDataBytes = 1024 * 1024;
    private int tickTime = 500;
    private int electionTimeoutMinMs = 1000;
    private long logSegmentSizeBytes = 32L << 20;
    private boolean snapshotOnStop = true;
    private int watchHistory = 10_000;
    private int writeBatchMaxOps = 1000;
    private Path baseDir;

    public Builder voters(int n) { this.voters = n; return this; }
    public Builder observers(int n) { this.observers = n; return this; }
    /**
     * Nodes configured but neither started nor members: each one's config lists the members and
     * itself, as a node an operator prepares before adding it with a membership change. They get
     * the ids after the voters and observers; {@link #start(int)} starts one.
     */
    public Builder spares(int n) { this.spares = n; return this; }
    /** As {@link #spares}, configured as observers; their ids come after the spare voters'. */
    public Builder spareObservers(int n) { this.spareObservers = n; return this; }
    public Builder snapCount(long n) { this.snapCount = n; return this; }
    public Builder snapRetainCount(int n) { this.snapRetainCount = n; return this; }
    public Builder maxDataBytes(int n) { this.maxDataBytes = n; return this; }
    public Builder tickTime(int ms) { this.tickTime = ms; return this; }
    public Builder electionTimeoutMinMs(int ms) { this.electionTimeoutMinMs = ms; return this; }
    /** Small segments let tests see old log purged after a snapshot. */
    public Builder logSegmentSizeBytes(long n) { this.logSegmentSizeBytes = n; return this; }
    /** False makes {@link #stop} closer to a crash: no snapshot on the way down. */
    public Builder snapshotOnStop(boolean on) { this.snapshotOnStop = on; return this; }
    /** Node changes each server keeps for replaying missed watch events. */
    public Builder watchHistory(int n) { this.watchHistory = n; return this; }

    /** Most writes per Raft entry that a node's front forwards; 1 sends each alone. */
    public Builder writeBatchMaxOps(int n) { this.writeBatchMaxOps = n; return this; }
    /** Where node directories go; by default a new temporary directory, deleted on close. */
    public Builder baseDir(Path dir) { this.baseDir = dir; return this; }

    /** Starts every node (not waiting for a leader: see {@link #awaitLeader}). */
    public KeelTestCluster build() throws IOException {
      KeelTestCluster c = new KeelTestCluster(this);
      try {
        c.startAll();
      } catch (IOException | RuntimeException e) {
        c.close();
        throw e;
      }
      return c;
    }
  }

  /** {@code host:port,...} of every node, voters and observers (not the spares). */
  public String connectString() {
    return configs.entrySet().stream().filter(e -> !spares.contains(e.getKey()))
        .map(e -> e.getValue().self().address()).collect(Collectors.joining(","));
  }

  /**
   * ZooKeeper's connect string of every node's client port (voters and observers, not the
   * spares): what a ZooKeeper client, or Curator, connects to.
   */
  public String clientConnectString() {
    return configs.entrySet().stream().filter(e -> !spares.contains(e.getKey()))
        .map(e -> clientAddress(e.getKey())).collect(Collectors.joining(","));
  }

  /** {@code host:port} of one node's client port. */
  public String clientAddress(int id) {
    return config(id).self().host() + ":" + config(id).clientPort();
  }

  /** {@code host:port} of one node. */
  public String address(int id) {
    return config(id).self().address();
  }

  public List<Integer> nodeIds() {
    return List.copyOf(configs.keySet());
  }

  public KeelConfig config(int id) {
    KeelConfig c = configs.get(id);
    if (c == null) {
      throw new IllegalArgumentException("no node " + id + " in this cluster");
    }
    return c;
  }

  public Path dataDir(int id) {
    return config(id).dataDir();
  }

  /** The running server of node {@code id}; throws if it is stopped. */
  public synchronized KeelServer server(int id) {
    KeelServer s = running.get(id);
    if (s == null) {
      throw new IllegalStateException("node " + id + " is not running");
    }
    return s;
  }

  public synchronized boolean isRunning(int id) {
    return running.containsKey(id);
  }

  /** Running servers, by node id. */
  public synchronized Map<Integer, KeelServer> runningServers() {
    return Map.copyOf(running);
  }

  /** Starts node {@code id} from its data directory (recovering its log and snapshots). */
  public synchronized KeelServer start(int id) throws IOException {
    if (running.containsKey(id)) {
      return running.get(id);
    }
    KeelServer s = KeelServer.start(config(id));
    running.put(id, s);
    return s;
  }

  /**
   * Stops node {@code id}: its Raft server closes (in this JVM a process kill is not possible; the
   * process-level tests use {@code kill -9}). Its disk state stays. Unless the cluster was built
   * with {@code snapshotOnStop(false)}, Ratis snapshots on the way down.
   */
  public synchronized void stop(int id) {
    KeelServer s = running.remove(id);
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  public void restart(int id) throws IOException {
    stop(id);
    start(id);
  }

  /** Starts every node but the spares. */
  public void startAll() throws IOException {
    for (int id : configs.keySet()) {
      if (spares.contains(id)) {
        continue;
      }
      start(id);
    }
  }

  /** Stops every running node, going on past failures; the first is rethrown at the end. */
  public void stopAll() {
    RuntimeException first = null;
    for (int id : nodeIds()) {
      try {
        stop(id);
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /** Id of the running node that is leader and ready to serve, or -1. */
  public synchronized int leaderId() {
    return running.entrySet().stream().filter(e -> e.getValue().isLeaderReady())
        .map(Map.Entry::getKey).findFirst().orElse(-1);
  }

  /** Waits until some running node is a ready leader; returns its id. */
  public int awaitLeader(Duration timeout) {
    int[] found = {-1};
    awaitCondition(() -> (found[0] = leaderId()) > 0, timeout, "no leader elected");
    return found[0];
  }

  /** Waits until a ready leader other than {@code oldLeader} exists; returns its id. */
  public int awaitNewLeader(int oldLeader, Duration timeout) {
    int[] found = {-1};
    awaitCondition(() -> {
      found[0] = leaderId();
      return found[0] > 0 && found[0] != oldLeader;
    }, timeout, "no new leader after node " + oldLeader);
    return found[0];
  }

  /**
   * Expires a client's session at once, as the leader does when the client has been silent for its
   * timeout: its ephemerals are deleted and the client learns LOST at its next request or ping.
   * Stands in for a client that was killed, without waiting out the session timeout.
   */
  public void expireSession(long sessionId, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      int leader = awaitLeader(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
      try {
        server(leader).stateMachine().expireSession(sessionId)
            .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted expiring session", e);
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not expire session 0x"
              + Long.toHexString(sessionId) + " within " + timeout, e);
        }
        // Leadership moved between the lookup and the proposal: ask the new leader.
      }
    }
  }

  /** Waits until every running node's tree has reached {@code zxid} (a client's lastZxid, say). */
  public void awaitApplied(long zxid, Duration timeout) {
    long index = zxid;
    for (Map.Entry<Integer, KeelServer> e : runningServers().entrySet()) {
      try {
        e.getValue().stateMachine().awaitApplied(index).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for node " + e.getKey(), ex);
      } catch (Exception ex) {
        throw new IllegalStateException("node " + e.getKey() + " did not reach zxid 0x" + Long.toHexString(index)
            + " within " + timeout, ex);
      }
    }
  }

  private static void awaitCondition(BooleanSupplier condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(what + " within " + timeout);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting: " + what, e);
      }
    }
  }

  @Override
  public void close() {
    try {
      stopAll();
    } finally {
      if (ownsBaseDir) {
        deleteTree(baseDir);
      }
    }
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // Best effort: a temp directory left behind is harmless.
    }
  }

  private static List<Integer> freePorts(int n) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
      }
      return sockets.stream().map(ServerSocket::getLocalPort).toList();
    } finally {
      for (ServerSocket s : sockets) {
        s.close();
      }
    }
  }
}
