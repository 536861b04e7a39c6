package io.keel.cli;

import io.keel.client.AddWatchMode;
import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Stat;
import io.keel.client.WatchedEvent;
import io.keel.client.Watcher;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code keel bench}: a load generator against a running cluster. Each of {@code --clients}
 * separate {@link KeelClient}s (own session, own Raft client) runs its share of {@code --ops}
 * requests from its own thread, keeping up to {@code --inflight} of them outstanding through the
 * async API. Latency is System.nanoTime from issue to completion, recorded in an HdrHistogram;
 * for {@code watch}, completion is the arrival of the write's event at a separate client's watch.
 *
 * <p>The recipe types ({@code lock}, {@code id}, {@code id-single}) make blocking calls instead:
 * each client runs {@code --inflight} threads sharing one recipe object (see {@link RecipeBench}).
 *
 * <p>Everything runs under a fresh prefix node, created first and deleted at the end (also after
 * a failure); an existing prefix is refused (NODEEXISTS) so that no one else's data is touched.
 * Every loop is bounded by the op count, and every wait by the request timeout.
 */
@Command(name = "bench", sortOptions = false,
    description = {"Measures throughput and latency against a running cluster, then deletes "
        + "what it created.",
        "Types: create (new nodes), set and get (on "
            + BenchCommand.MAX_KEYS + " nodes made first, unmeasured), mixed (80%% get, 20%% set), "
            + "watch (setData issued -> event received: set on those nodes, timed until a separate "
            + "client's recursive watch on the prefix gets the change; needs clients x inflight "
            + "<= nodes, so that each event belongs to one write).",
        "Recipe types, blocking calls from --inflight threads per client (default 1): "
            + "lock (every thread of every client acquires and releases one DistributedLock; "
            + "an op is an acquisition, latency is the wait to hold it; default 8 clients), "
            + "id (ids from one BlockIdGenerator per client, reserving --block-size ids per "
            + "write), "
            + "id-single (ids from one SequentialIdGenerator per client, one write each).",
        "Examples: keel bench --type set --ops 20000 --clients 4 --inflight 32",
        "          keel bench --type lock --ops 5000 --clients 8",
        "          keel bench --type id --ops 2000000 --block-size 1000",
        "          keel bench --type id-single --ops 20000 --clients 4"})
final class BenchCommand implements Callable<Integer> {
  /** At most this many nodes are read and written by set, get, mixed and watch. */
  static final int MAX_KEYS = 1000;

  /** What the measured requests do. */
  enum Type {
    CREATE, SET, GET, MIXED, WATCH, LOCK, ID, ID_SINGLE;

    /** The name on the command line: {@code id-single}. */
    String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Recipe calls, blocking, run by {@link RecipeBench} rather than the async pipeline. */
    boolean isRecipe() {
      return this == LOCK || this == ID || this == ID_SINGLE;
    }
  }

  /** Accepts the labels, in any case. */
  static final class TypeConverter implements ITypeConverter<Type> {
    @Override
    public Type convert(String value) {
      for (Type t : Type.values()) {
        if (t.label().equalsIgnoreCase(value)) {
          return t;
        }
      }
      throw new TypeConversionException("expected one of create, set, get, mixed, watch, lock, "
          + "id, id-single, got '" + value + "'");
    }
  }

  @ParentCommand
  KeelCli cli;

  @Spec
  CommandSpec spec;

  @Option(names = "--type", paramLabel = "TYPE", defaultValue = "create",
      converter = TypeConverter.class,
      description = "create, set, get, mixed, watch (setData issued -> event received), "
          + "lock, id or id-single (default: ${DEFAULT-VALUE}).")
  Type type;

  @Option(names = "--ops", paramLabel = "N", defaultValue = "20000",
      description = "Measured requests in all (default: ${DEFAULT-VALUE}).")
  int ops;

  @Option(names = "--clients", paramLabel = "N",
      description = "Separate clients, each with its own session and thread (default: 4; "
          + "8 for lock).")
  Integer clientsOption;

  @Option(names = "--inflight", paramLabel = "K",
      description = "Requests outstanding per client: for lock, id and id-single, threads per "
          + "client, each making blocking calls (default: 32; 1 for lock, id and id-single).")
  Integer inflightOption;

  @Option(names = "--block-size", paramLabel = "N", defaultValue = "1000",
      description = "Ids reserved per write by --type id (default: ${DEFAULT-VALUE}).")
  long blockSize;

  /** --clients and --inflight, or their defaults for the type. */
  int clients;
  int inflight;

