package io.keel.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.proto.Code;
import io.keel.proto.PathOp;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import io.keel.server.KeelServer;
import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Reads at a minimum index from any member (Ratis stale reads, which Keel's sessions build on)
 * answer once that member has applied the index, on followers and observers alike.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StaleReadTest {

  @Test
  void everyMemberAnswersAReadAtTheWritersZxid() throws Exception {
    try (KeelTestCluster cluster = KeelTestCluster.builder().voters(3).observers(1).build()) {
      cluster.awaitLeader(Duration.ofSeconds(60));
      long zxid;
      try (KeelClient client = KeelClient.connect(cluster.connectString())) {
        client.create("/stale", "fresh".getBytes(), CreateMode.PERSISTENT);
        zxid = client.lastZxid();
      }
      Message read = Message.valueOf(UnsafeByteOperations.unsafeWrap(ReadRequest.newBuilder()
          .setGetData(PathOp.newBuilder().setPath("/stale")).build().toByteArray()));
      KeelServer any = cluster.server(1);
      try (RaftClient raw = RaftClient.newBuilder().setRaftGroup(any.group())
          .setProperties(new RaftProperties())
          .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(50,
              org.apache.ratis.util.TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
          .build()) {
        for (int id : cluster.nodeIds()) {
          RaftClientReply reply = raw.io().sendStaleRead(read, io.keel.tree.Zxids.index(zxid),
              KeelServer.peerId(id));
          Response r = Response.parseFrom(reply.getMessage().getContent().toByteArray());
          assertEquals(Code.OK, r.getErr(), "node " + id);
          assertEquals("fresh", r.getData().getData().toStringUtf8(), "node " + id);
          assertEquals(true, r.getZxid() >= zxid, "node " + id + " answered before applying " + zxid);
        }
      }
    }
  }
}
