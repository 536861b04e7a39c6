package io.keel.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * One node's configuration, read from a ZooKeeper-flavoured {@code key=value} file.
 *
 * <p>Every key is checked once, at start: an unknown key, a missing required key or a bad value
 * raises {@link ConfigException} naming the key. Immutable and thread-safe.
 *
 * <pre>
 * id=1                               this node's number, one of the server.N below (required)
 * dataDir=data/node1                 Raft log and snapshots (required)
 * server.N=host:port[:observer]      every member; observers are Raft listeners (at least one voter)
 * tickTime=2000                      ms; the unit of the session timeout defaults, and how often
 *                                    the leader looks for expired sessions
 * minSessionTimeout=2*tickTime       ms
 * maxSessionTimeout=20*tickTime      ms
 * snapCount=100000                   log entries between automatic snapshots
 * snapRetainCount=3                  snapshots kept on disk (older ones and their log are purged)
 * maxDataBytes=1048576               largest znode data accepted; one write (a multi included)
 *                                    carries at most this much data plus 64 KiB of paths and ACLs
 * logSegmentSizeBytes=33554432       Raft log segment size; old segments are purged whole
 * snapshotOnStop=true                a node stopping cleanly snapshots first, to restart faster
 * containerCheckIntervalMs=60000     how often the leader looks for containers / TTL nodes to reap
 * notifyFollowersOfCommits=true      the leader logs each new commit index, so followers apply
 *                                    writes (and fire watches) at once, not at the next heartbeat
 * watchHistory=10000                 recent node changes each server keeps, so that a client moving
 *                                    to it replays what its persistent watches missed (0 = none)
 * electionTimeoutMinMs=1000          Raft election timeout range
 * electionTimeoutMaxMs=2000
 * requestTimeoutMs=3000              Raft RPC timeout between servers
 * clusterName=keel                   names the Raft group; nodes of one cluster must agree
 * initialClusterState=new            new: the server.N lines are the cluster's first members;
 *                                    existing: this node joins a running cluster (keel cluster add)
 * clientPort=2181                    where this node's session front speaks ZooKeeper's wire
 *                                    protocol to clients (absent: no front)
 * writeBatchMaxOps=1000              most writes a front sends the leader at once (the leader
 *                                    merges every front's batches: an entry holds up to 4 times this)
 * writeBatchesInFlight=1             log entries of writes the leader has in flight at once; while
 *                                    they are, the next one fills (group commit)
 * replicationBatchWaitMs=1           the leader's shortest pause between two sends to one follower
 *                                    (Ratis's appender wait-time.min): longer sends more entries at
 *                                    once (less CPU per write), shorter answers a lone write sooner
 * </pre>
 */
public final class KeelConfig {
  /** The role a member plays in the Raft group. */
  public enum Role { VOTER, OBSERVER }

  /** One {@code server.N} line. */
  public record Member(int id, String host, int port, Role role) {
    public String address() {
      return host + ":" + port;
    }
  }

  /** Raised for a config that cannot be used; the message names the key. */
  public static final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
      super(message);
    }
  }

  /** Data limit ceiling, so that one Raft entry stays a sane size. */
  public static final int MAX_DATA_BYTES_CEILING = 16 * 1024 * 1024;

  /** Room in one write beyond its data: paths, ACLs, a multi's framing. */
  public static final int REQUEST_OVERHEAD_BYTES = 64 * 1024;

  private static final Set<String> SCALAR_KEYS = Set.of(
      "id", "dataDir", "tickTime", "minSessionTimeout", "maxSessionTimeout", "snapCount",
      "snapRetainCount", "maxDataBytes", "containerCheckIntervalMs", "electionTimeoutMinMs",
      "electionTimeoutMaxMs", "requestTimeoutMs", "clusterName", "logSegmentSizeBytes",
      "snapshotOnStop", "watchHistory", "notifyFollowersOfCommits", "initialClusterState",
      "clientPort", "writeBatchMaxOps", "writeBatchesInFlight", "replicationBatchWaitMs");

  private final int id;
  private final Path dataDir;
  private final List<Member> members;
  private final int tickTime;
  private final int minSessionTimeout;
  private final int maxSessionTimeout;
  private final long snapCount;
  private final int snapRetainCount;
  private final int maxDataBytes;
  private final long containerCheckIntervalMs;
  private final int electionTimeoutMinMs;
  private final int electionTimeoutMaxMs;
  private final int requestTimeoutMs;
  private final String clusterName;
  private final long logSegmentSizeBytes;
  private final boolean snapshotOnStop;
  private final boolean joining;
  private final int watchHistory;
  private final boolean notifyFollowersOfCommits;
  private final int clientPort;
  private final int writeBatchMaxOps;
  private final int writeBatchesInFlight;
  private final int replicationBatchWaitMs;

  private KeelConfig(Map<String, String> kv, Path baseDir) {
    Map<String, String> scalars = new LinkedHashMap<>();
    TreeMap<Integer, Member> servers = new TreeMap<>();
    for (Map.Entry<String, String> e : kv.entrySet()) {
      String key = e.getKey();
      if (key.startsWith("server.")) {
        Member m = parseMember(key, e.getValue());
        servers.put(m.id(), m);
      } else if (SCALAR_KEYS.contains(key)) {
        scalars.put(key, e.getValue());
      } else {
        throw new ConfigException("unknown config key '" + key + "' (known keys: "
            + String.join(", ", new java.util.TreeSet<>(SCALAR_KEYS)) + ", server.N)");
      }
    }
    if (servers.isEmpty()) {
      throw new ConfigException("no server.N entries: list every member of the cluster");
    }
    if (servers.values().stream().noneMatch(m -> m.role() == Role.VOTER)) {
      throw new ConfigException("server.N: at least one member must be a voter (not :observer)");
    }
    Map<String, Integer> addresses = new LinkedHashMap<>();
    for (Member m : servers.values()) {
      Integer other = addresses.putIfAbsent(m.address(), m.id());
      if (other != null) {
        throw new ConfigException("server." + m.id() + " and server." + other
            + " have the same address " + m.address());
      }
    }
    this.members = List.copyOf(servers.values());
    this.id = intValue(scalars, "id", null, 1, Integer.MAX_VALUE);
    if (!servers.containsKey(id)) {
      throw new ConfigException("id=" + id + " has no server." + id + " entry");
    }
    String dir = required(scalars, "dataDir");
    Path p = Path.of(dir);
    this.dataDir = p.isAbsolute() || baseDir == null ? p : baseDir.resolve(p).normalize();
    this.tickTime = intValue(scalars, "tickTime", 2000, 1, 600_000);
    this.minSessionTimeout = intValue(scalars, "minSessionTimeout", 2 * tickTime, 1, Integer.MAX_VALUE);
    this.maxSessionTimeout = intValue(scalars, "maxSessionTimeout", 20 * tickTime, 1, Integer.MAX_VALUE);
    if (minSessionTimeout > maxSessionTimeout) {
      throw new ConfigException("minSessionTimeout (" + minSessionTimeout
          + ") is larger than maxSessionTimeout (" + maxSessionTimeout + ")");
    }
    this.snapCount = longValue(scalars, "snapCount", 100_000L, 1, Long.MAX_VALUE);
    this.snapRetainCount = intValue(scalars, "snapRetainCount", 3, 1, 1000);
    this.maxDataBytes = intValue(scalars, "maxDataBytes", 1024 * 1024, 0, MAX_DATA_BYTES_CEILING);
    this.containerCheckIntervalMs =
        longValue(scalars, "containerCheckIntervalMs", 60_000L, 1, Long.MAX_VALUE);
    this.watchHistory = intValue(scalars, "watchHistory", 10_000, 0, 10_000_000);
    this.notifyFollowersOfCommits = booleanValue(scalars, "notifyFollowersOfCommits", true);
    this.electionTimeoutMinMs = intValue(scalars, "electionTimeoutMinMs", 1000, 50, 600_000);
    this.electionTimeoutMaxMs = intValue(scalars, "electionTimeoutMaxMs", 2000, 51, 600_000);
    if (electionTimeoutMaxMs <= electionTimeoutMinMs) {
      throw new ConfigException("electionTimeoutMaxMs (" + electionTimeoutMaxMs
          + ") must be larger than electionTimeoutMinMs (" + electionTimeoutMinMs
          + "): equal timeouts let elections tie forever");
    }
    this.requestTimeoutMs = intValue(scalars, "requestTimeoutMs", 3000, 100, 600_000);
    this.logSegmentSizeBytes = longValue(scalars, "logSegmentSizeBytes", 32L << 20, 4096, 1L << 32);
    if (logSegmentSizeBytes < maxRequestBytes()) {
      throw new ConfigException("logSegmentSizeBytes (" + logSegmentSizeBytes
          + ") must hold the largest write: maxDataBytes + " + REQUEST_OVERHEAD_BYTES + " = "
          + maxRequestBytes());
    }
    this.snapshotOnStop = booleanValue(scalars, "snapshotOnStop", true);
    this.clientPort = intValue(scalars, "clientPort", 0, 1, 65535);
    this.writeBatchMaxOps = intValue(scalars, "writeBatchMaxOps", 1000, 1, 65535);
    this.writeBatchesInFlight = intValue(scalars, "writeBatchesInFlight", 1, 1, 64);
    this.replicationBatchWaitMs = intValue(scalars, "replicationBatchWaitMs", 1, 0, 1000);
    String state = scalars.getOrDefault("initialClusterState", "new");
    if (!state.equals("new") && !state.equals("existing")) {
      throw new ConfigException("initialClusterState '" + state + "' must be new or existing");
    }
    this.joining = state.equals("existing");
    this.clusterName = scalars.getOrDefault("clusterName", "keel");
    if (!clusterName.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new ConfigException("clusterName '" + clusterName
          + "' must be 1-64 letters, digits, '.', '_' or '-'");
    }
  }

  /** Reads and validates a config file; relative {@code dataDir}s resolve against the working directory. */
  public static KeelConfig load(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException("config file " + file + " does not exist");
    }
    return parse(Files.readString(file, StandardCharsets.UTF_8), null);
  }

  /** Parses config text; {@code baseDir} (nullable) resolves a relative {@code dataDir}. */
  public static KeelConfig parse(String text, Path baseDir) {
    Map<String, String> kv = new LinkedHashMap<>();
    int lineNo = 0;
    for (String raw : text.split("\r?\n", -1)) {
      lineNo++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException("line " + lineNo + ": expected key=value, found '" + line + "'");
      }
      String key = line.substring(0, eq).strip();
      String value = line.substring(eq + 1).strip();
      if (kv.put(key, value) != null) {
        throw new ConfigException("config key '" + key + "' is set twice (line " + lineNo + ")");
      }
    }
    return new KeelConfig(kv, baseDir);
  }

  private static Member parseMember(String key, String value) {
    int n;
    try {
      n = Integer.parseInt(key.substring("server.".length()));
    } catch (NumberFormatException e) {
      throw new ConfigException("config key '" + key + "': N in server.N must be a number");
    }
    if (n < 1) {
      throw new ConfigException("config key '" + key + "': N must be at least 1");
    }
    String[] parts = value.split(":", -1);
    if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty()) {
      throw new ConfigException("config key '" + key + "': expected host:port[:observer], found '"
          + value + "'");
    }
    int port = parseInt(key, parts[1], 1, 65535);
    Role role = Role.VOTER;
    if (parts.length == 3) {
      switch (parts[2]) {
        case "observer" -> role = Role.OBSERVER;
        case "participant" -> role = Role.VOTER;
        default -> throw new ConfigException("config key '" + key + "': role '" + parts[2]
            + "' is not 'observer' or 'participant'");
      }
    }
    return new Member(n, parts[0], port, role);
  }

  private static boolean booleanValue(Map<String, String> kv, String key, boolean dflt) {
    String v = kv.get(key);
    if (v == null) {
      return dflt;
    }
    return switch (v) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new ConfigException("config key '" + key + "': '" + v
          + "' is not true or false");
    };
  }

  private static String required(Map<String, String> kv, String key) {
    String v = kv.get(key);
    if (v == null || v.isEmpty()) {
      throw new ConfigException("config key '" + key + "' is required");
    }
    return v;
  }

  private static int intValue(Map<String, String> kv, String key, Integer dflt, int min, int max) {
    return (int) number(kv, key, dflt == null ? null : dflt.longValue(), min, max, Integer::parseInt);
  }

  private static long longValue(Map<String, String> kv, String key, Long dflt, long min, long max) {
    return number(kv, key, dflt, min, max, Long::parseLong);
  }

  private static long number(Map<String, String> kv, String key, Long dflt, long min, long max,
                             Function<String, Number> parser) {
    String v = kv.get(key);
    if (v == null) {
      if (dflt == null) {
        throw new ConfigException("config key '" + key + "' is required");
      }
      return dflt;
    }
    long n;
    try {
      n = parser.apply(v).longValue();
    } catch (NumberFormatException e) {
      throw new ConfigException("config key '" + key + "': '" + v + "' is not a whole number");
    }
    if (n < min || n > max) {
      throw new ConfigException("config key '" + key + "': " + n + " is outside [" + min + ", "
          + max + "]");
    }
    return n;
  }

  private static int parseInt(String key, String v, int min, int max) {
    return (int) number(Map.of(key, v), key, null, min, max, Integer::parseInt);
  }

  public int id() { return id; }
  public Path dataDir() { return dataDir; }
  public List<Member> members() { return members; }
  public int tickTime() { return tickTime; }
  public int minSessionTimeout() { return minSessionTimeout; }
  public int maxSessionTimeout() { return maxSessionTimeout; }
  public long snapCount() { return snapCount; }
  public int snapRetainCount() { return snapRetainCount; }
  public int maxDataBytes() { return maxDataBytes; }
  public long containerCheckIntervalMs() { return containerCheckIntervalMs; }

  public int watchHistory() { return watchHistory; }

  public boolean notifyFollowersOfCommits() { return notifyFollowersOfCommits; }
  public int electionTimeoutMinMs() { return electionTimeoutMinMs; }
  public int electionTimeoutMaxMs() { return electionTimeoutMaxMs; }
  public int requestTimeoutMs() { return requestTimeoutMs; }
  public String clusterName() { return clusterName; }
  public long logSegmentSizeBytes() { return logSegmentSizeBytes; }
  public boolean snapshotOnStop() { return snapshotOnStop; }

  /** The port of this node's session front; 0 when it has none. */
  public int clientPort() { return clientPort; }
  public int writeBatchMaxOps() { return writeBatchMaxOps; }
  public int writeBatchesInFlight() { return writeBatchesInFlight; }
  public int replicationBatchWaitMs() { return replicationBatchWaitMs; }

  /**
   * True ({@code initialClusterState=existing}) when this node is new to a running cluster and
   * waits to be added by a membership change; matters only while its dataDir is empty.
   */
  public boolean joining() { return joining; }

  /** The largest write the leader accepts, in bytes: maxDataBytes plus the overhead allowance. */
  public int maxRequestBytes() {
    return maxDataBytes + REQUEST_OVERHEAD_BYTES;
  }

  /** This node's own {@code server.N} entry. */
  public Member self() {
    return members.stream().filter(m -> m.id() == id).findFirst().orElseThrow();
  }

  /** A summary of every setting, for the start-up log. */
  public String describe() {
    List<String> lines = new ArrayList<>();
    lines.add("id=" + id + " dataDir=" + dataDir + " clusterName=" + clusterName);
    members.forEach(m -> lines.add("server." + m.id() + "=" + m.address()
        + (m.role() == Role.OBSERVER ? ":observer" : "")));
    lines.add("tickTime=" + tickTime + " sessionTimeout=[" + minSessionTimeout + ", "
        + maxSessionTimeout + "] snapCount=" + snapCount + " snapRetainCount=" + snapRetainCount
        + " maxDataBytes=" + maxDataBytes + " electionTimeout=[" + electionTimeoutMinMs + ", "
        + electionTimeoutMaxMs + "] requestTimeoutMs=" + requestTimeoutMs
        + " containerCheckIntervalMs=" + containerCheckIntervalMs + " watchHistory=" + watchHistory
        + " notifyFollowersOfCommits=" + notifyFollowersOfCommits
        + " logSegmentSizeBytes=" + logSegmentSizeBytes + " snapshotOnStop=" + snapshotOnStop
        + " initialClusterState=" + (joining ? "existing" : "new")
        + (clientPort > 0 ? " clientPort=" + clientPort : " (no clientPort)")
        + " writeBatchMaxOps=" + writeBatchMaxOps + " writeBatchesInFlight=" + writeBatchesInFlight
        + " replicationBatchWaitMs=" + replicationBatchWaitMs);
    return String.join("\n  ", lines);
  }
}
