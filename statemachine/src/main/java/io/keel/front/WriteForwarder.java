package io.keel.front;

import io.keel.proto.Code;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import io.keel.proto.WriteBatch;
import io.keel.proto.WriteRequest;
import io.keel.statemachine.BatchQueue;
import io.keel.statemachine.KeelStateMachine;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a front's writes to the leader's group commit ({@code KeelStateMachine.submitWrites}):
 * in-process when this server leads, else as one request to the leader. While one batch is on
 * its way, new writes wait and fill the next (at most {@code maxOps} writes and {@code maxBytes}
 * bytes); one batch at a time keeps a session's writes in order through leader changes, and the
 * leader merges every front's batches into its entries.
 *
 * <p>At most once, as ZooKeeper: a batch is sent again only when the answer says nothing was
 * applied (this server or the one asked does not lead); any other failure (a lost connection, a
 * leader that went down with the batch in an entry) fails its writes with CONNECTIONLOSS, their
 * outcome unknown. A batch that reaches no leader for {@code giveUpMs} fails the same way.
 * Thread-safe.
 */
final class WriteForwarder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WriteForwarder.class);

  private record Pending(WriteRequest request, int bytes, CompletableFuture<Response> reply) {
  }

  private final KeelStateMachine stateMachine;
  private final RaftGroup group;
  private final RaftClient client;
  private final ClientId clientId = ClientId.randomId();
  private final AtomicLong callIds = new AtomicLong();
  private final Executor retries;
  private final long giveUpNanos;
  private final Object lock = new Object();
  /** One batch at a time: that keeps a session's writes in order through leader changes. */
  private final BatchQueue<Pending> queue;
  private boolean closed;

  WriteForwarder(KeelStateMachine stateMachine, RaftGroup group, int maxOps, int maxBytes,
                 int giveUpMs, int rpcTimeoutMs) {
    this.stateMachine = stateMachine;
    this.group = group;
    this.queue = new BatchQueue<>(maxOps, maxBytes, 1, p -> 1, Pending::bytes);
    this.giveUpNanos = TimeUnit.MILLISECONDS.toNanos(giveUpMs);
    this.retries = CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS);
    RaftProperties p = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(rpcTimeoutMs, TimeUnit.MILLISECONDS));
    // Requests go straight through its RPC layer, one at a time, retried here and only when safe.
    this.client = RaftClient.newBuilder().setClientId(clientId).setRaftGroup(group).setProperties(p)
        .setRetryPolicy(RetryPolicies.noRetry()).build();
  }

  /**
   * Queues a validated write; completes with its reply once applied at the leader (the caller waits
   * for this server to apply it too), or with the leader's refusal, or CONNECTIONLOSS.
   */
  CompletableFuture<Response> submit(WriteRequest request) {
    Pending p = new Pending(request, request.getSerializedSize() + 8, new CompletableFuture<>());
    List<Pending> batch = null;
    synchronized (lock) {
      if (closed) {
        return CompletableFuture.completedFuture(lost("the server is shutting down"));
      }
      batch = queue.add(p);
    }
    if (batch != null) {
      send(batch, System.nanoTime());
    }
    return p.reply;
  }

  private void send(List<Pending> batch, long since) {
    List<WriteRequest> writes = new ArrayList<>(batch.size());
    batch.forEach(p -> writes.add(p.request));
    CompletableFuture<Response> answer;
    try {
      answer = stateMachine.isLeaderReady() ? stateMachine.submitWrites(writes) : forward(writes);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete((r, e) -> {
      Response reply = e == null ? r : failure(e);
      if (reply.getNotApplied() && System.nanoTime() - since < giveUpNanos && !isClosed()) {
        // Safe to send again: wait for the election or the leader to be ready.
        CompletableFuture.runAsync(() -> send(batch, since), retries);
        return;
      }
      complete(batch, reply);
      List<Pending> next;
      synchronized (lock) {
        next = queue.done(!closed);
      }
      if (next != null) {
        send(next, System.nanoTime());
      }
    });
  }

  /** Sends the batch to the leader this server knows of, as a request its state machine answers. */
  private CompletableFuture<Response> forward(List<WriteRequest> writes) {
    RaftPeer leader = stateMachine.leaderPeer();
    if (leader == null) {
      return CompletableFuture.completedFuture(notLeader("no leader known"));
    }
    client.getClientRpc().addRaftPeers(List.of(leader));
    byte[] bytes = ReadRequest.newBuilder().setForward(WriteBatch.newBuilder().addAllRequests(writes))
        .build().toByteArray();
    RaftClientRequest request = RaftClientRequest.newBuilder()
        .setClientId(clientId)
        .setServerId(leader.getId())
        .setGroupId(group.getGroupId())
        .setCallId(callIds.incrementAndGet())
        .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(bytes)))
        // Non-linearizable: the leader's state machine answers at once, without a read index.
        .setType(RaftClientRequest.readRequestType(true))
        .build();
    CompletableFuture<RaftClientReply> sent;
    try {
      sent = client.getClientRpc().sendRequestAsyncUnordered(request);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    return sent.handle((reply, error) -> {
      Throwable failure = error != null ? unwrap(error) : reply.isSuccess() ? null : reply.getException();
      if (failure == null) {
        try {
          return Response.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          return Response.newBuilder().setErr(Code.MARSHALLINGERROR)
              .setMessage("unreadable reply from the leader: " + e.getMessage()).build();
        }
      }
      if (error != null) {
        // Ratis keeps a failed connection closed until told to rebuild it.
        resetConnection(leader, failure);
      }
      if (failure instanceof NotLeaderException || failure instanceof LeaderNotReadyException) {
        return notLeader(failure.getClass().getSimpleName());
      }
      return lost(failure.toString());
    });
  }

  private void resetConnection(RaftPeer peer, Throwable failure) {
    try {
      client.getClientRpc().handleException(peer.getId(), failure, true);
    } catch (RuntimeException e) {
      LOG.debug("Could not reset the connection to {}", peer, e);
    }
  }

  private static void complete(List<Pending> batch, Response reply) {
    if (reply.hasBatch() && reply.getBatch().getResponsesCount() == batch.size()) {
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).reply.complete(reply.getBatch().getResponses(i));
      }
      return;
    }
    Response failure = reply.getErr() != Code.OK ? reply : Response.newBuilder().setErr(Code.SYSTEMERROR)
        .setMessage("the leader answered a batch of " + batch.size() + " with "
            + (reply.hasBatch() ? reply.getBatch().getResponsesCount() + " results" : "no batch"))
        .build();
    for (Pending p : batch) {
      p.reply.complete(failure);
    }
  }

  private boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
  }

  private static Response notLeader(String why) {
    return Response.newBuilder().setErr(Code.CONNECTIONLOSS).setNotApplied(true)
        .setMessage("no leader took the write (" + why + "); nothing was applied").build();
  }

  private static Response lost(String why) {
    return Response.newBuilder().setErr(Code.CONNECTIONLOSS)
        .setMessage("the write may not have reached the leader (" + why + "); its outcome is unknown").build();
  }

  private static Response failure(Throwable e) {
    return lost(unwrap(e).toString());
  }

  private static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  @Override
  public void close() {
    List<Pending> dropped;
    synchronized (lock) {
      closed = true;
      dropped = queue.drain();
    }
    dropped.forEach(p -> p.reply.complete(lost("the server is shutting down")));
    try {
      client.close();
    } catch (IOException e) {
      LOG.debug("Error closing the forwarding client", e);
    }
  }
}
