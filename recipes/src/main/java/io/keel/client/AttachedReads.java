package io.keel.client;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads served by the session's own server, as ZooKeeper serves them: one member picked at random
 * from the connect string (voters and observers alike), moved to another when it fails.
 *
 * <p>A sequential read is a Ratis stale read carrying the client's last seen zxid in the request
 * ({@code min_zxid}): the server answers once it has applied that zxid (Keel's
 * {@code queryStale} waits for it rather than refusing, as Ratis's own minIndex would). A
 * linearizable read uses read index. Requests go straight to the member's RPC, unordered and without
 * Ratis's retry machinery, so a dead member costs one failed call, not a stuck stream.
 * Thread-safe.
 */
final class AttachedReads implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AttachedReads.class);

  private final RaftGroup group;
  private final RaftClient rpcClient;
  /** Long-polls for watch events: a timeout above the server's poll wait, and no retry. */
  private final RaftClient pollClient;
  private final List<RaftPeerId> candidates;
  private final AtomicLong callIds = new AtomicLong();
  private volatile RaftPeerId attached;

  AttachedReads(RaftGroup group, List<String> connectAddresses, Duration rpcTimeout) {
    this.group = group;
    List<RaftPeerId> preferred = new ArrayList<>();
    for (RaftPeer p : group.getPeers()) {
      if (connectAddresses.contains(p.getAddress())) {
        preferred.add(p.getId());
      }
    }
    if (preferred.isEmpty()) {
      group.getPeers().forEach(p -> preferred.add(p.getId()));
    }
    Collections.shuffle(preferred);
    this.candidates = List.copyOf(preferred);
    this.attached = candidates.get(0);
    RaftProperties p = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(p,
        TimeDuration.valueOf(rpcTimeout.toMillis(), TimeUnit.MILLISECONDS));
    this.rpcClient = RaftClient.newBuilder().setRaftGroup(group).setProperties(p)
        .setRetryPolicy(RetryPolicies.noRetry()).build();
    RaftProperties pp = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(pp,
        TimeDuration.valueOf(POLL_WAIT.toMillis() + rpcTimeout.toMillis() + 2000, TimeUnit.MILLISECONDS));
    this.pollClient = RaftClient.newBuilder().setRaftGroup(group).setProperties(pp)
        .setRetryPolicy(RetryPolicies.noRetry()).build();
  }

  /** How long the server holds a watch poll when it has no event to send. */
  static final Duration POLL_WAIT = Duration.ofSeconds(2);

  /**
   * Sends a watch request (poll, restore, add, remove) to {@code target} alone, unordered: a
   * pending long-poll holds back nothing else. Failures are not retried here.
   */
  CompletableFuture<RaftClientReply> sendTo(RaftPeerId target, Message message) {
    return sendOnce(pollClient, target, message, RaftClientRequest.staleReadRequestType(0));
  }

  /**
   * One request to one member, straight through the RPC layer: unordered, no retry. Fails with
   * the transport's or the server's exception (unwrapped), after asking Ratis to rebuild the
   * connection.
   */
  private CompletableFuture<RaftClientReply> sendOnce(RaftClient client, RaftPeerId target,
                                                      Message message, RaftClientRequest.Type type) {
    RaftClientRequest request = RaftClientRequest.newBuilder()
        .setClientId(client.getId())
        .setServerId(target)
        .setGroupId(group.getGroupId())
        .setCallId(callIds.incrementAndGet())
        .setMessage(message)
        .setType(type)
        .build();
    CompletableFuture<RaftClientReply> sent;
    try {
      sent = client.getClientRpc().sendRequestAsyncUnordered(request);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    return sent.handle((reply, error) -> {
      Throwable failure = error != null ? unwrap(error) : reply.isSuccess() ? null : reply.getException();
      if (failure != null) {
        reconnect(client, target, failure);
        throw new CompletionException(failure);
      }
      return reply;
    });
  }

  /** The member reads are served by now. */
  RaftPeerId attached() {
    return attached;
  }

  /**
   * Reads at the attached member, moving on to others until {@code deadlineNanos}. The message's
   * {@code min_zxid} makes a sequential read wait for the member to catch up.
   */
  CompletableFuture<RaftClientReply> read(Message message, ReadConsistency consistency,
                                          long deadlineNanos) {
    return attempt(message, consistency == ReadConsistency.LINEARIZABLE, deadlineNanos, null, 0);
  }

  private CompletableFuture<RaftClientReply> attempt(Message message, boolean linearizable,
                                                     long deadlineNanos, Throwable previous,
                                                     int failures) {
    if (System.nanoTime() > deadlineNanos) {
      return CompletableFuture.failedFuture(previous != null ? previous
          : new IOException("no member answered the read in time"));
    }
    RaftPeerId target = attached;
    // Ratis's own minIndex would refuse at once when the member is behind; min_zxid waits.
    RaftClientRequest.Type type = linearizable ? RaftClientRequest.readRequestType()
        : RaftClientRequest.staleReadRequestType(0);
    return sendOnce(rpcClient, target, message, type).handle((reply, error) -> {
      if (error == null) {
        return CompletableFuture.completedFuture(reply);
      }
      Throwable failure = unwrap(error);
      moveFrom(target, failure);
      // Back off once every member has failed in a row, so a dead cluster is not spun on.
      long pauseMs = failures + 1 < candidates.size() ? 0
          : Math.min(500, 20L << Math.min(5, failures + 1 - candidates.size()));
      return CompletableFuture.supplyAsync(() -> null,
              CompletableFuture.delayedExecutor(pauseMs, TimeUnit.MILLISECONDS))
          .thenCompose(x -> attempt(message, linearizable, deadlineNanos, failure, failures + 1));
    }).thenCompose(f -> f);
  }

  /** Reads (and watches) move on from {@code failed}, if they are still there. */
  void moveFrom(RaftPeerId failed, Throwable why) {
    int i = candidates.indexOf(failed);
    RaftPeerId next = candidates.get((i + 1) % candidates.size());
    if (next.equals(failed)) {
      return;
    }
    synchronized (this) {
      if (attached.equals(failed)) {
        attached = next;
        LOG.info("Reads move from {} to {}: {}", failed, next, why.toString());
      }
    }
  }

  /**
   * Ratis keeps a failed connection's proxy closed until told to rebuild it (its own send path does
   * that); requests sent straight through the RPC layer must ask, or a server that restarts is
   * unreachable for good.
   */
  private static void reconnect(RaftClient client, RaftPeerId target, Throwable failure) {
    try {
      client.getClientRpc().handleException(target, failure, true);
    } catch (RuntimeException e) {
      LOG.debug("Could not reset the connection to {}", target, e);
    }
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
    for (RaftClient c : List.of(rpcClient, pollClient)) {
      try {
        c.close();
      } catch (IOException e) {
        LOG.debug("Error closing a read client", e);
      }
    }
  }
}
