package io.keel.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Op;
import io.keel.proto.Code;
import io.keel.proto.Response;
import io.keel.server.KeelServer;
import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.retry.RetryPolicies;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input gets its error and changes nothing: the tree is unchanged on every node and the leader
 * keeps its leadership (an oversized entry would make a Ratis leader step down).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BadInputTest {
  static KeelTestCluster cluster;
  static KeelClient client;
  int leaderBefore;
  long termBefore;
  String contentBefore;

  @BeforeAll
  static void start() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).build();
    cluster.awaitLeader(Duration.ofSeconds(60));
    client = KeelClient.connect(cluster.connectString());
    client.create("/exists", "x".getBytes(), CreateMode.PERSISTENT);
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @BeforeEach
  void recordState() throws Exception {
    leaderBefore = cluster.leaderId();
    termBefore = cluster.server(leaderBefore).currentTerm();
    cluster.awaitApplied(client.lastZxid(), Duration.ofSeconds(30));
    contentBefore = ClusterAsserts.contentOf(cluster.server(leaderBefore).stateMachine().tree());
  }

  @AfterEach
  void nothingChanged() throws Exception {
    assertEquals(leaderBefore, cluster.leaderId(), "the leader stepped down");
    assertEquals(termBefore, cluster.server(leaderBefore).currentTerm(), "a new term began");
    ClusterAsserts.assertReplicasEqual(cluster, client.lastZxid());
    for (KeelServer s : cluster.runningServers().values()) {
      assertEquals(contentBefore, ClusterAsserts.contentOf(s.stateMachine().tree()), "the tree changed");
    }
  }

  static Stream<String> invalidPaths() {
    return Stream.of("", "no-slash", "/trailing/", "/a//b", "/a/./b", "/a/../b", "/.", "/..",
        "/ctl\u0001char", "/del\u007fchar", "/nul\u0000");
  }

  @ParameterizedTest
  @MethodSource("invalidPaths")
  void invalidPathsAreRefusedWithTheRuleNamed(String path) {
    KeelException e = assertThrows(KeelException.BadArgumentsException.class,
        () -> client.create(path, null, CreateMode.PERSISTENT));
    assertTrue(e.getMessage().contains("path") || e.getMessage().contains("Path"), e.getMessage());
    assertThrows(KeelException.BadArgumentsException.class, () -> client.setData(path, null, -1));
    assertThrows(KeelException.BadArgumentsException.class, () -> client.delete(path, -1));
    assertThrows(KeelException.BadArgumentsException.class, () -> client.getData(path));
  }

  @Test
  void dataOverMaxDataBytesIsRefusedNamingTheLimit() {
    byte[] twoMiB = new byte[2 * 1024 * 1024];
    KeelException e = assertThrows(KeelException.BadArgumentsException.class,
        () -> client.create("/big", twoMiB, CreateMode.PERSISTENT));
    assertTrue(e.getMessage().contains("maxDataBytes"), e.getMessage());
    assertThrows(KeelException.BadArgumentsException.class, () -> client.setData("/exists", twoMiB, -1));
  }

  @Test
  void dataOverRatisOwnEntryLimitIsRefusedWithoutALeaderChange() {
    byte[] fiveMiB = new byte[5 * 1024 * 1024];
    KeelException e = assertThrows(KeelException.BadArgumentsException.class,
        () -> client.create("/huge", fiveMiB, CreateMode.PERSISTENT));
    assertTrue(e.getMessage().contains("exceeds"), e.getMessage());
  }

  @Test
  void aMultiWhoseOpsFitButWhoseTotalDoesNotIsRefused() {
    List<Op> ops = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ops.add(Op.create("/part" + i, new byte[900 * 1024], CreateMode.PERSISTENT));
    }
    KeelException e = assertThrows(KeelException.BadArgumentsException.class, () -> client.multi(ops));
    assertTrue(e.getMessage().contains("exceeds"), e.getMessage());
  }

  @Test
  void wrongVersionsAreRefused() {
    assertThrows(KeelException.BadVersionException.class, () -> client.setData("/exists", null, 7));
    assertThrows(KeelException.BadVersionException.class, () -> client.delete("/exists", 7));
    assertThrows(KeelException.BadArgumentsException.class, () -> client.setData("/exists", null, -2));
    assertThrows(KeelException.NoNodeException.class, () -> client.setData("/missing", null, -1));
    assertThrows(KeelException.NodeExistsException.class,
        () -> client.create("/exists", null, CreateMode.PERSISTENT));
  }

  @Test
  void malformedBytesSentStraightToTheServerAreRefused() throws Exception {
    byte[] garbage = {(byte) 0xFF, 0x01, 0x02, (byte) 0x80, (byte) 0x80};
    try (RaftClient raw = RaftClient.newBuilder()
        .setRaftGroup(cluster.server(leaderBefore).group())
        .setProperties(new RaftProperties())
        .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(3,
            org.apache.ratis.util.TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
        .build()) {
      Exception writeFailure = assertThrows(Exception.class,
          () -> raw.io().send(Message.valueOf(org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(garbage))));
      Throwable cause = writeFailure;
      while (cause != null && !(cause instanceof StateMachineException)) {
        cause = cause.getCause();
      }
      assertTrue(cause instanceof StateMachineException, String.valueOf(writeFailure));
      assertTrue(cause.getMessage().contains("MARSHALLINGERROR"), cause.getMessage());
      assertTrue(cause.getMessage().contains("malformed write request"), cause.getMessage());

      RaftClientReply read = raw.io().sendReadOnly(
          Message.valueOf(org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(garbage)));
      Response r = Response.parseFrom(read.getMessage().getContent().toByteArray());
      assertEquals(Code.MARSHALLINGERROR, r.getErr());

      // A well-formed message with no operation in it.
      RaftClientReply empty = raw.io().sendReadOnly(Message.EMPTY);
      assertEquals(Code.BADARGUMENTS, Response.parseFrom(empty.getMessage().getContent().toByteArray()).getErr());
    }
    // The server still works for everyone else.
    assertEquals(1, client.getData("/exists").data().length);
  }

  @Test
  void badClientSettingsAreRefusedBeforeConnecting() {
    assertThrows(KeelException.BadArgumentsException.class, () -> KeelClient.connect("not a host"));
    assertThrows(KeelException.BadArgumentsException.class,
        () -> KeelClient.builder(cluster.connectString()).requestTimeout(Duration.ZERO));
  }

  @Test
  void unreachableServersGiveConnectionLossNamingThem() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    KeelException e = assertThrows(KeelException.ConnectionLossException.class,
        () -> KeelClient.builder("127.0.0.1:" + port).connectTimeout(Duration.ofSeconds(2)).build());
    assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
  }
}
