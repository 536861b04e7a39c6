package io.keel.front;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.testing.KeelTestCluster;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.jute.BinaryInputArchive;
import org.apache.jute.BinaryOutputArchive;
import org.apache.jute.Record;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.proto.ConnectRequest;
import org.apache.zookeeper.proto.ConnectResponse;
import org.apache.zookeeper.proto.ExistsRequest;
import org.apache.zookeeper.proto.ReplyHeader;
import org.apache.zookeeper.proto.RequestHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bytes no ZooKeeper client would send, on a client port: the connection that sent them gets an
 * error or is closed, and the server, its other sessions, the tree and the leadership are untouched.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@SuppressWarnings("try")  // ZooKeeper.close() declares InterruptedException
class FrontBadInputTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static KeelTestCluster cluster;
  private static int node;
  private static long term;

  @BeforeAll
  static void start() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).build();
    int leader = cluster.awaitLeader(Duration.ofSeconds(60));
    term = cluster.server(leader).currentTerm();
    // The leader's own front: a client's bytes must not make it step down.
    node = leader;
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      try {
        assertServing();
      } finally {
        cluster.close();
      }
    }
  }

  private static Socket open() throws IOException {
    String[] hp = cluster.clientAddress(node).split(":");
    Socket s = new Socket(hp[0], Integer.parseInt(hp[1]));
    s.setSoTimeout((int) WAIT.toMillis());
    return s;
  }

  private static byte[] frame(Record... records) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    BinaryOutputArchive out = BinaryOutputArchive.getArchive(body);
    for (Record r : records) {
      r.serialize(out, "r");
    }
    ByteArrayOutputStream framed = new ByteArrayOutputStream();
    new DataOutputStream(framed).writeInt(body.size());
    body.writeTo(framed);
    return framed.toByteArray();
  }

  /** True once the server has closed the connection (end of stream or reset). */
  private static boolean closedByServer(Socket s) throws IOException {
    try {
      while (s.getInputStream().read() >= 0) {
        // drain whatever it sent before closing
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;  // reset
    }
  }

  private static DataInputStream handshake(Socket s) throws IOException {
    s.getOutputStream().write(frame(new ConnectRequest(0, 0, 10_000, 0, new byte[16], false)));
    DataInputStream in = new DataInputStream(s.getInputStream());
    byte[] reply = new byte[in.readInt()];
    in.readFully(reply);
    ConnectResponse r = new ConnectResponse();
    r.deserialize(BinaryInputArchive.getArchive(new java.io.ByteArrayInputStream(reply)), "r");
    assertTrue(r.getSessionId() != 0 && r.getTimeOut() > 0, "a session was opened: " + r);
    return in;
  }

  private static ReplyHeader readReply(DataInputStream in) throws IOException {
    byte[] reply = new byte[in.readInt()];
    in.readFully(reply);
    ReplyHeader h = new ReplyHeader();
    h.deserialize(BinaryInputArchive.getArchive(new java.io.ByteArrayInputStream(reply)), "h");
    return h;
  }

  @Test
  void garbageInsteadOfAConnectRequestClosesTheConnection() throws Exception {
    byte[] junk = new byte[64];
    ThreadLocalRandom.current().nextBytes(junk);
    try (Socket s = open()) {
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      out.writeInt(junk.length);
      out.write(junk);
      assertTrue(closedByServer(s));
    }
  }

  @Test
  void framesLongerThanTheLimitOrNegativeCloseTheConnection() throws Exception {
    for (int length : new int[] {Integer.MAX_VALUE, 64 << 20, -5}) {
      try (Socket s = open()) {
        handshake(s);
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        out.writeInt(length);
        out.write(new byte[1024]);
        assertTrue(closedByServer(s), "length " + length);
      }
    }
  }

  @Test
  void anHttpRequestOrAFourLetterWordIsRefused() throws Exception {
    for (String text : new String[] {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "ruok"}) {
      try (Socket s = open()) {
        s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        s.shutdownOutput();
        assertTrue(closedByServer(s), text);
      }
    }
  }

  @Test
  void aTruncatedFrameOnlyEndsItsOwnConnection() throws Exception {
    try (Socket s = open()) {
      handshake(s);
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      out.writeInt(1000);
      out.write(new byte[10]);
    }
    assertServing();
  }

  @Test
  void anUnknownRequestTypeIsAnsweredUnimplementedAndTheSessionGoesOn() throws Exception {
    try (Socket s = open()) {
      DataInputStream in = handshake(s);
      s.getOutputStream().write(frame(new RequestHeader(1, 999)));
      ReplyHeader unknown = readReply(in);
      assertEquals(1, unknown.getXid());
      assertEquals(-6, unknown.getErr(), "UNIMPLEMENTED");
      s.getOutputStream().write(frame(new RequestHeader(2, OpCodes.EXISTS), new ExistsRequest("/", false)));
      ReplyHeader exists = readReply(in);
      assertEquals(2, exists.getXid());
      assertEquals(0, exists.getErr());
    }
  }

  @Test
  void aRecordThatDoesNotMatchItsTypeClosesTheConnection() throws Exception {
    try (Socket s = open()) {
      handshake(s);
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      // getData whose path claims two billion bytes.
      out.writeInt(12);
      out.writeInt(3);
      out.writeInt(OpCodes.GET_DATA);
      out.writeInt(Integer.MAX_VALUE - 1);
      assertTrue(closedByServer(s));
    }
  }

  @Test
  void invalidPathsAndOversizedDataAreUserErrors() throws Exception {
    try (ZooKeeper zk = ZooKeeperClientTest.connect(cluster.clientAddress(node), null)) {
      byte[] big = new byte[cluster.config(node).maxDataBytes() + 1];
      org.apache.zookeeper.KeeperException e = org.junit.jupiter.api.Assertions.assertThrows(
          org.apache.zookeeper.KeeperException.class,
          () -> zk.create("/big", big, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
      assertEquals(org.apache.zookeeper.KeeperException.Code.BADARGUMENTS, e.code());
      org.junit.jupiter.api.Assertions.assertThrows(org.apache.zookeeper.KeeperException.BadArgumentsException.class,
          () -> zk.setData("/", big, -1));
    }
    assertServing();
  }

  /** The node still serves a ZooKeeper client, and nobody stepped down. */
  private static void assertServing() throws Exception {
    try (ZooKeeper zk = ZooKeeperClientTest.connect(cluster.clientAddress(node), null)) {
      String p = "/alive-" + System.nanoTime();
      zk.create(p, "ok".getBytes(StandardCharsets.UTF_8), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
      assertArrayEquals("ok".getBytes(StandardCharsets.UTF_8), zk.getData(p, false, null));
      zk.delete(p, -1);
    }
    assertEquals(node, cluster.awaitLeader(WAIT));
    assertEquals(term, cluster.server(node).currentTerm(), "the leader never stepped down");
  }
}
