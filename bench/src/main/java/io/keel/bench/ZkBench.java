package io.keel.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.AsyncCallback;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * The load driver of {@code scripts/bench-vs-zookeeper.sh}: ZooKeeper's own Java client (and
 * Curator's lock) against whatever answers ZooKeeper's wire protocol, so ZooKeeper and Keel get
 * the same driver, byte for byte.
 *
 * <pre>
 * ZkBench WORKLOAD --connect HOST:PORT,... [--label NAME] [--seconds 15] [--warmup 5]
 *         [--sessions 8] [--inflight 16] [--size 100] [--pids PID,...] [--kill-pid PID]
 * </pre>
 *
 * WORKLOAD is create, setData, getData or mixed (90% getData, 10% setData): ops/s with
 * {@code sessions x inflight} async requests outstanding, and the server CPU per op (user + system
 * time of {@code --pids}); latency (one session, one create at a time: p50/p99); watch (one writer,
 * {@code sessions} watchers of one node: notification latency from the write's start); lock
 * (Curator's InterProcessMutex, {@code sessions} contenders: acquisitions/s); failover (setData
 * load, then kill -9 of {@code --kill-pid}: the longest gap between two completed writes).
 * Prints one {@code RESULT key=value ...} line. Every session gets the whole connect string and
 * picks its server as the client library does.
 */
public final class ZkBench {
  private static final int NODES = 1000;

  private final Map<String, String> opts;
  private final String connect;
  private final String label;
  private final int seconds;
  private final int warmup;
  private final int sessions;
  private final int inflight;
  private final byte[] payload;
  private final String base = "/bench-" + Long.toHexString(System.nanoTime());
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "bench-timer");
    t.setDaemon(true);
    return t;
  });

  private ZkBench(Map<String, String> opts) {
    this.opts = opts;
    this.connect = required(opts, "connect");
    this.label = opts.getOrDefault("label", "system");
    this.seconds = Integer.parseInt(opts.getOrDefault("seconds", "15"));
    this.warmup = Integer.parseInt(opts.getOrDefault("warmup", "5"));
    this.sessions = Integer.parseInt(opts.getOrDefault("sessions", "8"));
    this.inflight = Integer.parseInt(opts.getOrDefault("inflight", "16"));
    this.payload = new byte[Integer.parseInt(opts.getOrDefault("size", "100"))];
    ThreadLocalRandom.current().nextBytes(payload);
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: ZkBench create|setData|getData|mixed|latency|watch|lock|failover --connect HOST:PORT,... [options]");
      System.exit(2);
    }
    Map<String, String> opts = new HashMap<>();
    for (int i = 1; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        System.err.println("bench: expected --option, got " + args[i]);
        System.exit(2);
      }
      opts.put(args[i].substring(2), args[i + 1]);
    }
    ZkBench b = new ZkBench(opts);
    String result = switch (args[0]) {
      case "create", "setData", "getData", "mixed" -> b.throughput(args[0]);
      case "latency" -> b.latency();
      case "watch" -> b.watch();
      case "lock" -> b.lock();
      case "failover" -> b.failover();
      case "ready" -> b.ready();
      default -> {
        System.err.println("bench: unknown workload " + args[0]);
        System.exit(2);
        yield null;
      }
    };
    System.out.println("RESULT system=" + b.label + " workload=" + args[0] + " " + result);
    System.exit(0);
  }

  private static String required(Map<String, String> opts, String key) {
    String v = opts.get(key);
    if (v == null) {
      System.err.println("bench: --" + key + " is required");
      System.exit(2);
    }
    return v;
  }

  // ------------------------------------------------------------------ sessions

  private ZooKeeper session() throws IOException, InterruptedException {
    CountDownLatch up = new CountDownLatch(1);
    ZooKeeper zk = new ZooKeeper(connect, 10_000, e -> {
      if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
        up.countDown();
      }
    });
    if (!up.await(30, TimeUnit.SECONDS)) {
      throw new IOException("no session with " + connect + " within 30 s");
    }
    return zk;
  }

  private List<ZooKeeper> sessions(int n) throws IOException, InterruptedException {
    List<ZooKeeper> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(session());
    }
    return out;
  }

  private static void closeAll(List<ZooKeeper> zks) {
    for (ZooKeeper zk : zks) {
      try {
        zk.close(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void prepare(ZooKeeper zk, boolean nodes) throws Exception {
    zk.create(base, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    if (nodes) {
      CountDownLatch made = new CountDownLatch(NODES);
      for (int i = 0; i < NODES; i++) {
        zk.create(base + "/n" + i, payload, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT,
            (rc, path, ctx, name) -> made.countDown(), null);
      }
      if (!made.await(120, TimeUnit.SECONDS)) {
        throw new IOException("could not create the " + NODES + " nodes within 120 s");
      }
    }
  }

  // ------------------------------------------------------------------ throughput

  private String throughput(String kind) throws Exception {
    List<ZooKeeper> zks = sessions(sessions);
    prepare(zks.get(0), !kind.equals("create"));
    Recorder latencies = new Recorder(3);
    AtomicLong done = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    AtomicBoolean measuring = new AtomicBoolean();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong outstanding = new AtomicLong();
    AtomicLong names = new AtomicLong();
    for (ZooKeeper zk : zks) {
      for (int i = 0; i < inflight; i++) {
        outstanding.incrementAndGet();
        issue(kind, zk, latencies, done, errors, measuring, running, outstanding, names);
      }
    }
    Thread.sleep(warmup * 1000L);
    long[] cpu0 = cpu();
    long t0 = System.nanoTime();
    latencies.reset();
    done.set(0);
    errors.set(0);
    measuring.set(true);
    Thread.sleep(seconds * 1000L);
    measuring.set(false);
    long t1 = System.nanoTime();
    long[] cpu1 = cpu();
    long ops = done.get();
    running.set(false);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    closeAll(zks);
    double secs = (t1 - t0) / 1e9;
    Histogram h = latencies.getIntervalHistogram();
    return String.format(Locale.ROOT, "ops=%d seconds=%.1f ops_per_s=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d %s",
        ops, secs, ops / secs, h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
        errors.get(), cpuPerOp(cpu0, cpu1, ops));
  }

  private void issue(String kind, ZooKeeper zk, Recorder latencies, AtomicLong done, AtomicLong errors,
                     AtomicBoolean measuring, AtomicBoolean running, AtomicLong outstanding, AtomicLong names) {
    if (!running.get()) {
      outstanding.decrementAndGet();
      return;
    }
    long start = System.nanoTime();
    Runnable next = () -> issue(kind, zk, latencies, done, errors, measuring, running, outstanding, names);
    AsyncCallback.StatCallback onStat = (rc, path, ctx, stat) ->
        completed(rc, start, latencies, done, errors, measuring, next);
    AsyncCallback.DataCallback onData = (rc, path, ctx, data, stat) ->
        completed(rc, start, latencies, done, errors, measuring, next);
    String node = base + "/n" + ThreadLocalRandom.current().nextInt(NODES);
    switch (kind) {
      case "create" -> zk.create(base + "/c" + names.incrementAndGet(), payload, ZooDefs.Ids.OPEN_ACL_UNSAFE,
          CreateMode.PERSISTENT, (rc, path, ctx, name) -> completed(rc, start, latencies, done, errors, measuring, next), null);
      case "setData" -> zk.setData(node, payload, -1, onStat, null);
      case "getData" -> zk.getData(node, false, onData, null);
      default -> {
        if (ThreadLocalRandom.current().nextInt(10) == 0) {
          zk.setData(node, payload, -1, onStat, null);
        } else {
          zk.getData(node, false, onData, null);
        }
      }
    }
  }

  private void completed(int rc, long start, Recorder latencies, AtomicLong done, AtomicLong errors,
                         AtomicBoolean measuring, Runnable next) {
    if (measuring.get()) {
      if (rc == 0) {
        latencies.recordValue(Math.max(1, (System.nanoTime() - start) / 1000));
        done.incrementAndGet();
      } else {
        errors.incrementAndGet();
      }
    }
    if (rc == 0) {
      next.run();
    } else {
      // Disconnected: try again shortly rather than spinning on the failure.
      timer.schedule(next, 10, TimeUnit.MILLISECONDS);
    }
  }

  // ------------------------------------------------------------------ ready

  /** Succeeds once the system takes a write: a session opened and a node created and deleted. */
  private String ready() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Integer.parseInt(opts.getOrDefault("timeout", "90")));
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        ZooKeeper zk = session();
        try {
          zk.create(base, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
          zk.delete(base, -1);
          return "ok=1";
        } finally {
          zk.close();
        }
      } catch (IOException | KeeperException e) {
        last = e;
        Thread.sleep(500);
      }
    }
    throw new IOException("not ready: " + last, last);
  }

  // ------------------------------------------------------------------ latency

  private String latency() throws Exception {
    ZooKeeper zk = session();
    prepare(zk, false);
    Histogram h = new Histogram(3);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup + seconds);
    long measureFrom = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup);
    long ops = 0;
    for (long i = 0; System.nanoTime() < end; i++) {
      long start = System.nanoTime();
      zk.create(base + "/l" + i, payload, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
      long now = System.nanoTime();
      if (start >= measureFrom) {
        h.recordValue(Math.max(1, (now - start) / 1000));
        ops++;
      }
    }
    zk.close();
    return String.format(Locale.ROOT, "ops=%d p50_ms=%.2f p99_ms=%.2f", ops,
        h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0);
  }

  // ------------------------------------------------------------------ watches

  private String watch() throws Exception {
    ZooKeeper writer = session();
    prepare(writer, false);
    String node = base + "/w";
    writer.create(node, payload, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
    List<ZooKeeper> watchers = sessions(sessions);
    Recorder latencies = new Recorder(3);
    AtomicLong writeStart = new AtomicLong();
    AtomicBoolean measuring = new AtomicBoolean();
    CountDownLatch[] round = {new CountDownLatch(0)};
    for (ZooKeeper w : watchers) {
      // Each watcher re-arms its one-shot watch as soon as it fires; the round ends when every
      // watcher has heard the change and re-armed.
      Watcher[] self = new Watcher[1];
      self[0] = event -> {
        if (event.getType() != Watcher.Event.EventType.NodeDataChanged) {
          return;
        }
        long now = System.nanoTime();
        if (measuring.get()) {
          latencies.recordValue(Math.max(1, (now - writeStart.get()) / 1000));
        }
        w.getData(node, self[0], (rc, path, ctx, data, stat) -> round[0].countDown(), null);
      };
      w.getData(node, self[0], null);
    }
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup + seconds);
    long measureFrom = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmup);
    long rounds = 0;
    while (System.nanoTime() < end) {
      measuring.set(System.nanoTime() >= measureFrom);
      round[0] = new CountDownLatch(watchers.size());
      writeStart.set(System.nanoTime());
      writer.setData(node, payload, -1);
      if (!round[0].await(30, TimeUnit.SECONDS)) {
        throw new IOException("watchers did not all hear a change within 30 s");
      }
      if (measuring.get()) {
        rounds++;
      }
    }
    closeAll(watchers);
    writer.close();
    Histogram h = latencies.getIntervalHistogram();
    return String.format(Locale.ROOT, "rounds=%d events=%d p50_ms=%.2f p99_ms=%.2f", rounds,
        h.getTotalCount(), h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0);
  }

  // ------------------------------------------------------------------ lock

  private String lock() throws Exception {
    List<CuratorFramework> clients = new ArrayList<>();
    for (int i = 0; i < sessions; i++) {
      CuratorFramework c = CuratorFrameworkFactory.builder().connectString(connect)
          .sessionTimeoutMs(10_000).connectionTimeoutMs(15_000)
          .retryPolicy(new ExponentialBackoffRetry(100, 5))
          // Both systems alike: no /zookeeper/config reading.
          .ensembleTracker(false)
          .build();
      c.start();
      if (!c.blockUntilConnected(30, TimeUnit.SECONDS)) {
        throw new IOException("Curator could not connect to " + connect);
      }
      clients.add(c);
    }
    String path = base + "/lock";
    AtomicLong acquired = new AtomicLong();
    AtomicBoolean measuring = new AtomicBoolean();
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> threads = new ArrayList<>();
    AtomicLong failures = new AtomicLong();
    for (CuratorFramework c : clients) {
      InterProcessMutex mutex = new InterProcessMutex(c, path);
      Thread t = new Thread(() -> {
        while (running.get()) {
          try {
            if (mutex.acquire(10, TimeUnit.SECONDS)) {
              if (measuring.get()) {
                acquired.incrementAndGet();
              }
              mutex.release();
            }
          } catch (Exception e) {
            failures.incrementAndGet();
          }
        }
      }, "contender");
      t.start();
      threads.add(t);
    }
    Thread.sleep(warmup * 1000L);
    long[] cpu0 = cpu();
    long t0 = System.nanoTime();
    measuring.set(true);
    Thread.sleep(seconds * 1000L);
    measuring.set(false);
    long t1 = System.nanoTime();
    long[] cpu1 = cpu();
    running.set(false);
    for (Thread t : threads) {
      t.join(30_000);
    }
    clients.forEach(CuratorFramework::close);
    double secs = (t1 - t0) / 1e9;
    return String.format(Locale.ROOT, "acquisitions=%d seconds=%.1f ops_per_s=%.1f errors=%d %s",
        acquired.get(), secs, acquired.get() / secs, failures.get(), cpuPerOp(cpu0, cpu1, acquired.get()));
  }

  // ------------------------------------------------------------------ failover

  private String failover() throws Exception {
    long victim = Long.parseLong(required(opts, "kill-pid"));
    List<ZooKeeper> zks = sessions(Math.min(sessions, 4));
    prepare(zks.get(0), true);
    AtomicLong last = new AtomicLong(System.nanoTime());
    AtomicLong killedAt = new AtomicLong(Long.MAX_VALUE);
    AtomicLong maxGap = new AtomicLong();
    AtomicLong done = new AtomicLong();
    AtomicBoolean running = new AtomicBoolean(true);
    for (ZooKeeper zk : zks) {
      for (int i = 0; i < 4; i++) {
        failoverWrite(zk, running, last, killedAt, maxGap, done);
      }
    }
    Thread.sleep(warmup * 1000L);
    ProcessHandle leader = ProcessHandle.of(victim)
        .orElseThrow(() -> new IOException("no process " + victim + " to kill"));
    killedAt.set(System.nanoTime());
    leader.destroyForcibly();  // SIGKILL
    Thread.sleep(seconds * 1000L);
    running.set(false);
    long after = done.get();
    closeAll(zks);
    return String.format(Locale.ROOT, "max_gap_ms=%.0f writes=%d", maxGap.get() / 1e6, after);
  }

  private void failoverWrite(ZooKeeper zk, AtomicBoolean running, AtomicLong last, AtomicLong killedAt,
                             AtomicLong maxGap, AtomicLong done) {
    if (!running.get()) {
      return;
    }
    String node = base + "/n" + ThreadLocalRandom.current().nextInt(NODES);
    zk.setData(node, payload, -1, (rc, path, ctx, stat) -> {
      if (rc == KeeperException.Code.OK.intValue()) {
        long now = System.nanoTime();
        long previous = last.getAndSet(now);
        if (now >= killedAt.get()) {
          maxGap.accumulateAndGet(now - previous, Math::max);
        }
        done.incrementAndGet();
        failoverWrite(zk, running, last, killedAt, maxGap, done);
      } else {
        timer.schedule(() -> failoverWrite(zk, running, last, killedAt, maxGap, done), 10, TimeUnit.MILLISECONDS);
      }
    }, null);
  }

  // ------------------------------------------------------------------ server CPU

  /** User + system clock ticks of each --pids process (0 for one that is gone). */
  private long[] cpu() {
    String pids = opts.get("pids");
    if (pids == null || pids.isBlank()) {
      return new long[0];
    }
    String[] each = pids.split(",");
    long[] out = new long[each.length];
    for (int i = 0; i < each.length; i++) {
      try {
        String stat = Files.readString(Path.of("/proc", each[i].strip(), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        out[i] = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      } catch (IOException | RuntimeException e) {
        out[i] = 0;
      }
    }
    return out;
  }

  private static String cpuPerOp(long[] before, long[] after, long ops) {
    if (before.length == 0 || ops == 0) {
      return "cpu_ms_per_op=NA";
    }
    long ticks = 0;
    for (int i = 0; i < before.length; i++) {
      ticks += after[i] - before[i];
    }
    // Linux reports these in USER_HZ, 100 per second on every mainstream kernel.
    double ms = ticks * 10.0;
    return String.format(Locale.ROOT, "cpu_ms_per_op=%.3f", ms / ops);
  }
}
