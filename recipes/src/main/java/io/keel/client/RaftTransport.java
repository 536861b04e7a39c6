package io.keel.client;

import io.keel.proto.Response;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.client.retry.ClientRetryEvent;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;

/**
 * Everything about Ratis the client needs: connect strings, discovering the group from any server,
 * building the Raft client, and translating Ratis failures into {@link KeelException}s. The one
 * place where Ratis exceptions are translated.
 */
final class RaftTransport {
  /** Marker the server puts before a refused request's encoded Response (RejectedRequestException). */
  static final String REJECTION_MARKER = "keel-response:";

  private RaftTransport() {}

  /** Splits {@code host:port,host:port}; a bad entry is a BADARGUMENTS error naming it. */
  static List<String> parseConnectString(String connectString) {
    if (connectString == null || connectString.isBlank()) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, null,
          "connect string is empty; expected host:port[,host:port...]");
    }
    List<String> out = new ArrayList<>();
    for (String part : connectString.split(",")) {
      String hp = part.strip();
      // ZooKeeper allows a chroot suffix on the last entry; Keel does not have chroots yet.
      try {
        URI uri = new URI("keel://" + hp);
        if (uri.getHost() == null || uri.getPort() < 1 || uri.getPort() > 65535
            || uri.getPath() != null && !uri.getPath().isEmpty()) {
          throw new IllegalArgumentException();
        }
        out.add(uri.getHost() + ":" + uri.getPort());
      } catch (Exception e) {
        throw KeelException.create(KeelException.Code.BADARGUMENTS, null,
            "connect string entry '" + hp + "' is not host:port");
      }
    }
    return out;
  }

  /** The group a server serves, and the leader it knows of (null when it knows none). */
  record Discovered(RaftGroup group, RaftPeerId leader) {}

  /**
   * Asks the servers of the connect string, in random order, for the Raft group they serve, until
   * one answers or {@code timeout} passes.
   */
  static Discovered discover(List<String> addresses, Duration timeout) {
    List<String> order = new ArrayList<>(addresses);
    Collections.shuffle(order);
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    long backoffMs = 50;
    while (true) {
      for (String address : order) {
        try {
          Discovered d = askForGroup(address);
          if (d != null) {
            return d;
          }
        } catch (IOException | RuntimeException e) {
          // gRPC reports an unreachable address as an unchecked StatusRuntimeException.
          last = e;
        }
        if (System.nanoTime() > deadline) {
          break;
        }
      }
      long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (leftMs <= 0) {
        throw KeelException.create(KeelException.Code.CONNECTIONLOSS, null,
            "no Keel server reachable at " + String.join(",", addresses) + " within "
                + timeout.toMillis() + " ms" + (last == null ? "" : " (last error: " + rootMessage(last) + ")"),
            last, null);
      }
      try {
        Thread.sleep(Math.min(backoffMs, leftMs));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw KeelException.create(KeelException.Code.CONNECTIONLOSS, null,
            "interrupted while connecting", e, null);
      }
      backoffMs = Math.min(1000, backoffMs * 2);
    }
  }

  private static Discovered askForGroup(String address) throws IOException {
    // Ids are unknown until a server tells us; admin requests are not checked against them.
    RaftPeerId probeId = RaftPeerId.valueOf("probe-" + address.replace(':', '_'));
    RaftPeer probe = RaftPeer.newBuilder().setId(probeId).setAddress(address).build();
    RaftProperties p = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(2, TimeUnit.SECONDS));
    try (RaftClient c = RaftClient.newBuilder()
        .setRaftGroup(RaftGroup.valueOf(RaftGroupId.randomId(), probe))
        .setProperties(p)
        .setRetryPolicy(RetryPolicies.noRetry())
        .build()) {
      List<RaftGroupId> groups = c.getGroupManagementApi(probeId).list().getGroupIds();
      if (groups.isEmpty()) {
        return null;
      }
      GroupInfoReply info = c.getGroupManagementApi(probeId).info(groups.get(0));
      return new Discovered(info.getGroup(), leaderOf(info.getRoleInfoProto()));
    }
  }

  private static RaftPeerId leaderOf(RoleInfoProto role) {
    if (role.getRole() == RaftPeerRole.LEADER) {
      return RaftPeerId.valueOf(role.getSelf().getId());
    }
    if (role.hasFollowerInfo() && role.getFollowerInfo().hasLeaderInfo()) {
      ByteString id = role.getFollowerInfo().getLeaderInfo().getId().getId();
      return id.isEmpty() ? null : RaftPeerId.valueOf(id);
    }
    return null;
  }

  /**
   * The client every operation goes through: async, retries bounded by the request timeout. The
   * first request goes to {@code leader} when known, saving a redirect.
   */
  static RaftClient newClient(RaftGroup group, RaftPeerId leader, Duration requestTimeout) {
    RaftProperties p = new RaftProperties();
    long rpcMs = Math.max(200, Math.min(3000, requestTimeout.toMillis() / 3));
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(rpcMs, TimeUnit.MILLISECONDS));
    RaftClientConfigKeys.Async.setOutstandingRequestsMax(p, 1000);
    // Ratis retries forever without a pause by default; give up once the request timeout is spent.
    RetryPolicy retry = new DeadlineRetry(requestTimeout.toMillis() - rpcMs);
    RaftClient.Builder b = RaftClient.newBuilder();
    if (leader != null && group.getPeer(leader) != null) {
      b.setLeaderId(leader);
    }
    return b
        .setClientId(ClientId.randomId())
        .setRaftGroup(group)
        .setProperties(p)
        .setRetryPolicy(retry)
        .build();
  }

  /** True when the failure leaves Ratis's ordered stream failing every later request. */
  static boolean isClientBroken(Throwable t) {
    Throwable e = unwrap(t);
    return e instanceof RaftRetryFailureException || e instanceof AlreadyClosedException;
  }

  /**
   * Exponential backoff (50 ms doubling to 1 s) until a request has been failing for
   * {@code budgetMs}. Ratis's events carry no start time, so the first failure of each call id is
   * remembered; entries of calls that then succeeded are dropped once old.
   */
  static final class DeadlineRetry implements RetryPolicy {
    private final long budgetNanos;
    private final Map<Long, Long> firstFailure = new ConcurrentHashMap<>();

    DeadlineRetry(long budgetMs) {
      this.budgetNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(500, budgetMs));
    }

    @Override
    public Action handleAttemptFailure(Event event) {
      long now = System.nanoTime();
      if (firstFailure.size() > 10_000) {
        firstFailure.values().removeIf(t -> now - t > 2 * budgetNanos);
      }
      long key = event instanceof ClientRetryEvent c ? c.getRequest().getCallId() : -1;
      long first = firstFailure.computeIfAbsent(key, k -> now);
      if (now - first >= budgetNanos) {
        firstFailure.remove(key);
        return NO_RETRY_ACTION;
      }
      long sleepMs = Math.min(1000, 50L << Math.min(5, Math.max(0, event.getAttemptCount() - 1)));
      TimeDuration sleep = TimeDuration.valueOf(sleepMs, TimeUnit.MILLISECONDS);
      return () -> sleep;
    }

    @Override
    public String toString() {
      return "DeadlineRetry(" + TimeUnit.NANOSECONDS.toMillis(budgetNanos) + " ms)";
    }
  }

  /** A failed reply as the user-facing exception. */
  static KeelException toException(Response r) {
    List<OpResult> results = r.hasMulti()
        ? r.getMulti().getResultsList().stream().map(OpResult::of).toList()
        : null;
    return KeelException.create(KeelException.Code.of(r.getErrValue()), r.getPath(), r.getMessage(),
        null, results);
  }

  /** Any failure from Ratis or the transport as a {@link KeelException}. */
  static KeelException translate(Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof KeelException k) {
      return k;
    }
    if (e instanceof StateMachineException) {
      String msg = String.valueOf(e.getMessage());
      int at = msg.lastIndexOf(REJECTION_MARKER);
      if (at >= 0) {
        String encoded = msg.substring(at + REJECTION_MARKER.length()).strip().split("\\s", 2)[0];
        try {
          return toException(Response.parseFrom(Base64.getDecoder().decode(encoded)));
        } catch (IOException | IllegalArgumentException ignored) {
          // fall through to a generic error carrying the server's text
        }
      }
      return KeelException.create(KeelException.Code.SYSTEMERROR, null, msg, e, null);
    }
    if (e instanceof TimeoutException) {
      return KeelException.create(KeelException.Code.OPERATIONTIMEOUT, null,
          "no reply in time; the outcome is unknown", e, null);
    }
    if (e instanceof RaftRetryFailureException || e instanceof AlreadyClosedException
        || e instanceof IOException) {
      return KeelException.create(KeelException.Code.CONNECTIONLOSS, null,
          "lost the cluster (" + rootMessage(e) + "); the outcome is unknown", e, null);
    }
    return KeelException.create(KeelException.Code.SYSTEMERROR, null, rootMessage(e), e, null);
  }

  /** Re-raises a failure from another thread in the caller's thread, keeping the original as cause. */
  static KeelException rethrowHere(Throwable t) {
    KeelException k = translate(t);
    return KeelException.create(k.code(), k.path(), detail(k), k, k.results());
  }

  private static String detail(KeelException k) {
    // The message already starts with the code and path; keep only what follows them.
    String m = k.getMessage();
    String prefix = k.code() + (k.path() == null ? "" : " for " + k.path());
    if (m != null && m.startsWith(prefix)) {
      m = m.substring(prefix.length());
      return m.startsWith(": ") ? m.substring(2) : m;
    }
    return m;
  }

  private static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private static String rootMessage(Throwable t) {
    Throwable e = t;
    while (e.getCause() != null && e.getCause() != e) {
      e = e.getCause();
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }
}
