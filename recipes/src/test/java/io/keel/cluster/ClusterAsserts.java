package io.keel.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keel.proto.Code;
import io.keel.proto.PathOp;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import io.keel.testing.KeelTestCluster;
import io.keel.tree.DataTree;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/** Looks inside each node of a test cluster, below the client. */
final class ClusterAsserts {
  private ClusterAsserts() {}

  /** getData of {@code path} straight from node {@code id}'s tree. */
  static Response readAt(KeelTestCluster cluster, int id, String path) {
    return cluster.server(id).stateMachine().tree()
        .read(ReadRequest.newBuilder().setGetData(PathOp.newBuilder().setPath(path)).build());
  }

  /**
   * Waits until every running node has applied {@code zxid} and the same last entry, then asserts
   * their whole states (nodes, stats, sessions, zxid) are identical.
   */
  static void assertReplicasEqual(KeelTestCluster cluster, long zxid) {
    cluster.awaitApplied(zxid, Duration.ofSeconds(60));
    await("every node applies the same last entry").atMost(Duration.ofSeconds(60)).until(() ->
        cluster.runningServers().values().stream()
            .map(s -> s.stateMachine().getLastAppliedTermIndex().getIndex()).distinct().count() == 1);
    Map<Integer, String> digests = new TreeMap<>();
    cluster.runningServers().forEach((id, s) -> digests.put(id, s.stateMachine().tree().digest()
        + " (zxid " + s.stateMachine().tree().lastZxid() + ")"));
    assertEquals(1, digests.values().stream().distinct().count(), "replicas differ: " + digests);
  }

  /**
   * Every node's path, data and stat, read through the tree's public reads: what users can see,
   * without the zxid of the last entry (failed writes advance it but change no node).
   */
  static String contentOf(DataTree tree) {
    StringBuilder out = new StringBuilder();
    walk(tree, "/", out);
    return out.toString();
  }

  private static void walk(DataTree tree, String path, StringBuilder out) {
    Response data = tree.read(ReadRequest.newBuilder().setGetData(PathOp.newBuilder().setPath(path)).build());
    assertEquals(Code.OK, data.getErr(), path);
    out.append(path).append(' ').append(data.getData().getData().toStringUtf8().hashCode())
        .append(' ').append(data.getData().getStat().toString().replace('\n', ' ')).append('\n');
    Response children = tree.read(ReadRequest.newBuilder().setGetChildren(PathOp.newBuilder().setPath(path)).build());
    for (String child : children.getChildren().getChildrenList()) {
      walk(tree, path.equals("/") ? "/" + child : path + "/" + child, out);
    }
  }
}
