package io.keel.cli;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code keel bench}: a load generator against a running cluster. Each of {@code --clients}
 * separate {@link KeelClient}s (own session, own Raft client) runs its share of {@code --ops}
 * requests from its own thread, keeping up to {@code --inflight} of them outstanding through the
 * async API. Latency is System.nanoTime from issue to completion, recorded in an HdrHistogram.
 *
 * <p>Everything runs under a fresh prefix node, created first and deleted at the end (also after
 * a failure); an existing prefix is refused (NODEEXISTS) so that no one else's data is touched.
 * Every loop is bounded by the op count, and every wait by the request timeout.
 */
@Command(name = "bench", sortOptions = false,
    description = {"Measures throughput and latency against a running cluster, then deletes "
        + "what it created.",
        "Types: create (new nodes), set and get (on "
            + BenchCommand.MAX_KEYS + " nodes made first, unmeasured), mixed (80%% get, 20%% set).",
        "Example: keel bench --type set --ops 20000 --clients 4 --inflight 32"})
final class BenchCommand implements Callable<Integer> {
  /** At most this many nodes are read and written by set, get and mixed. */
  static final int MAX_KEYS = 1000;

  /** What the measured requests do. */
  enum Type { CREATE, SET, GET, MIXED }

  @ParentCommand
  KeelCli cli;

  @Spec
  CommandSpec spec;

  @Option(names = "--type", paramLabel = "TYPE", defaultValue = "create",
      description = "create, set, get or mixed (default: ${DEFAULT-VALUE}).")
  Type type;

  @Option(names = "--ops", paramLabel = "N", defaultValue = "20000",
      description = "Measured requests in all (default: ${DEFAULT-VALUE}).")
  int ops;

  @Option(names = "--clients", paramLabel = "N", defaultValue = "4",
      description = "Separate clients, each with its own session and thread (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--inflight", paramLabel = "K", defaultValue = "32",
      description = "Requests outstanding per client (default: ${DEFAULT-VALUE}).")
  int inflight;

