package io.keel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** keel bench with tiny op counts: it runs every type, reports, and leaves nothing behind. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BenchCommandTest {
  static KeelTestCluster cluster;
  static KeelClient client;

  @BeforeAll
  static void start() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).build();
    cluster.awaitLeader(Duration.ofSeconds(60));
    client = KeelClient.connect(cluster.connectString());
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

  @ParameterizedTest
  @ValueSource(strings = {"create", "set", "get", "mixed", "watch", "lock", "id", "id-single"})
  void everyTypeRunsAndCleansUp(String type) {
    String prefix = "/bench-test-" + type;
    Cli.Result r = Cli.against(cluster.connectString(), "bench", "--type", type, "--ops", "60",
        "--clients", "2", "--inflight", "4", "--size", "10", "--prefix", prefix);
    assertEquals(0, r.exitCode(), r::toString);
    assertEquals("", r.err(), r::toString);
    List<String> lines = List.of(r.out().split("\n"));
    assertEquals(3, lines.size(), r::toString);
    assertTrue(lines.get(0).startsWith("keel bench: " + type + ", 2 clients x 4 in flight"), r::toString);
    assertTrue(lines.get(1).matches("throughput: \\d+ ops/s \\(60 ok, 0 failed in \\d+\\.\\d{3} s\\)"),
        r::toString);
    assertTrue(lines.get(2).matches("latency ms: p50 [0-9.]+  p90 [0-9.]+  p99 [0-9.]+  "
        + "p99\\.9 [0-9.]+  max [0-9.]+"), r::toString);
    client.sync(prefix);  // the bench's own clients deleted it: catch up before looking
    assertTrue(client.exists(prefix).isEmpty(), "bench removed " + prefix);
  }

  @Test
  void recipeTypesSayWhatTheyMeasureAndDefaultToOneThread() {
    Cli.Result lock = Cli.against(cluster.connectString(), "bench", "--type", "lock", "--ops", "30",
        "--prefix", "/bench-lock-defaults");
    assertEquals(0, lock.exitCode(), lock::toString);
    // 8 contending clients by default, one thread each.
    assertTrue(lock.out().startsWith("keel bench: lock, 8 clients x 1 in flight, threads acquiring "
        + "and releasing one lock (op: an acquisition, latency: the wait to hold it), 30 ops"),
        lock::toString);
    assertTrue(lock.out().contains("(30 ok, 0 failed"), lock::toString);
    client.sync("/bench-lock-defaults");
    assertTrue(client.exists("/bench-lock-defaults").isEmpty());

    Cli.Result ids = Cli.against(cluster.connectString(), "bench", "--type", "ID", "--ops", "5000",
        "--clients", "2", "--inflight", "3", "--block-size", "100", "--json");
    assertEquals(0, ids.exitCode(), ids::toString);
    String json = ids.out().strip();
    assertTrue(json.startsWith("{\"type\":\"id\",\"clients\":2,\"inflight\":3,\"blockSize\":100,"
        + "\"ops\":5000,\"ok\":5000,\"failed\":0,"), json);
    String prefix = json.replaceAll(".*\"prefix\":\"([^\"]+)\".*", "$1");
    client.sync(prefix);
    assertTrue(client.exists(prefix).isEmpty(), "bench removed " + prefix);

    Cli.Result bad = Cli.against(cluster.connectString(), "bench", "--type", "id", "--block-size", "0");
    assertEquals(ExitCodes.USAGE, bad.exitCode(), bad::toString);
    assertTrue(bad.err().contains("--block-size must be in [1, 2^40], got 0"), bad::toString);
    Cli.Result unknown = Cli.against(cluster.connectString(), "bench", "--type", "queue");
    assertEquals(ExitCodes.USAGE, unknown.exitCode(), unknown::toString);
    assertTrue(unknown.err().contains("id-single"), unknown::toString);
  }

  @Test
  void watchNeedsANodePerOutstandingWrite() {
    // 60 ops make 60 nodes; 4 x 16 outstanding writes would put two on some node, and their
    // events could not be told apart.
    Cli.Result r = Cli.against(cluster.connectString(), "bench", "--type", "watch", "--ops", "60",
        "--clients", "4", "--inflight", "16", "--prefix", "/bench-watch-refused");
    assertEquals(ExitCodes.USAGE, r.exitCode(), r::toString);
    assertEquals("", r.out(), r::toString);
    assertTrue(r.err().startsWith("keel: --type watch needs --clients x --inflight <= 60 "), r::toString);
    assertTrue(r.err().contains("got 4 x 16 = 64"), r::toString);
    assertTrue(client.exists("/bench-watch-refused").isEmpty());

    Cli.Result fits = Cli.against(cluster.connectString(), "bench", "--type", "watch", "--ops", "64",
        "--clients", "4", "--inflight", "16", "--size", "10", "--prefix", "/bench-watch-fits");
    assertEquals(0, fits.exitCode(), fits::toString);
    // Exactly one node per outstanding write: each client cycles through its own 16 nodes.
    assertTrue(fits.out().startsWith("keel bench: watch, 4 clients x 16 in flight, 10-byte data, "
        + "64 ops, under /bench-watch-fits, watched at 127.0.0.1:"), fits::toString);
    assertTrue(fits.out().contains("(64 ok, 0 failed"), fits::toString);
    client.sync("/bench-watch-fits");  // the bench's own clients deleted it: catch up before looking
    assertTrue(client.exists("/bench-watch-fits").isEmpty());
  }

  @Test
  void jsonResultAndDefaultPrefix() {
    Cli.Result r = Cli.against(cluster.connectString(), "bench", "--ops", "20", "--clients", "1",
        "--json");
    assertEquals(0, r.exitCode(), r::toString);
    String json = r.out().strip();
    assertFalse(json.contains("\n"), json);
    assertTrue(json.startsWith("{\"type\":\"create\",\"clients\":1,\"inflight\":32,\"size\":100,"
        + "\"ops\":20,\"ok\":20,\"failed\":0,"), json);
    assertTrue(json.matches(".*\"latencyMs\":\\{\"p50\":[0-9.]+,\"p90\":[0-9.]+,\"p99\":[0-9.]+,"
        + "\"p99\\.9\":[0-9.]+,\"max\":[0-9.]+},\"prefix\":\"/bench-[0-9a-f]{8}\"}"), json);
    String prefix = json.replaceAll(".*\"prefix\":\"([^\"]+)\".*", "$1");
    client.sync(prefix);  // the bench's own clients deleted it: catch up before looking
    assertTrue(client.exists(prefix).isEmpty(), "bench removed " + prefix);
  }

  @Test
  void anExistingPrefixIsRefusedAndLeftAlone() {
    client.create("/taken", null, CreateMode.PERSISTENT);
    client.create("/taken/mine", null, CreateMode.PERSISTENT);
    Cli.Result r = Cli.against(cluster.connectString(), "bench", "--ops", "10", "--prefix", "/taken");
    assertEquals(ExitCodes.NODE_EXISTS, r.exitCode(), r::toString);
    assertTrue(r.err().startsWith("keel: NODEEXISTS for /taken"), r::toString);
    assertEquals(List.of("mine"), client.getChildren("/taken"));
  }

  @Test
  void failedRequestsAreCountedAndSetTheExitCode() {
    // 2 MiB of data is over the server's 1 MiB limit: every create is refused with BADARGUMENTS.
    Cli.Result r = Cli.against(cluster.connectString(), "bench", "--ops", "4", "--clients", "1",
        "--inflight", "2", "--size", String.valueOf(2 << 20), "--prefix", "/bench-too-big");
    assertEquals(ExitCodes.USAGE, r.exitCode(), r::toString);
    assertTrue(r.out().contains("(0 ok, 4 failed"), r::toString);
    assertTrue(r.err().startsWith("keel: bench: 4 of 4 operations failed; first: BADARGUMENTS"),
        r::toString);
    assertTrue(client.exists("/bench-too-big").isEmpty());
  }
}
