package io.keel.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.proto.Code;
import io.keel.proto.CreateOp;
import io.keel.proto.Response;
import io.keel.proto.WriteRequest;
import io.keel.testing.KeelTestCluster;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A write whose reply was lost is sent again (same session, same request id) and must return the
 * first result without applying twice: right away, after a leader change, and after a restart
 * from a snapshot, where Ratis's own 60 s in-memory retry cache cannot help. Each resend uses a new
 * Raft client, so only Keel's replicated dedup can catch it.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ExactlyOnceTest {

  @Test
  void aRetriedWriteIsAppliedOnceAcrossLeaderChangesAndRestarts() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      RaftGroup group = cluster.server(1).group();
      // A real client keeps the session alive (pings) through the failover and the restart; the
      // test sends its own writes in that session, with request ids far above the client's.
      KeelClient holder = KeelClient.builder(cluster.connectString())
          .sessionTimeout(Duration.ofSeconds(10)).build();
      long session = holder.sessionId();
      holder.create("/once", null, CreateMode.PERSISTENT);
      WriteRequest write = WriteRequest.newBuilder().setSessionId(session).setRequestId(1_000_000)
          .setCreate(CreateOp.newBuilder().setPath("/once/job-")
              .setMode(io.keel.proto.CreateMode.PERSISTENT_SEQUENTIAL)).build();
      Response first = send(group, write);
      assertEquals(Code.OK, first.getErr());
      assertEquals("/once/job-0000000000", first.getCreate().getPath());

      // Lost reply: the same request again.
      assertEquals(first, send(group, write));

      // Across a leader change.
      int leader = cluster.awaitLeader(Duration.ofSeconds(60));
      cluster.stop(leader);
      cluster.awaitNewLeader(leader, Duration.ofSeconds(60));
      assertEquals(first, send(group, write));
      cluster.start(leader);

      // Across a restart of every node from a snapshot (the session must outlive it: keep it alive).
      for (int id : cluster.nodeIds()) {
        cluster.server(id).takeSnapshot(Duration.ofSeconds(30));
      }
      cluster.stopAll();
      cluster.startAll();
      cluster.awaitLeader(Duration.ofSeconds(60));
      assertEquals(first, send(group, write));

      // The resends came from other clients: sync before reading (sequential consistency).
      java.util.List<String> children = org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60))
          .ignoreExceptions().until(() -> {
            holder.sync("/once");
            return holder.getChildren("/once");
          }, c -> true);
      assertEquals(java.util.List.of("job-0000000000"), children, "the create was applied once");
      holder.close();
    }
  }

  private static Response send(RaftGroup group, WriteRequest write) throws IOException {
    try (RaftClient raw = RaftClient.newBuilder().setRaftGroup(group)
        .setProperties(new RaftProperties())
        .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(100,
            org.apache.ratis.util.TimeDuration.valueOf(200, TimeUnit.MILLISECONDS)))
        .build()) {
      RaftClientReply reply = raw.io().send(
          Message.valueOf(UnsafeByteOperations.unsafeWrap(write.toByteArray())));
      return Response.parseFrom(reply.getMessage().getContent().toByteArray());
    }
  }
}