  @Option(names = "--size", paramLabel = "BYTES", defaultValue = "100",
      description = "Data size of each create and set (default: ${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--prefix", paramLabel = "PATH",
      description = "Node under which everything is created; must not exist (default: /bench-<random>).")
  String prefix;

  @Option(names = "--json", description = "Print the result as one JSON line (as --output json).")
  boolean json;

  @Override
  public Integer call() throws Exception {
    validate();
    String base = prefix != null ? prefix
        : "/bench-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    byte[] payload = payload(size);
    int keys = type == Type.CREATE || type.isRecipe() ? 0 : Math.min(ops, MAX_KEYS);
    List<KeelClient> conns = new ArrayList<>();
    AtomicInteger threadNo = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(clients, r -> {
      Thread t = new Thread(r, "keel-bench-" + threadNo.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    boolean createdBase = false;
    WatchLatency watch = null;
    KeelClient watcher = null;
    String watcherServer = null;
    try {
      for (int i = 0; i < clients; i++) {
        conns.add(cli.newSession());
      }
      conns.get(0).create(base, null, CreateMode.PERSISTENT);
      createdBase = true;
      Tally setup = runAll(pool, conns, keys, (c, i) -> c.createAsync(key(base, i), payload,
          CreateMode.PERSISTENT), null, "setup creates did not complete");
      if (setup.failed.sum() > 0) {
        throw setup.firstFailure.get();
      }
      // Reads are sequentially consistent: each client catches up with the others' setup writes.
      for (KeelClient c : conns) {
        c.sync(base);
      }
      if (type == Type.WATCH) {
        watch = new WatchLatency(base, keys, conns, payload);
        // A session of its own, so that every event crosses the network from its server.
        watcher = cli.newSession();
        // The setup's creates must be applied at its server before the watch, or they would
        // arrive as events during the run.
        watcher.sync(base);
        // Its answer means the watch is in place at a state every later write comes after.
        watcher.addWatch(base, watch, AddWatchMode.PERSISTENT_RECURSIVE);
        // Shown because it decides the numbers: a follower applies a write only once it hears of
        // the commit, which under light load can be a heartbeat later than the leader.
        watcherServer = watcher.attachedServer();
      }
      Histogram latency = new ConcurrentHistogram(3);
      Tally run = type.isRecipe()
          ? RecipeBench.run(type, conns, inflight, ops, base, blockSize, latency, maxWait())
          : runAll(pool, conns, ops, op(base, keys, payload, watch), latency,
              type == Type.WATCH ? "watch events did not arrive" : "requests did not complete");
      report(base, run, latency, watcherServer);
      if (run.failed.sum() > 0) {
        RuntimeException first = run.firstFailure.get();
        spec.commandLine().getErr().println("keel: bench: " + run.failed.sum() + " of " + ops
            + " operations failed; first: " + KeelCli.oneLine(first.getMessage()));
        return first instanceof KeelException k ? ExitCodes.of(k.code()) : ExitCodes.ERROR;
      }
      return ExitCodes.OK;
    } finally {
      try {
        if (watch != null) {
          // After a failure writers may still wait for events: let them finish at once.
          watch.stop();
        }
        if (watcher != null) {
          // Closing the session drops its watch, so the cleanup's deletes are not sent to it.
          watcher.close();
        }
        if (createdBase) {
          cleanUp(pool, conns, base);
        }
      } finally {
        pool.shutdownNow();
        conns.forEach(KeelClient::close);
      }
    }
  }

  private void validate() {
    clients = clientsOption != null ? clientsOption : type == Type.LOCK ? 8 : 4;
    inflight = inflightOption != null ? inflightOption : type.isRecipe() ? 1 : 32;
    check(ops >= 1 && ops <= 100_000_000, "--ops must be in [1, 100000000], got " + ops);
    check(clients >= 1 && clients <= 256, "--clients must be in [1, 256], got " + clients);
    // The client allows 1000 outstanding requests; keep room for its own session traffic.
    check(inflight >= 1 && inflight <= 900, "--inflight must be in [1, 900], got " + inflight);
    check(size >= 0 && size <= 16 << 20, "--size must be in [0, 16777216], got " + size);
    check(blockSize >= 1 && blockSize <= 1L << 40,
        "--block-size must be in [1, 2^40], got " + blockSize);
    check(!type.isRecipe() || (long) clients * inflight <= 1024, "--type " + type.label()
        + " runs --clients x --inflight threads: at most 1024, got " + clients + " x " + inflight);
    check(prefix == null || prefix.startsWith("/") && prefix.length() > 1 && !prefix.endsWith("/"),
        "--prefix must be an absolute path other than /, got " + prefix);
    if (type == Type.WATCH) {
      int keys = Math.min(ops, MAX_KEYS);
      check((long) clients * inflight <= keys, "--type watch needs --clients x --inflight <= "
          + keys + " (the nodes written: --ops, at most " + MAX_KEYS + "), so that no node has two "
          + "writes waiting for their events; got " + clients + " x " + inflight + " = "
          + (long) clients * inflight);
    }
  }

  private void check(boolean ok, String message) {
    if (!ok) {
      throw new ParameterException(spec.commandLine(), message);
    }
  }

  /** The measured request number {@code i} of the given type. */
  private Request op(String base, int keys, byte[] payload, WatchLatency watch) {
    return switch (type) {
      case LOCK, ID, ID_SINGLE -> throw new IllegalStateException("run by RecipeBench");
      case CREATE -> (c, i) -> c.createAsync(base + "/c-" + i, payload, CreateMode.PERSISTENT);
      case SET -> (c, i) -> c.setDataAsync(randomKey(base, keys), payload, KeelClient.ANY_VERSION);
      case GET -> (c, i) -> c.getDataAsync(randomKey(base, keys));
      case MIXED -> (c, i) -> ThreadLocalRandom.current().nextInt(10) < 8
          ? c.getDataAsync(randomKey(base, keys))
          : c.setDataAsync(randomKey(base, keys), payload, KeelClient.ANY_VERSION);
      case WATCH -> watch::write;
    };
  }

  private static String key(String base, int i) {
    return base + "/k-" + i;
  }

  private static String randomKey(String base, int keys) {
    return key(base, ThreadLocalRandom.current().nextInt(keys));
  }

  /**
   * {@code --type watch}: the writers' setData, each complete when its event reaches the watcher
   * (so the window slot is held until then, and latency runs from issue to event). Each writer
   * client owns a disjoint range of the keys and writes only keys with no write of its own
   * outstanding, so no key ever has two writes outstanding and each event belongs to exactly one
   * write. Keys are handed out as they come free rather than by op number: events need not arrive
   * in issue order, so key {@code i % range} may still be waiting for its event.
   */
  static final class WatchLatency implements Watcher {
    private final String keyPrefix;
    private final byte[] payload;
    /** Per key: the write whose event has not arrived yet. */
    private final AtomicReferenceArray<Write> outstanding;
    /** Per writer: the keys of its range with no write outstanding. */
    private final Map<KeelClient, Queue<Integer>> freeKeys = new IdentityHashMap<>();
    /** Set once no more events can come: every later write fails with it. */
    private volatile RuntimeException lost;

    private record Write(int key, Queue<Integer> free, CompletableFuture<Void> evented) {
    }

    WatchLatency(String base, int keys, List<KeelClient> writers, byte[] payload) {
      this.keyPrefix = base + "/k-";
      this.payload = payload;
      this.outstanding = new AtomicReferenceArray<>(keys);
      int n = writers.size();
      for (int c = 0; c < n; c++) {
        Queue<Integer> free = new ConcurrentLinkedQueue<>();
        for (int k = (int) ((long) keys * c / n); k < (int) ((long) keys * (c + 1) / n); k++) {
          free.add(k);
        }
        freeKeys.put(writers.get(c), free);
      }
    }

    /** Request {@code i} of {@code client}; the future completes when its event has arrived. */
    CompletableFuture<Void> write(KeelClient client, int i) {
      RuntimeException gone = lost;
      if (gone != null) {
        return CompletableFuture.failedFuture(gone);
      }
      Queue<Integer> free = freeKeys.get(client);
      Integer k = free.poll();
      if (k == null) {
        // The window leaves a key per slot (validate); only keys retired after failures are gone.
        return CompletableFuture.failedFuture(new IllegalStateException("bench: every key of "
            + "this client had a failed write, whose event may still come; none is left to time"));
      }
      Write w = new Write(k, free, new CompletableFuture<>());
      outstanding.set(k, w);
      CompletableFuture<Stat> sent;
      try {
        sent = client.setDataAsync(keyPrefix + k, payload, KeelClient.ANY_VERSION);
      } catch (RuntimeException e) {
        sent = CompletableFuture.failedFuture(e);
      }
      sent.whenComplete((r, e) -> {
        if (e != null) {
          fail(w, e);
        }
      });
      return w.evented();
    }

    @Override
    public void process(WatchedEvent event) {
      switch (event.type()) {
        case NODE_DATA_CHANGED -> arrived(event.path());
        case HISTORY_GAP -> failOutstanding(new IllegalStateException("bench: the watcher may have "
            + "missed events (HISTORY_GAP on " + event.path() + ")"));
        case SESSION_EXPIRED -> stop(KeelException.create(KeelException.Code.SESSIONEXPIRED,
            event.path(), "bench: the watcher's session expired"));
        default -> { }  // not a write of the run: the setup's creates came before the watch
      }
    }

    private void arrived(String path) {
      if (!path.startsWith(keyPrefix)) {
        return;
      }
      int k;
      try {
        k = Integer.parseInt(path.substring(keyPrefix.length()));
      } catch (NumberFormatException e) {
        return;
      }
      Write w = k >= 0 && k < outstanding.length() ? outstanding.getAndSet(k, null) : null;
      // Null: the event of a write already counted as failed (timed out, yet applied).
      if (w != null) {
        // Free before completing: completion frees the window slot that takes the next key.
        w.free().add(k);
        w.evented().complete(null);
      }
    }

    /**
     * Fails {@code w} if its event has not come. Its key is not handed out again: a write that
     * failed may still have been applied (timeout, lost connection), and its late event must not
     * be taken for a later write's.
     */
    private void fail(Write w, Throwable e) {
      if (outstanding.compareAndSet(w.key(), w, null)) {
        w.evented().completeExceptionally(e);
      }
    }

    private void failOutstanding(RuntimeException e) {
      for (int k = 0; k < outstanding.length(); k++) {
        Write w = outstanding.get(k);
        if (w != null) {
          fail(w, e);
        }
      }
    }

    /** No more events will be waited for: outstanding and later writes fail at once. */
    void stop() {
      stop(new IllegalStateException("bench: stopped waiting for watch events"));
    }

    private void stop(RuntimeException e) {
      if (lost == null) {
        lost = e;
      }
      failOutstanding(e);
    }
  }

  private static byte[] payload(int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) ('a' + ThreadLocalRandom.current().nextInt(26));
    }
    return b;
  }

  /** One request, given the client and the request's number in [0, total). */
  @FunctionalInterface
  interface Request {
    CompletableFuture<?> start(KeelClient client, int i);
  }

  /** Outcome counts of one phase. */
  static final class Tally {
    final LongAdder ok = new LongAdder();
    final LongAdder failed = new LongAdder();
    final AtomicReference<RuntimeException> firstFailure = new AtomicReference<>();
    volatile long elapsedNanos;

    void fail(Throwable t) {
      failed.increment();
      Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
      firstFailure.compareAndSet(null, cause instanceof RuntimeException r ? r
          : new IllegalStateException(cause));
    }
  }

  /**
   * Runs requests 0..total-1, split evenly over the clients, each client from its own pool thread
   * with at most {@code inflight} outstanding; returns when every request has completed, or
   * throws OPERATIONTIMEOUT saying "bench: {@code late} within ..." when one does not in time.
   */
  private Tally runAll(ExecutorService pool, List<KeelClient> conns, int total, Request request,
                       Histogram latency, String late) throws Exception {
    Tally tally = new Tally();
    int n = conns.size();
    long maxWaitNanos = maxWait().toNanos();
    List<Future<?>> done = new ArrayList<>();
    long start = System.nanoTime();
    for (int c = 0; c < n; c++) {
      KeelClient client = conns.get(c);
      int from = (int) ((long) total * c / n);
      int to = (int) ((long) total * (c + 1) / n);
      done.add(pool.submit(() -> {
        pipeline(client, from, to, request, latency, tally, maxWaitNanos, late);
        return null;
      }));
    }
    for (Future<?> f : done) {
      try {
        f.get();
      } catch (ExecutionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : e;
      }
    }
    tally.elapsedNanos = System.nanoTime() - start;
    return tally;
  }

  /** How long one request or recipe call may take: the client's request timeout and slack. */
  private Duration maxWait() {
    return cli.timeout().plusSeconds(10);
  }

  private void pipeline(KeelClient client, int from, int to, Request request, Histogram latency,
                        Tally tally, long maxWaitNanos, String late) throws InterruptedException {
    Semaphore window = new Semaphore(inflight);
    for (int i = from; i < to; i++) {
      acquire(window, 1, maxWaitNanos, late);
      long t0 = System.nanoTime();
      CompletableFuture<?> f;
      try {
        f = request.start(client, i);
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      f.whenComplete((r, e) -> {
        long t = System.nanoTime() - t0;
        if (e == null) {
          if (latency != null) {
            latency.recordValue(t);
          }
          tally.ok.increment();
        } else {
          tally.fail(e);
        }
        window.release();
      });
    }
    acquire(window, inflight, maxWaitNanos, late);
  }

  private static void acquire(Semaphore window, int permits, long maxWaitNanos, String late)
      throws InterruptedException {
    if (!window.tryAcquire(permits, maxWaitNanos, TimeUnit.NANOSECONDS)) {
      throw KeelException.create(KeelException.Code.OPERATIONTIMEOUT, null,
          "bench: " + late + " within " + TimeUnit.NANOSECONDS.toMillis(maxWaitNanos) + " ms");
    }
  }

  private void cleanUp(ExecutorService pool, List<KeelClient> conns, String base) {
    try {
      // The other connections' creates may not have reached client 0's server yet.
      conns.get(0).sync(base);
      if (type.isRecipe()) {
        // A few nodes, some with children (the ids' directory) or reaped meanwhile (the lock's
        // container): depth first, one by one.
        deleteTree(conns.get(0), base);
        return;
      }
      List<String> children = conns.get(0).getChildren(base);
      Tally t = runAll(pool, conns, children.size(),
          (c, i) -> c.deleteAsync(base + "/" + children.get(i), KeelClient.ANY_VERSION), null,
          "deletes did not complete");
      if (t.failed.sum() > 0) {
        throw t.firstFailure.get();
      }
      conns.get(0).delete(base, KeelClient.ANY_VERSION);
    } catch (Exception e) {
      spec.commandLine().getErr().println("keel: bench: could not remove " + base
          + " (remove it by hand): " + KeelCli.oneLine(e.getMessage()));
    }
  }

  /** Deletes {@code path} and everything under it; nodes that vanish meanwhile are fine. */
  private static void deleteTree(KeelClient client, String path) {
    try {
      for (String child : client.getChildren(path)) {
        deleteTree(client, path + "/" + child);
      }
      client.delete(path, KeelClient.ANY_VERSION);
    } catch (KeelException.NoNodeException e) {
      // A container reaped, or an ephemeral gone with its session.
    }
  }

  private void report(String base, Tally run, Histogram h, String watcherServer) {
    double seconds = run.elapsedNanos / 1e9;
    double opsPerSec = run.ok.sum() / seconds;
    PrintWriter out = spec.commandLine().getOut();
    if (json || cli.output() == KeelCli.Output.JSON) {
      Map<String, Object> j = Json.object();
      j.put("type", type.label());
      j.put("clients", clients);
      j.put("inflight", inflight);
      if (!type.isRecipe()) {
        j.put("size", size);
      }
      if (type == Type.ID) {
        j.put("blockSize", blockSize);
      }
      j.put("ops", ops);
      j.put("ok", run.ok.sum());
      j.put("failed", run.failed.sum());
      j.put("seconds", round(seconds));
      j.put("opsPerSec", round(opsPerSec));
      Map<String, Object> lat = Json.object();
      lat.put("p50", ms(h.getValueAtPercentile(50)));
      lat.put("p90", ms(h.getValueAtPercentile(90)));
      lat.put("p99", ms(h.getValueAtPercentile(99)));
      lat.put("p99.9", ms(h.getValueAtPercentile(99.9)));
      lat.put("max", ms(h.getMaxValue()));
      j.put("latencyMs", lat);
      j.put("prefix", base);
      if (watcherServer != null) {
        j.put("watcherServer", watcherServer);
      }
      out.println(Json.write(j));
    } else {
      out.printf(Locale.ROOT, "keel bench: %s, %d clients x %d in flight, %s, %d ops, "
          + "under %s%s%n", type.label(), clients, inflight, whatIsMeasured(), ops, base,
          watcherServer == null ? "" : ", watched at " + watcherServer);
      out.printf(Locale.ROOT, "throughput: %.0f ops/s (%d ok, %d failed in %.3f s)%n",
          opsPerSec, run.ok.sum(), run.failed.sum(), seconds);
      out.printf(Locale.ROOT, "latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f%n",
          ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(90)),
          ms(h.getValueAtPercentile(99)), ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()));
    }
    out.flush();
  }

  /** The header's account of what an op is. */
  private String whatIsMeasured() {
    return switch (type) {
      case LOCK -> "threads acquiring and releasing one lock (op: an acquisition, latency: "
          + "the wait to hold it)";
      case ID -> "block ids, " + blockSize + " reserved per write (op: an id)";
      case ID_SINGLE -> "sequential ids, one write each (op: an id)";
      default -> size + "-byte data";
    };
  }

  private static double ms(long nanos) {
    return round(nanos / 1e6);
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
