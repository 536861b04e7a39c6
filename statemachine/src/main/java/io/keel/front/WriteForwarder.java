package io.keel.front;

import io.keel.proto.Code;
import io.keel.proto.Response;
import io.keel.proto.WriteBatch;
import io.keel.proto.WriteRequest;
import io.keel.statemachine.RejectedRequestException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.retry.ExponentialBackoffRetry;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a front's writes to the leader, many to a request: group commit. While
 * {@code batchesInFlight} batches are on their way, new writes wait and fill the next one
 * (at most {@code maxOps} writes and {@code maxBytes} bytes); each batch becomes one Raft log entry,
 * its writes applied in order.
 *
 * <p>A batch travels as one Ratis client request, so Ratis's client resends it (same call id) to a
 * new leader after a failover, and the retry cache applies it once. When the retries are spent, its
 * writes fail with CONNECTIONLOSS: their outcome is unknown, as after a lost connection in
 * ZooKeeper. Thread-safe; replies complete on Ratis's client threads.
 */
final class WriteForwarder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WriteForwarder.class);

  private record Pending(WriteRequest request, int bytes, CompletableFuture<Response> reply) {
  }

  private final RaftClient client;
  private final int maxOps;
  private final int maxBytes;
  private final int batchesInFlight;
  private final Object lock = new Object();
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
  private int inFlight;
  private boolean closed;

  WriteForwarder(RaftGroup group, int maxOps, int maxBytes, int batchesInFlight, int giveUpMs) {
    this.maxOps = maxOps;
    this.maxBytes = maxBytes;
    this.batchesInFlight = batchesInFlight;
    RaftProperties p = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(3, TimeUnit.SECONDS));
    RaftClientConfigKeys.Async.setOutstandingRequestsMax(p, Math.max(16, batchesInFlight * 4));
    // Ratis's default retries forever without a pause. Backing off to a second, this gives up
    // after about giveUpMs.
    int attempts = Math.max(3, giveUpMs / 1000 + 4);
    this.client = RaftClient.newBuilder()
        .setClientId(ClientId.randomId())
        .setRaftGroup(group)
        .setProperties(p)
        .setRetryPolicy(ExponentialBackoffRetry.newBuilder()
            .setBaseSleepTime(TimeDuration.valueOf(20, TimeUnit.MILLISECONDS))
            .setMaxSleepTime(TimeDuration.valueOf(1, TimeUnit.SECONDS))
            .setMaxAttempts(attempts)
            .build())
        .build();
  }

  /** The Raft client the front also uses for its reports and syncs. */
  RaftClient raftClient() {
    return client;
  }

  /**
   * Queues a validated write; completes with the leader's reply once the write is applied at the
   * leader (the caller waits for this server to apply it too), or with a failure Response:
   * the leader's refusal, or CONNECTIONLOSS.
   */
  CompletableFuture<Response> submit(WriteRequest request) {
    Pending p = new Pending(request, request.getSerializedSize(), new CompletableFuture<>());
    List<Pending> batch = null;
    synchronized (lock) {
      if (closed) {
        return CompletableFuture.completedFuture(lost("the server is shutting down"));
      }
      waiting.add(p);
      if (inFlight < batchesInFlight) {
        inFlight++;
        batch = takeBatch();
      }
    }
    if (batch != null) {
      send(batch);
    }
    return p.reply;
  }

  /** Under the lock: the next batch, at least one write. */
  private List<Pending> takeBatch() {
    List<Pending> batch = new ArrayList<>();
    int bytes = 0;
    while (!waiting.isEmpty() && batch.size() < maxOps) {
      Pending next = waiting.peek();
      if (!batch.isEmpty() && bytes + next.bytes + 8 > maxBytes) {
        break;
      }
      batch.add(waiting.poll());
      bytes += next.bytes + 8;
    }
    return batch;
  }

  private void send(List<Pending> batch) {
    WriteBatch.Builder b = WriteBatch.newBuilder();
    batch.forEach(p -> b.addRequests(p.request));
    byte[] bytes = WriteRequest.newBuilder().setBatch(b).build().toByteArray();
    CompletableFuture<RaftClientReply> sent;
    try {
      sent = client.async().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(bytes)));
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    sent.whenComplete((reply, error) -> {
      try {
        complete(batch, reply, error);
      } finally {
        List<Pending> next = null;
        synchronized (lock) {
          if (!waiting.isEmpty() && !closed) {
            next = takeBatch();
          } else {
            inFlight--;
          }
        }
        if (next != null) {
          send(next);
        }
      }
    });
  }

  private static void complete(List<Pending> batch, RaftClientReply reply, Throwable error) {
    Response failure = null;
    List<Response> results = null;
    if (error != null) {
      failure = lost(rootMessage(error));
    } else if (!reply.isSuccess()) {
      Response refused = RejectedRequestException.decode(String.valueOf(reply.getException().getMessage()));
      failure = refused != null ? refused : lost(rootMessage(reply.getException()));
    } else {
      try {
        Response r = Response.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
        if (r.hasBatch() && r.getBatch().getResponsesCount() == batch.size()) {
          results = r.getBatch().getResponsesList();
        } else {
          failure = r.getErr() != Code.OK ? r : Response.newBuilder().setErr(Code.SYSTEMERROR)
              .setMessage("the leader answered a batch of " + batch.size() + " with "
                  + (r.hasBatch() ? r.getBatch().getResponsesCount() + " results" : "no batch"))
              .build();
        }
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        failure = Response.newBuilder().setErr(Code.MARSHALLINGERROR)
            .setMessage("unreadable reply from the leader: " + e.getMessage()).build();
      }
    }
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).reply.complete(results != null ? results.get(i) : failure);
    }
  }

  private static Response lost(String why) {
    return Response.newBuilder().setErr(Code.CONNECTIONLOSS)
        .setMessage("the write did not reach the leader (" + why + "); its outcome is unknown").build();
  }

  private static String rootMessage(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e.getCause() != null && e.getCause() != e)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  @Override
  public void close() {
    List<Pending> dropped;
    synchronized (lock) {
      closed = true;
      dropped = new ArrayList<>(waiting);
      waiting.clear();
    }
    dropped.forEach(p -> p.reply.complete(lost("the server is shutting down")));
    try {
      client.close();
    } catch (IOException e) {
      LOG.debug("Error closing the forwarding client", e);
    }
  }
}
