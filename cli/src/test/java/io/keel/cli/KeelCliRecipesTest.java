package io.keel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.KeelClient;
import io.keel.recipes.election.LeaderElection;
import io.keel.testing.KeelTestCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** lock, elect and id against a real 3-node cluster. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class KeelCliRecipesTest {
  static KeelTestCluster cluster;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).build();
    cluster.awaitLeader(Duration.ofSeconds(60));
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static Cli.Result keel(String... args) {
    return Cli.against(cluster.connectString(), args);
  }

  static List<String> lines(String s) {
    return List.of(s.split("\n"));
  }

  static void await(String what, java.util.function.BooleanSupplier done) {
    org.awaitility.Awaitility.await(what).atMost(Duration.ofSeconds(60)).until(done::getAsBoolean);
  }

  @Test
  void lockExitsWithTheCommandsStatusAndPassesTheToken() throws Exception {
    Path env = dir.resolve("env");
    Cli.Result r = keel("lock", "/locks/a", "--", "sh", "-c",
        "echo \"$KEEL_LOCK_PATH $KEEL_FENCING_TOKEN\" > '" + env + "'; exit 3");
    assertEquals(3, r.exitCode(), r::toString);
    assertEquals("", r.err(), r::toString);
    String[] seen = Files.readString(env).strip().split(" ");
    assertTrue(seen[0].startsWith("/locks/a/"), seen[0]);
    assertTrue(Long.parseLong(seen[1]) > 0, seen[1]);
    assertEquals(0, keel("lock", "/locks/a", "--", "true").exitCode());
  }

  @Test
  void lockUsageAndCannotRun() {
    Cli.Result r = keel("lock", "/locks/u");
    assertEquals(ExitCodes.USAGE, r.exitCode(), r::toString);
    assertTrue(r.err().startsWith("keel: missing the command"), r::toString);
    r = keel("lock", "/locks/u", "--", "/no/such/command-keel");
    assertEquals(LockCommand.CANNOT_RUN, r.exitCode(), r::toString);
    assertTrue(r.err().startsWith("keel: cannot run /no/such/command-keel"), r::toString);
  }

  @Test
  void concurrentLocksNeverOverlap() throws Exception {
    Path log = dir.resolve("log");
    String script = "echo \"start $1\" >> '" + log + "'; sleep 0.2; echo \"end $1\" >> '" + log + "'";
    List<CompletableFuture<Cli.Result>> runs = List.of("a", "b", "c").stream()
        .map(n -> CompletableFuture.supplyAsync(
            () -> keel("lock", "/locks/overlap", "--", "sh", "-c", script, "sh", n)))
        .toList();
    for (CompletableFuture<Cli.Result> f : runs) {
      Cli.Result r = f.get(120, TimeUnit.SECONDS);
      assertEquals(0, r.exitCode(), r::toString);
    }
    List<String> got = Files.readAllLines(log);
    assertEquals(6, got.size(), got::toString);
    for (int i = 0; i < 6; i += 2) {
      String who = got.get(i).substring("start ".length());
      assertEquals("start " + who, got.get(i), got::toString);
      assertEquals("end " + who, got.get(i + 1), got::toString);
    }
  }

  @Test
  void lockWaitTimeoutGivesUpWithTheTimeoutCode() throws Exception {
    Path started = dir.resolve("started");
    Path release = dir.resolve("release");
    CompletableFuture<Cli.Result> holder = CompletableFuture.supplyAsync(() -> keel("lock",
        "/locks/t", "--", "sh", "-c", "touch '" + started + "'; while [ ! -e '" + release
            + "' ]; do sleep 0.05; done"));
    try {
      await("the holder's command", () -> Files.exists(started));
      Cli.Result r = keel("lock", "--wait-timeout", "300ms", "/locks/t", "--", "true");
      assertEquals(ExitCodes.CONNECTION, r.exitCode(), r::toString);
      assertTrue(r.err().contains("lock not acquired within"), r::toString);
    } finally {
      Files.createFile(release);
    }
    assertEquals(0, holder.get(60, TimeUnit.SECONDS).exitCode());
  }

  @Test
  void lockKillsTheCommandWhenTheSessionIsLost() throws Exception {
    Path started = dir.resolve("started");
    CompletableFuture<Cli.Result> run = CompletableFuture.supplyAsync(() -> keel("lock",
        "--kill-grace", "5s", "/locks/lost", "--", "sh", "-c",
        "echo $$ > '" + started + "'; exec sleep 120"));
    await("the command", () -> Files.exists(started) && !readQuietly(started).isBlank());
    long pid = Long.parseLong(readQuietly(started).strip());
    try (KeelClient c = KeelClient.connect(cluster.connectString())) {
      List<String> nodes = c.getChildren("/locks/lost", Duration.ofSeconds(30));
      assertEquals(1, nodes.size(), nodes::toString);
      long owner = c.exists("/locks/lost/" + nodes.get(0)).orElseThrow().ephemeralOwner();
      cluster.expireSession(owner, Duration.ofSeconds(30));
    }
    Cli.Result r = run.get(120, TimeUnit.SECONDS);
    assertEquals(ExitCodes.SESSION_LOST, r.exitCode(), r::toString);
    assertTrue(r.err().contains("while holding the lock /locks/lost"), r::toString);
    assertTrue(ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true), "command still alive");
  }

  static String readQuietly(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  @Test
  void electCampaignsAndPrintsTheTerm() {
    Cli.Result r = keel("elect", "solo", "--id", "me", "--count", "1");
    assertEquals(0, r.exitCode(), r::toString);
    String[] w = r.out().strip().split(" ");
    assertEquals(List.of("leader", "me", "token"), List.of(w[0], w[1], w[2]), r::toString);
    assertTrue(Long.parseLong(w[3]) > 0, r::toString);

    r = keel("-o", "json", "elect", "/el/solo-json", "--id", "me", "--count", "1");
    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(r.out().startsWith(
        "{\"event\":\"leader\",\"election\":\"/el/solo-json\",\"id\":\"me\",\"token\":"), r::toString);
  }

  @Test
  void electListenSeesLeaderChanges() throws Exception {
    try (KeelClient a = KeelClient.connect(cluster.connectString());
         KeelClient b = KeelClient.connect(cluster.connectString())) {
      LeaderElection first = new LeaderElection(a, "/keel/elections/watched", "first");
      first.start();
      first.awaitLeadership();
      LeaderElection second = new LeaderElection(b, "/keel/elections/watched", "second");
      second.start();
      try {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        CompletableFuture<Integer> listen = CompletableFuture.supplyAsync(() -> {
          picocli.CommandLine cl = KeelCli.newCommandLine();
          cl.setOut(new java.io.PrintWriter(out, true));
          cl.setErr(new java.io.PrintWriter(err, true));
          return cl.execute("--servers", cluster.connectString(), "--timeout", "30s",
              "elect", "watched", "--listen", "--count", "3");
        });
        await("the listener's first line", () -> out.toString().contains("\n"));
        first.close();
        second.awaitLeadership();
        second.close();
        int code = listen.get(120, TimeUnit.SECONDS);
        assertEquals(0, code, () -> out + "\n" + err);
        assertEquals(List.of("leader first", "leader second", "no-leader"), lines(out.toString()),
            () -> out + "\n" + err);
      } finally {
        first.close();
        second.close();
      }
    }
  }

  @Test
  void idNextPrintsIncreasingIds() {
    Cli.Result r = keel("id", "next", "/ids/cli", "--count", "5");
    assertEquals(0, r.exitCode(), r::toString);
    List<Long> ids = lines(r.out()).stream().map(Long::parseLong).toList();
    assertEquals(5, ids.size());
    for (int i = 1; i < ids.size(); i++) {
      assertTrue(ids.get(i) > ids.get(i - 1), ids::toString);
    }
    Cli.Result j = keel("-o", "json", "id", "next", "/ids/cli");
    assertEquals(0, j.exitCode(), j::toString);
    assertTrue(j.out().startsWith("{\"path\":\"/ids/cli\",\"ids\":["), j::toString);
    long next = Long.parseLong(j.out().replaceAll("\\D*(\\d+)\\D*", "$1").strip());
    assertTrue(next > ids.get(4), j::toString);
    assertEquals(ExitCodes.USAGE, keel("id", "next", "/ids/cli", "--count", "0").exitCode());
  }
}
