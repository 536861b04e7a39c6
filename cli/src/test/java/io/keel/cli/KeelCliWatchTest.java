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
  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    if (!awaitUpTo(condition, DEADLINE)) {
      throw new AssertionError("timed out waiting for " + what);
    }
  }

  /** Waits until the condition holds or {@code timeout} passed; whether it holds. */
  static boolean awaitUpTo(BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
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
}