  @Option(names = "--size", paramLabel = "BYTES", defaultValue = "100",
      description = "Data size of create and set (default: ${DEFAULT-VALUE}).")
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
    int keys = type == Type.CREATE ? 0 : Math.min(ops, MAX_KEYS);
    List<KeelClient> conns = new ArrayList<>();
    AtomicInteger threadNo = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(clients, r -> {
      Thread t = new Thread(r, "keel-bench-" + threadNo.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    boolean createdBase = false;
    try {
      for (int i = 0; i < clients; i++) {
        conns.add(cli.connect());
      }
      conns.get(0).create(base, null, CreateMode.PERSISTENT);
      createdBase = true;
      Tally setup = runAll(pool, conns, keys, (c, i) -> c.createAsync(key(base, i), payload,
          CreateMode.PERSISTENT), null);
      if (setup.failed.sum() > 0) {
        throw setup.firstFailure.get();
      }
      // Reads are sequentially consistent: each client catches up with the others' setup writes.
      for (KeelClient c : conns) {
        c.sync(base);
      }
      Histogram latency = new ConcurrentHistogram(3);
      Tally run = runAll(pool, conns, ops, op(base, keys, payload), latency);
      report(base, run, latency);
      if (run.failed.sum() > 0) {
        RuntimeException first = run.firstFailure.get();
        spec.commandLine().getErr().println("keel: bench: " + run.failed.sum() + " of " + ops
            + " operations failed; first: " + KeelCli.oneLine(first.getMessage()));
        return first instanceof KeelException k ? ExitCodes.of(k.code()) : ExitCodes.ERROR;
      }
      return ExitCodes.OK;
    } finally {
      try {
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
    check(ops >= 1 && ops <= 100_000_000, "--ops must be in [1, 100000000], got " + ops);
    check(clients >= 1 && clients <= 256, "--clients must be in [1, 256], got " + clients);
    // The client allows 1000 outstanding requests; keep room for its own session traffic.
    check(inflight >= 1 && inflight <= 900, "--inflight must be in [1, 900], got " + inflight);
    check(size >= 0 && size <= 16 << 20, "--size must be in [0, 16777216], got " + size);
    check(prefix == null || prefix.startsWith("/") && prefix.length() > 1 && !prefix.endsWith("/"),
        "--prefix must be an absolute path other than /, got " + prefix);
  }

  private void check(boolean ok, String message) {
    if (!ok) {
      throw new ParameterException(spec.commandLine(), message);
    }
  }

  /** The measured request number {@code i} of the given type. */
  private Request op(String base, int keys, byte[] payload) {
    return switch (type) {
      case CREATE -> (c, i) -> c.createAsync(base + "/c-" + i, payload, CreateMode.PERSISTENT);
      case SET -> (c, i) -> c.setDataAsync(randomKey(base, keys), payload, KeelClient.ANY_VERSION);
      case GET -> (c, i) -> c.getDataAsync(randomKey(base, keys));
      case MIXED -> (c, i) -> ThreadLocalRandom.current().nextInt(10) < 8
          ? c.getDataAsync(randomKey(base, keys))
          : c.setDataAsync(randomKey(base, keys), payload, KeelClient.ANY_VERSION);
    };
  }

  private static String key(String base, int i) {
    return base + "/k-" + i;
  }

  private static String randomKey(String base, int keys) {
    return key(base, ThreadLocalRandom.current().nextInt(keys));
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
   * with at most {@code inflight} outstanding; returns when every request has completed.
   */
  private Tally runAll(ExecutorService pool, List<KeelClient> conns, int total, Request request,
                       Histogram latency) throws Exception {
    Tally tally = new Tally();
    int n = conns.size();
    // A request's future completes within the request timeout (the client enforces it).
    long maxWaitNanos = cli.timeout().toNanos() + TimeUnit.SECONDS.toNanos(10);
    List<Future<?>> done = new ArrayList<>();
    long start = System.nanoTime();
    for (int c = 0; c < n; c++) {
      KeelClient client = conns.get(c);
      int from = (int) ((long) total * c / n);
      int to = (int) ((long) total * (c + 1) / n);
      done.add(pool.submit(() -> {
        pipeline(client, from, to, request, latency, tally, maxWaitNanos);
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

  private void pipeline(KeelClient client, int from, int to, Request request, Histogram latency,
                        Tally tally, long maxWaitNanos) throws InterruptedException {
    Semaphore window = new Semaphore(inflight);
    for (int i = from; i < to; i++) {
      acquire(window, 1, maxWaitNanos);
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
    acquire(window, inflight, maxWaitNanos);
  }

  private static void acquire(Semaphore window, int permits, long maxWaitNanos)
      throws InterruptedException {
    if (!window.tryAcquire(permits, maxWaitNanos, TimeUnit.NANOSECONDS)) {
      throw KeelException.create(KeelException.Code.OPERATIONTIMEOUT, null,
          "bench: requests did not complete within " + TimeUnit.NANOSECONDS.toMillis(maxWaitNanos) + " ms");
    }
  }

  private void cleanUp(ExecutorService pool, List<KeelClient> conns, String base) {
    try {
      // The other connections' creates may not have reached client 0's server yet.
      conns.get(0).sync(base);
      List<String> children = conns.get(0).getChildren(base);
      Tally t = runAll(pool, conns, children.size(),
          (c, i) -> c.deleteAsync(base + "/" + children.get(i), KeelClient.ANY_VERSION), null);
      if (t.failed.sum() > 0) {
        throw t.firstFailure.get();
      }
      conns.get(0).delete(base, KeelClient.ANY_VERSION);
    } catch (Exception e) {
      spec.commandLine().getErr().println("keel: bench: could not remove " + base
          + " (remove it by hand): " + KeelCli.oneLine(e.getMessage()));
    }
  }

  private void report(String base, Tally run, Histogram h) {
    double seconds = run.elapsedNanos / 1e9;
    double opsPerSec = run.ok.sum() / seconds;
    PrintWriter out = spec.commandLine().getOut();
    if (json || cli.output() == KeelCli.Output.JSON) {
      Map<String, Object> j = Json.object();
      j.put("type", type.name().toLowerCase(Locale.ROOT));
      j.put("clients", clients);
      j.put("inflight", inflight);
      j.put("size", size);
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
      out.println(Json.write(j));
    } else {
      out.printf(Locale.ROOT, "keel bench: %s, %d clients x %d in flight, %d-byte data, %d ops, "
          + "under %s%n", type.name().toLowerCase(Locale.ROOT), clients, inflight, size, ops, base);
      out.printf(Locale.ROOT, "throughput: %.0f ops/s (%d ok, %d failed in %.3f s)%n",
          opsPerSec, run.ok.sum(), run.failed.sum(), seconds);
      out.printf(Locale.ROOT, "latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f%n",
          ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(90)),
          ms(h.getValueAtPercentile(99)), ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()));
    }
    out.flush();
  }

  private static double ms(long nanos) {
    return round(nanos / 1e6);
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
