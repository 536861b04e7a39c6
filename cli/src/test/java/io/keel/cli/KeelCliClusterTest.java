package io.keel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code cluster ...} and {@code snapshot create} against a 3-voter + 1-observer cluster with one
 * spare node (5, configured but not a member). Every test leaves the membership as it found it.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class KeelCliClusterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static KeelTestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).observers(1).spares(1).build();
    cluster.awaitLeader(Duration.ofSeconds(60));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static Cli.Result keel(String... args) {
    return Cli.against(cluster.address(1), args);
  }

  static Cli.Result ok(String... args) {
    Cli.Result r = keel(args);
    assertEquals(0, r.exitCode(), r::toString);
    assertEquals("", r.err(), r::toString);
    return r;
  }

  static JsonNode statusJson() throws Exception {
    Cli.Result r = keel("cluster", "status", "-o", "json");
    assertTrue(r.exitCode() == 0 || r.exitCode() == 10, r::toString);
    return JSON.readTree(r.out());
  }

  static void awaitStatus(String what, java.util.function.Predicate<JsonNode> condition) {
    Awaitility.await(what).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
        .until(KeelCliClusterTest::statusJson, condition::test);
  }

  static List<Integer> ids(JsonNode status) {
    List<Integer> ids = new ArrayList<>();
    status.get("nodes").forEach(n -> ids.add(n.get("id").asInt()));
    return ids;
  }

  @Test
  void statusPrintsOneRowPerMemberWithItsRole() {
    int leader = cluster.awaitLeader(Duration.ofSeconds(30));
    awaitStatus("all healthy", s -> s.get("healthy").asBoolean());
    Cli.Result r = ok("cluster", "status");
    List<String> lines = List.of(r.out().split("\n"));
    assertTrue(lines.get(0).matches("Leader: node " + leader + ", term \\d+; 4 of 4 nodes reachable"),
        r::toString);
    assertTrue(lines.get(1).matches("ID +ADDRESS +MEMBER +ROLE +TERM +APPLIED +COMMITTED +SNAPSHOT +REACHABLE"),
        r::toString);
    assertEquals(6, lines.size(), r::toString);
    for (int id = 1; id <= 4; id++) {
      String role = id == leader ? "leader" : id == 4 ? "observer" : "follower";
      String member = id == 4 ? "observer" : "voter";
      String row = lines.get(id + 1);
      assertTrue(row.matches(id + " +" + cluster.address(id).replace(".", "\\.") + " +" + member
          + " +" + role + " +\\d+ +\\d+ +\\d+ +(-|\\d+) +yes"), row);
    }
  }

  @Test
  void statusAsJsonNamesTheLeaderAndEveryNodesIndexes() throws Exception {
    int leader = cluster.awaitLeader(Duration.ofSeconds(30));
    awaitStatus("all healthy", s -> s.get("healthy").asBoolean());
    JsonNode s = JSON.readTree(ok("cluster", "status", "-o", "json").out());
    assertEquals(leader, s.get("leader").asInt());
    assertFalse(s.get("changing").asBoolean());
    assertEquals(List.of(1, 2, 3, 4), ids(s));
    for (JsonNode n : s.get("nodes")) {
      assertTrue(n.get("reachable").asBoolean(), n::toString);
      assertEquals(s.get("term").asLong(), n.get("term").asLong(), n::toString);
      assertEquals(leader, n.get("leaderId").asInt(), n::toString);
      assertTrue(n.get("appliedIndex").asLong() > 0, n::toString);
      assertTrue(n.get("committedIndex").asLong() > 0, n::toString);
      assertEquals(n.get("id").asInt() == 4 ? "observer" : "voter", n.get("membership").asText());
      assertTrue(n.get("error").isNull(), n::toString);
    }
  }

  @Test
  void aStoppedNodeShowsUnreachableAndStatusExits10() throws Exception {
    int leader = cluster.awaitLeader(Duration.ofSeconds(30));
    int follower = leader == 2 ? 3 : 2;
    cluster.stop(follower);
    try {
      Cli.Result r = keel("cluster", "status");
      assertEquals(10, r.exitCode(), r::toString);
      assertTrue(r.out().startsWith("Leader: node " + leader + ", term "), r::toString);
      assertTrue(r.out().contains("3 of 4 nodes reachable"), r::toString);
      String row = r.out().lines().filter(l -> l.startsWith(follower + " ")).findFirst().orElseThrow();
      assertTrue(row.matches(follower + " +\\S+ +voter +- +- +- +- +- +no: .+"), row);
      JsonNode s = JSON.readTree(keel("cluster", "status", "-o", "json").out());
      JsonNode down = s.get("nodes").get(follower - 1);
      assertEquals("unreachable", down.get("role").asText());
      assertFalse(down.get("reachable").asBoolean());
      assertTrue(down.get("appliedIndex").isNull());
      assertFalse(s.get("healthy").asBoolean());
    } finally {
      cluster.start(follower);
    }
    awaitStatus("all healthy again", s -> s.get("healthy").asBoolean());
  }

  @Test
  void noReachableServerIsExit7OnOneLine() {
    Cli.Result r = Cli.run("--servers", "127.0.0.1:1", "--timeout", "1s", "cluster", "status");
    assertEquals(7, r.exitCode(), r::toString);
    assertEquals(1, r.errLines().size(), r::toString);
    assertTrue(r.err().startsWith("keel: "), r::toString);
  }

  @Test
  void snapshotCreatePrintsTheIndexItCovers() throws Exception {
    ok("create", "/snapshot-me", "x");
    long czxid = JSON.readTree(ok("stat", "/snapshot-me", "-o", "json").out())
        .get("stat").get("czxid").asLong() >>> 16;
    awaitStatus("all applied the create", st -> {
      for (JsonNode n : st.get("nodes")) {
        if (n.get("appliedIndex").asLong() < czxid) {
          return false;
        }
      }
      return true;
    });
    Cli.Result one = ok("snapshot", "create", "2");
    assertTrue(one.out().matches("Node 2: snapshot at index \\d+ \\(zxid 0x[0-9a-f]+\\)\n"), one::toString);
    long index = Long.parseLong(one.out().split(" ")[5]);
    assertTrue(index >= czxid, one::toString);
    JsonNode node2 = statusJson().get("nodes").get(1);
    assertEquals(index, node2.get("snapshotIndex").asLong());

    JsonNode all = JSON.readTree(ok("snapshot", "create", "-o", "json").out());
    assertEquals(4, all.get("snapshots").size(), all::toString);
    for (JsonNode s : all.get("snapshots")) {
      assertTrue(s.get("snapshotIndex").asLong() >= czxid, all::toString);
    }

    Cli.Result missing = keel("snapshot", "create", "9");
    assertEquals(2, missing.exitCode(), missing::toString);
    assertTrue(missing.err().contains("node 9 is not a member"), missing::toString);
    assertEquals(2, keel("snapshot", "create", "-1").exitCode());
  }

  @Test
  void transferLeaderMovesLeadership() throws Exception {
    int leader = cluster.awaitLeader(Duration.ofSeconds(30));
    int target = leader % 3 + 1;
    assertEquals("Node " + target + " is the leader\n", ok("cluster", "transfer-leader", "" + target).out());
    awaitStatus("leader " + target, s -> s.get("leader").asInt() == target);

    Cli.Result toObserver = keel("cluster", "transfer-leader", "4");
    assertEquals(2, toObserver.exitCode(), toObserver::toString);
    assertTrue(toObserver.err().contains("node 4 is an observer"), toObserver::toString);
  }

  @Test
  void membershipChangesAddRemovePromoteAndDemote() throws Exception {
    cluster.start(5);
    try {
      assertEquals("Added node 5 (" + cluster.address(5) + ") as a voter\n",
          ok("cluster", "add", "5", cluster.address(5)).out());
      awaitStatus("5 voters healthy", s -> ids(s).equals(List.of(1, 2, 3, 4, 5)) && s.get("healthy").asBoolean());
      JsonNode removed = JSON.readTree(ok("cluster", "remove", "5", "-o", "json").out());
      assertEquals("remove", removed.get("change").asText());
      assertEquals(5, removed.get("id").asInt());
      awaitStatus("node 5 gone", s -> ids(s).equals(List.of(1, 2, 3, 4)));
    } finally {
      cluster.stop(5);
    }

    assertEquals("Node 4 is now a voter\n", ok("cluster", "promote", "4").out());
    awaitStatus("4 a voter", s -> s.get("nodes").get(3).get("membership").asText().equals("voter"));
    assertEquals("Node 4 is now an observer\n", ok("cluster", "demote", "4").out());
    awaitStatus("4 an observer", s -> s.get("nodes").get(3).get("membership").asText().equals("observer"));
    // A demoted node takes the observer role when it restarts.
    cluster.restart(4);
    awaitStatus("4 observing", s -> s.get("nodes").get(3).get("role").asText().equals("observer")
        && s.get("healthy").asBoolean());
  }

  @Test
  void badMembershipChangesAreUsageErrorsAndChangeNothing() throws Exception {
    String[][] bad = {
        {"cluster", "add", "1", "127.0.0.1:1"},
        {"cluster", "add", "7", "not-an-address"},
        {"cluster", "remove", "9"},
        {"cluster", "remove", "x"},
        {"cluster", "promote", "1"},
        {"cluster", "demote", "4"},
        {"cluster", "add", "0", "127.0.0.1:1"},
        {"cluster"},
        {"snapshot"},
    };
    for (String[] args : bad) {
      Cli.Result r = keel(args);
      assertEquals(2, r.exitCode(), r::toString);
      assertEquals(1, r.errLines().size(), r::toString);
      assertTrue(r.err().startsWith("keel: "), r::toString);
    }
    assertEquals(List.of(1, 2, 3, 4), ids(statusJson()));
  }
}
