package io.keel.cli;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.recipes.id.BlockIdGenerator;
import io.keel.recipes.id.SequentialIdGenerator;
import io.keel.recipes.lock.DistributedLock;
import io.keel.recipes.lock.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;

/**
 * {@code keel bench --type lock|id|id-single}: recipes are blocking calls, so each client runs
 * {@code threads} threads, each making its share of the calls one after another (the threads of
 * a client share one recipe object, as an application's would).
 *
 * <p>lock: every thread of every client acquires and releases one {@link DistributedLock} at
 * {@code <prefix>/lock}; an op is one acquisition, its latency the wait from the call to holding.
 * id: one {@link BlockIdGenerator} per client on {@code <prefix>/ids}; id-single: one
 * {@link SequentialIdGenerator} per client on {@code <prefix>/ids}; an op is one id.
 *
 * <p>Every call is bounded by {@code maxWait}, so the run ends. The recipe objects are closed
 * before it returns; the nodes they leave (the lock's container, the id node) are the caller's to
 * delete.
 */
final class RecipeBench {
  /** One client's recipe object and the measured call its threads make. */
  private interface Subject extends AutoCloseable {
    /** Makes one call; returns its latency in nanoseconds. */
    long call(Duration maxWait) throws Exception;

    @Override
    void close();
  }

  private RecipeBench() {}

  static BenchCommand.Tally run(BenchCommand.Type type, List<KeelClient> conns, int threads,
                                int total, String base, long blockSize, Histogram latency,
                                Duration maxWait)
      throws Exception {
    List<Subject> subjects = new ArrayList<>();
    AtomicInteger threadNo = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(conns.size() * threads, r -> {
      Thread t = new Thread(r, "keel-bench-recipe-" + threadNo.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    try {
      for (KeelClient c : conns) {
        subjects.add(subject(type, c, base, blockSize));
      }
      BenchCommand.Tally tally = new BenchCommand.Tally();
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      int n = subjects.size() * threads;
      for (int w = 0; w < n; w++) {
        Subject s = subjects.get(w / threads);
        int share = (int) ((long) total * (w + 1) / n - (long) total * w / n);
        done.add(pool.submit(() -> {
          go.await();
          for (int i = 0; i < share; i++) {
            try {
              latency.recordValue(s.call(maxWait));
              tally.ok.increment();
            } catch (KeelException e) {
              tally.fail(e);
            }
          }
          return null;
        }));
      }
      long start = System.nanoTime();
      go.countDown();
      for (Future<?> f : done) {
        try {
          f.get();
        } catch (ExecutionException e) {
          throw e.getCause() instanceof Exception x ? x : e;
        }
      }
      tally.elapsedNanos = System.nanoTime() - start;
      return tally;
    } finally {
      pool.shutdownNow();
      subjects.forEach(Subject::close);
    }
  }

  private static Subject subject(BenchCommand.Type type, KeelClient client, String base,
                                 long blockSize) {
    return switch (type) {
      case LOCK -> {
        DistributedLock lock = new DistributedLock(client, base + "/lock");
        yield new Subject() {
          @Override
          public long call(Duration maxWait) throws InterruptedException {
            long t0 = System.nanoTime();
            Lease lease = lock.tryAcquire(maxWait).orElseThrow(() -> late("lock", maxWait));
            long waited = System.nanoTime() - t0;
            lease.close();
            return waited;
          }

          @Override
          public void close() {
          }
        };
      }
      case ID -> {
        BlockIdGenerator ids = new BlockIdGenerator(client, base + "/ids", blockSize);
        yield idSubject(ids::tryNext, ids::close);
      }
      case ID_SINGLE -> {
        SequentialIdGenerator ids = new SequentialIdGenerator(client, base + "/ids");
        yield idSubject(ids::tryNext, ids::close);
      }
      default -> throw new IllegalArgumentException("not a recipe type: " + type);
    };
  }

  private static KeelException late(String what, Duration maxWait) {
    return KeelException.create(KeelException.Code.OPERATIONTIMEOUT, null,
        "bench: no " + what + " within " + maxWait.toMillis() + " ms");
  }

  /** How a generator hands out one id within a wait: both id recipes look alike here. */
  @FunctionalInterface
  private interface NextId {
    java.util.OptionalLong tryNext(Duration maxWait) throws InterruptedException;
  }

  private static Subject idSubject(NextId next, Runnable close) {
    return new Subject() {
      @Override
      public long call(Duration maxWait) throws InterruptedException {
        long t0 = System.nanoTime();
        next.tryNext(maxWait).orElseThrow(() -> late("id", maxWait));
        return System.nanoTime() - t0;
      }

      @Override
      public void close() {
        close.run();
      }
    };
  }
}
