package io.keel.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keel.client.CreateMode;
import io.keel.client.CreateOptions;
import io.keel.client.KeelClient;
import io.keel.client.Stat;
import io.keel.testing.KeelTestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The tree commands (deleteall, sync, getAllChildrenNumber, getEphemerals), data from stdin, and
 * the watch commands (get -w, ls -w, watch) against a real 3-node cluster.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class KeelCliWatchTest {
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  static KeelTestCluster cluster;
  static KeelClient client;

  @BeforeAll
  static void start() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).build();
    cluster.awaitLeader(Duration.ofSeconds(60));
    client = KeelClient.builder(cluster.connectString()).requestTimeout(DEADLINE).build();
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

  static Cli.Result ok(String... args) {
    Cli.Result r = Cli.against(cluster.connectString(), args);
    assertEquals(0, r.exitCode(), () -> String.join(" ", args) + "\n" + r);
    assertEquals("", r.err(), () -> String.join(" ", args) + "\n" + r);
    return r;
  }

  static Cli.Result fails(int exitCode, String errStart, String... args) {
    Cli.Result r = Cli.against(cluster.connectString(), args);
    assertEquals(exitCode, r.exitCode(), () -> String.join(" ", args) + "\n" + r);
    assertEquals(1, r.errLines().size(), r::toString);
    assertTrue(r.err().startsWith(errStart), r::toString);
    return r;
  }

  static void create(String path, String data) {
    client.create(path, data.getBytes(StandardCharsets.UTF_8), CreateMode.PERSISTENT);
  }

  static Stat set(String path, String data) {
    return client.setData(path, data.getBytes(StandardCharsets.UTF_8), -1);
  }

  static List<String> lines(String s) {
    return s.isEmpty() ? List.of() : List.of(s.split("\n"));
  }

  /** Waits (bounded) until the condition holds. */
  static void await(BooleanSupplier condition, String what) {
    org.awaitility.Awaitility.await(what).atMost(DEADLINE).until(condition::getAsBoolean);
  }

  /** Waits until the condition holds or {@code timeout} passed; whether it holds. */
  static boolean awaitUpTo(BooleanSupplier condition, Duration timeout) {
    try {
      org.awaitility.Awaitility.await().atMost(timeout).until(condition::getAsBoolean);
      return true;
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      return false;
    }
  }

  static String hex(long zxid) {
    return "0x" + Long.toHexString(zxid);
  }

  @Test
  void deleteallDeletesTheSubtree() throws Exception {
    create("/da", "");
    create("/da/a", "");
    create("/da/a/b", "");
    create("/da/c", "");
    assertEquals("", ok("deleteall", "/da").out());
    assertFalse(client.exists("/da").isPresent());

    create("/dj", "");
    create("/dj/a", "");
    create("/dj/a/b", "");
    JsonNode j = JSON.readTree(ok("-o", "json", "deleteall", "/dj").out());
    assertEquals("/dj", j.get("path").asText());
    assertEquals(3, j.get("deleted").asLong());
    assertFalse(client.exists("/dj").isPresent());

    fails(ExitCodes.NO_NODE, "keel: NONODE", "deleteall", "/da");
    fails(ExitCodes.USAGE, "keel: cannot delete /", "deleteall", "/");
  }

  @Test
  void syncChildrenNumberEphemerals() throws Exception {
    create("/gc", "");
    create("/gc/a", "");
    create("/gc/a/b", "");
    create("/gc/c", "");
    assertEquals("Sync is OK\n", ok("sync", "/gc").out());
    assertTrue(JSON.readTree(ok("-o", "json", "sync", "/gc").out()).get("synced").asBoolean());
    assertEquals("Sync is OK\n", ok("sync", "/gc/none").out(), "as ZooKeeper's, on any valid path");

    assertEquals("3\n", ok("getAllChildrenNumber", "/gc").out());
    assertEquals("0\n", ok("getAllChildrenNumber", "/gc/c").out());
    JsonNode n = JSON.readTree(ok("getAllChildrenNumber", "/gc", "-o", "json").out());
    assertEquals("/gc", n.get("path").asText());
    assertEquals(3, n.get("count").asLong());
    fails(ExitCodes.NO_NODE, "keel: NONODE", "getAllChildrenNumber", "/gc/none");

    // The command's own session is new: it owns no ephemerals (ZooKeeper's behaviour too).
    client.create("/gc/eph", new byte[0], CreateMode.EPHEMERAL);
    assertEquals("[]\n", ok("getEphemerals").out());
    assertEquals("[]\n", ok("getEphemerals", "/gc").out());
    JsonNode e = JSON.readTree(ok("-o", "json", "getEphemerals").out());
    assertEquals("/", e.get("prefix").asText());
    assertEquals(0, e.get("paths").size());
    assertEquals(List.of("/gc/eph"), client.getEphemerals("/gc"));
  }

  @Test
  void dataFromStdin() {
    byte[] binary = {0, (byte) 0xff, 'a', '\n'};
    Cli.Result r = Cli.againstWithInput(cluster.connectString(), binary, "create", "/in", "-");
    assertEquals(0, r.exitCode(), r::toString);
    assertEquals("Created /in\n", r.out());
    assertArrayEquals(binary, client.getData("/in").data());

    byte[] text = "line 1\nline 2\n".getBytes(StandardCharsets.UTF_8);
    r = Cli.againstWithInput(cluster.connectString(), text, "set", "/in", "-");
    assertEquals(0, r.exitCode(), r::toString);
    assertArrayEquals(text, client.getData("/in").data());
  }

  @Test
  void getWaitsForTheWatchEvent() throws Exception {
    create("/gw", "v1");
    Cli.Background bg = Cli.start(cluster.connectString(), "get", "-w", "/gw");
    await(() -> bg.out().equals("v1\n"), "the data");
    Stat s = set("/gw", "v2");
    Cli.Result r = bg.await(DEADLINE);
    assertEquals(0, r.exitCode(), r::toString);
    assertEquals("", r.err(), r::toString);
    assertEquals(List.of("v1", "WATCHER:: WatchedEvent state:SyncConnected type:NodeDataChanged "
        + "path:/gw zxid:" + hex(s.mzxid())), lines(r.out()));
  }

  @Test
  void lsWaitsForTheWatchEventAsJson() throws Exception {
    create("/lw", "");
    Cli.Background bg = Cli.start(cluster.connectString(), "-o", "json", "ls", "-w", "/lw");
    await(() -> bg.out().endsWith("\n"), "the listing");
    long zxid = client.create("/lw/x", new byte[0], CreateMode.PERSISTENT, CreateOptions.DEFAULT)
        .stat().czxid();
    Cli.Result r = bg.await(DEADLINE);
    assertEquals(0, r.exitCode(), r::toString);
    List<String> out = lines(r.out());
    assertEquals(2, out.size(), r::toString);
    assertEquals(0, JSON.readTree(out.get(0)).get("children").size());
    JsonNode event = JSON.readTree(out.get(1));
    assertEquals("NodeChildrenChanged", event.get("type").asText());
    assertEquals("/lw", event.get("path").asText());
    assertEquals(zxid, event.get("zxid").asLong());
  }

  @Test
  void waitTimeoutExitsWithTheTimeoutCode() {
    create("/wt", "v");
    Cli.Result r = Cli.against(cluster.connectString(), "get", "-w", "--wait-timeout", "200ms", "/wt");
    assertEquals(ExitCodes.CONNECTION, r.exitCode(), r::toString);
    assertEquals("v\n", r.out());
    assertEquals(1, r.errLines().size(), r::toString);
    assertTrue(r.err().startsWith("keel: OPERATIONTIMEOUT"), r::toString);

    r = Cli.against(cluster.connectString(), "ls", "-w", "--wait-timeout", "100ms", "/wt");
    assertEquals(ExitCodes.CONNECTION, r.exitCode(), r::toString);
    assertEquals("[]\n", r.out());

    fails(ExitCodes.USAGE, "keel: --wait-timeout needs -w", "get", "--wait-timeout", "1s", "/wt");
    fails(ExitCodes.USAGE, "keel: -R cannot be combined with -w", "ls", "-R", "-w", "/wt");
  }

  private static final Pattern LINE = Pattern.compile("(\\w+) (\\S+) 0x([0-9a-f]+)");

  @Test
  void watchPrintsCountEventsThenExits() throws Exception {
    create("/wc", "0");
    Cli.Background bg = Cli.start(cluster.connectString(), "watch", "--count", "2", "/wc");
    // Nothing says when the watch is set: change the node until the command has seen two.
    Set<String> zxids = new HashSet<>();
    long end = System.nanoTime() + DEADLINE.toNanos();
    for (int i = 1; bg.isRunning() && System.nanoTime() < end; i++) {
      zxids.add(hex(set("/wc", "" + i).mzxid()));
      int seen = lines(bg.out()).size();
      awaitUpTo(() -> !bg.isRunning() || lines(bg.out()).size() > seen, Duration.ofMillis(200));
    }
    Cli.Result r = bg.await(DEADLINE);
    assertEquals(0, r.exitCode(), r::toString);
    assertEquals("", r.err(), r::toString);
    List<String> out = lines(r.out());
    assertEquals(2, out.size(), r::toString);
    long previous = -1;
    for (String line : out) {
      Matcher m = LINE.matcher(line);
      assertTrue(m.matches(), line);
      assertEquals("NodeDataChanged", m.group(1));
      assertEquals("/wc", m.group(2));
      assertTrue(zxids.contains("0x" + m.group(3)), line + " not one of " + zxids);
      long zxid = Long.parseLong(m.group(3), 16);
      assertTrue(zxid > previous, r::toString);
      previous = zxid;
    }
    fails(ExitCodes.USAGE, "keel: --count must be positive", "watch", "--count", "0", "/wc");
  }

  @Test
  void recursiveWatchRunsUntilInterrupted() throws Exception {
    create("/wr", "");
    Cli.Background bg = Cli.start(cluster.connectString(), "watch", "-R", "-o", "json", "/wr");
    long end = System.nanoTime() + DEADLINE.toNanos();
    while (bg.out().isEmpty()) {
      assertTrue(System.nanoTime() < end && bg.isRunning(), () -> "no event: " + bg.out());
      set("/wr", "prime");
      awaitUpTo(() -> !bg.out().isEmpty(), Duration.ofMillis(200));
    }
    long created = client.create("/wr/a", new byte[0], CreateMode.PERSISTENT, CreateOptions.DEFAULT)
        .stat().czxid();
    long changed = set("/wr/a", "x").mzxid();
    client.delete("/wr/a", -1);
    await(() -> bg.out().contains("\"NodeDeleted\""), "the deletion");
    assertTrue(bg.isRunning(), "watch goes on until interrupted");
    bg.interrupt();
    Cli.Result r = bg.await(DEADLINE);
    assertEquals(0, r.exitCode(), r::toString);
    assertEquals("", r.err(), r::toString);

    List<String> below = new ArrayList<>();
    List<Long> zxids = new ArrayList<>();
    for (String line : lines(r.out())) {
      JsonNode e = JSON.readTree(line);
      if (e.get("path").asText().equals("/wr")) {
        assertEquals("NodeDataChanged", e.get("type").asText(), line);
      } else {
        below.add(e.get("type").asText() + " " + e.get("path").asText());
        zxids.add(e.get("zxid").asLong());
      }
    }
    assertEquals(List.of("NodeCreated /wr/a", "NodeDataChanged /wr/a", "NodeDeleted /wr/a"), below);
    assertEquals(created, zxids.get(0));
    assertEquals(changed, zxids.get(1));
    assertTrue(zxids.get(2) > changed);
  }
}
