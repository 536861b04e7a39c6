package io.keel.statemachine;

import io.keel.proto.BatchResult;
import io.keel.proto.Code;
import io.keel.proto.Response;
import io.keel.proto.WriteBatch;
import io.keel.proto.WriteRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The leader's group commit (DESIGN §4a): every front's batch of writes (the leader's own front
 * and those forwarded by the others) waits here, and all that wait when a log entry can go
 * become that one entry. While {@code entriesInFlight} entries are being replicated, new batches
 * fill the next one, up to {@code maxOps} writes and {@code maxBytes} bytes.
 *
 * <p>At most once: a batch taken into an entry is never resubmitted. If the entry fails (this
 * server lost the leadership before it committed), its batches fail with CONNECTIONLOSS, the
 * outcome unknown, as ZooKeeper's followers fail their requests when the leader goes. Batches not
 * yet in an entry fail with {@code not_applied} set: the sender may safely send them again.
 *
 * <p>Thread-safe; replies complete on Ratis's threads.
 */
final class LeaderBatcher {
  private record Part(List<WriteRequest> writes, int bytes, CompletableFuture<Response> reply) {
  }

  private final Function<WriteRequest, CompletableFuture<Response>> submit;
  private final Object lock = new Object();
  private final BatchQueue<Part> queue;
  private boolean leading;

  /**
   * @param submit proposes one write (a batch) to the log and completes with the applied reply
   */
  LeaderBatcher(Function<WriteRequest, CompletableFuture<Response>> submit, int maxOps, int maxBytes,
                int entriesInFlight) {
    this.submit = submit;
    this.queue = new BatchQueue<>(maxOps, maxBytes, entriesInFlight, p -> p.writes.size(), Part::bytes);
  }

  /** This server now leads, or no longer does (queued batches then fail, not applied). */
  void leading(boolean now) {
    List<Part> dropped = List.of();
    synchronized (lock) {
      leading = now;
      if (!now) {
        dropped = queue.drain();
      }
    }
    dropped.forEach(p -> p.reply.complete(notLeader()));
  }

  /**
   * Queues one front's batch (validated, in its session order); completes with a
   * {@link BatchResult} reply, one result per write, once the entry holding it is applied here.
   */
  CompletableFuture<Response> submit(List<WriteRequest> writes) {
    int bytes = 0;
    for (WriteRequest w : writes) {
      bytes += w.getSerializedSize() + 8;
    }
    Part part = new Part(writes, bytes, new CompletableFuture<>());
    List<Part> entry = null;
    synchronized (lock) {
      if (!leading) {
        return CompletableFuture.completedFuture(notLeader());
      }
      entry = queue.add(part);
    }
    if (entry != null) {
      propose(entry);
    }
    return part.reply;
  }

  private void propose(List<Part> entry) {
    WriteBatch.Builder batch = WriteBatch.newBuilder();
    entry.forEach(p -> batch.addAllRequests(p.writes));
    CompletableFuture<Response> applied;
    try {
      applied = submit.apply(WriteRequest.newBuilder().setBatch(batch).build());
    } catch (RuntimeException e) {
      applied = CompletableFuture.failedFuture(e);
    }
    applied.whenComplete((reply, error) -> {
      try {
        split(entry, reply, error);
      } finally {
        List<Part> next;
        synchronized (lock) {
          next = queue.done(leading);
        }
        if (next != null) {
          propose(next);
        }
      }
    });
  }

  private static void split(List<Part> entry, Response reply, Throwable error) {
    int total = entry.stream().mapToInt(p -> p.writes.size()).sum();
    if (error != null || !reply.hasBatch() || reply.getBatch().getResponsesCount() != total) {
      Response failure = error == null && reply.getErr() != Code.OK ? reply
          : Response.newBuilder().setErr(Code.CONNECTIONLOSS).setMessage("the leader's entry failed ("
              + (error != null ? error : "an answer without " + total + " results")
              + "); the outcome is unknown").build();
      entry.forEach(p -> p.reply.complete(failure));
      return;
    }
    int at = 0;
    for (Part p : entry) {
      List<Response> mine = reply.getBatch().getResponsesList().subList(at, at + p.writes.size());
      at += p.writes.size();
      p.reply.complete(Response.newBuilder().setZxid(reply.getZxid())
          .setBatch(BatchResult.newBuilder().addAllResponses(mine)).build());
    }
  }

  private static Response notLeader() {
    return Response.newBuilder().setErr(Code.CONNECTIONLOSS).setNotApplied(true)
        .setMessage("this server does not lead (or not yet); nothing was applied").build();
  }
}
