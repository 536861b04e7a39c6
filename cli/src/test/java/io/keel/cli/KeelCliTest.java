package io.keel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.testing.KeelTestCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Every data command against a real 3-node cluster: outputs, and exit codes of each error class. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class KeelCliTest {
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

  static Cli.Result ok(String... args) {
    Cli.Result r = keel(args);
    assertEquals(0, r.exitCode(), () -> String.join(" ", args) + "\n" + r);
    assertEquals("", r.err(), () -> String.join(" ", args) + "\n" + r);
    return r;
  }

  /** A failure: the exit code of its class, one "keel: CODE for path: ..." line, no stack trace. */
  static Cli.Result fails(int exitCode, String errStart, String... args) {
    Cli.Result r = keel(args);
    assertEquals(exitCode, r.exitCode(), () -> String.join(" ", args) + "\n" + r);
    assertEquals(1, r.errLines().size(), r::toString);
    assertTrue(r.err().startsWith(errStart), r::toString);
    assertEquals("", r.out(), r::toString);
    return r;
  }

  static List<String> lines(String s) {
    return List.of(s.split("\n"));
  }

  @Test
  void getAclAndSetAclUseZkClisText() throws Exception {
    ok("create", "/acl", "x");
    assertEquals("'world,'anyone\n: cdrwa\n", ok("getAcl", "/acl").out());
    assertEquals("", ok("setAcl", "/acl", "world:anyone:r,digest:bob:c2VjcmV0:cdrwa").out());
    assertEquals("'world,'anyone\n: r\n'digest,'bob:c2VjcmV0\n: cdrwa\n",
        ok("getAcl", "/acl").out());
    List<String> withStat = lines(ok("getAcl", "-s", "/acl").out());
    assertTrue(withStat.contains("aclVersion = 1"), withStat::toString);

    var json = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(ok("-o", "json", "getAcl", "/acl").out());
    assertEquals("r", json.get("acl").get(0).get("perms").asText());
    assertEquals("bob:c2VjcmV0", json.get("acl").get(1).get("id").asText());
    assertEquals(1, json.get("stat").get("aversion").asInt());

    fails(ExitCodes.BAD_VERSION, "keel: BADVERSION for /acl", "setAcl", "-v", "0", "/acl",
        "world:anyone:cdrwa");
    fails(ExitCodes.USAGE, "keel: ACL entry 'world:anyone' is not scheme:id:perms", "setAcl",
        "/acl", "world:anyone");
    fails(ExitCodes.USAGE, "keel: ACL entry 'world:anyone:rx' has permission 'x'", "setAcl",
        "/acl", "world:anyone:rx");
    fails(ExitCodes.NO_NODE, "keel: NONODE for /no-acl", "getAcl", "/no-acl");
    ok("create", "/acl-born", "", "ip:10.0.0.1:cdrwa,world:anyone:r");
    assertEquals("'ip,'10.0.0.1\n: cdrwa\n'world,'anyone\n: r\n", ok("getAcl", "/acl-born").out());
    fails(ExitCodes.USAGE, "keel: ACL entry 'anyone' is not scheme:id:perms", "create", "/acl-bad",
        "x", "anyone");
    fails(ExitCodes.NO_NODE, "keel: NONODE for /acl-bad", "get", "/acl-bad");
    // Refused changes changed nothing.
    assertTrue(ok("getAcl", "/acl").out().startsWith("'world,'anyone\n: r\n"));
  }

  @Test
  void createGetSetStatDelete() {
    assertEquals("Created /crud\n", ok("create", "/crud", "hello").out());
    assertEquals("hello\n", ok("get", "/crud").out());
    assertEquals("", ok("set", "/crud", "world").out());

    List<String> got = lines(ok("get", "-s", "/crud").out());
    assertEquals("world", got.get(0));
    assertStat(got.subList(1, got.size()), 1, 5, 0);

    assertStat(lines(ok("stat", "/crud").out()), 1, 5, 0);
    assertStat(lines(ok("set", "-s", "-v", "1", "/crud", "again").out()), 2, 5, 0);

    assertEquals("", ok("delete", "-v", "2", "/crud").out());
    fails(ExitCodes.NO_NODE, "keel: NONODE for /crud", "get", "/crud");
    fails(ExitCodes.NO_NODE, "keel: NONODE for /crud", "stat", "/crud");
  }

  /** zkCli's stat lines, in zkCli's order. */
  static void assertStat(List<String> stat, int version, int dataLength, int numChildren) {
    assertEquals(11, stat.size(), stat::toString);
    List<String> keys = List.of("cZxid", "ctime", "mZxid", "mtime", "pZxid", "cversion",
        "dataVersion", "aclVersion", "ephemeralOwner", "dataLength", "numChildren");
    for (int i = 0; i < keys.size(); i++) {
      assertTrue(stat.get(i).startsWith(keys.get(i) + " = "), stat::toString);
    }
    assertTrue(stat.get(0).matches("cZxid = 0x[0-9a-f]+"), stat::toString);
    assertEquals("dataVersion = " + version, stat.get(6));
    assertEquals("ephemeralOwner = 0x0", stat.get(8));
    assertEquals("dataLength = " + dataLength, stat.get(9));
    assertEquals("numChildren = " + numChildren, stat.get(10));
  }

  @Test
  void lsPrintsChildrenLikeZkCli() {
    ok("create", "/ls");
    assertEquals("[]\n", ok("ls", "/ls").out());
    ok("create", "/ls/b", "2");
    ok("create", "/ls/a", "1");
    ok("create", "/ls/a/deep");
    assertEquals("[a, b]\n", ok("ls", "/ls").out());
    List<String> withStat = lines(ok("ls", "-s", "/ls").out());
    assertEquals("[a, b]", withStat.get(0));
    assertEquals("numChildren = 2", withStat.get(withStat.size() - 1));
    assertEquals("/ls\n/ls/a\n/ls/b\n/ls/a/deep\n", ok("ls", "-R", "/ls").out());
    assertTrue(ok("ls", "/").out().contains("ls"));
    fails(ExitCodes.NO_NODE, "keel: NONODE for /nothing", "ls", "/nothing");
  }

  @Test
  void createModes() {
    ok("create", "/modes");
    assertEquals("Created /modes/s-0000000000\n", ok("create", "-s", "/modes/s-").out());
    assertEquals("Created /modes/t-0000000001\n", ok("create", "-s", "/modes/t-").out());

    ok("create", "-c", "/modes/container");
    List<String> container = lines(ok("stat", "/modes/container").out());
    assertFalse(container.get(8).equals("ephemeralOwner = 0x0"), container::toString);

    ok("create", "-t", "60000", "/modes/ttl");
    assertEquals("ephemeralOwner = 0xff0000000000ea60",
        lines(ok("stat", "/modes/ttl").out()).get(8));

    // The command's session closes when it exits: its ephemeral goes with it.
    assertEquals("Created /modes/eph\n", ok("create", "-e", "/modes/eph").out());
    fails(ExitCodes.NO_NODE, "keel: NONODE for /modes/eph", "get", "/modes/eph");
    assertTrue(ok("create", "-e", "-s", "/modes/es-").out().startsWith("Created /modes/es-"));
  }

  @Test
  void dataFromAFile() throws Exception {
    Path f = Files.write(dir.resolve("data.txt"), "from a file\nline 2".getBytes(StandardCharsets.UTF_8));
    ok("create", "/file", "--file", f.toString());
    assertEquals("from a file\nline 2\n", ok("get", "/file").out());
    Files.writeString(f, "second");
    ok("set", "/file", "--file", f.toString());
    assertEquals("second\n", ok("get", "/file").out());
  }

  @Test
  void jsonOutput() {
    String created = ok("-o", "json", "create", "/json", "v\"1").out();
    assertTrue(created.startsWith("{\"path\":\"/json\",\"stat\":{\"czxid\":"), created);
    String got = ok("get", "/json", "--output", "json").out();
    assertTrue(got.startsWith("{\"path\":\"/json\",\"data\":\"v\\\"1\",\"stat\":{"), got);
    assertTrue(got.contains("\"version\":0,"), got);
    assertEquals(1, lines(got).size());
    String ls = ok("-o", "json", "ls", "/json").out();
    assertTrue(ls.startsWith("{\"path\":\"/json\",\"children\":[],\"stat\":{"), ls);
    String set = ok("-o", "json", "set", "/json", "x").out();
    assertTrue(set.contains("\"version\":1,"), set);
    assertEquals("{\"path\":\"/json\",\"deleted\":true}\n", ok("-o", "json", "delete", "/json").out());
  }

  @Test
  void globalOptionsWorkAfterTheCommand() {
    ok("create", "/late", "x");
    Cli.Result r = Cli.run("get", "/late", "--servers", cluster.connectString(), "--timeout", "30s");
    assertEquals(0, r.exitCode(), r::toString);
    assertEquals("x\n", r.out());
  }

  @Test
  void eachErrorClassHasItsExitCode() {
    ok("create", "/err");
    ok("create", "/err/child");
    fails(ExitCodes.NO_NODE, "keel: NONODE for /err/missing", "get", "/err/missing");
    fails(ExitCodes.NO_NODE, "keel: NONODE", "create", "/err/no/parent");
    fails(ExitCodes.NO_NODE, "keel: NONODE", "delete", "/err/missing");
    fails(ExitCodes.NODE_EXISTS, "keel: NODEEXISTS for /err", "create", "/err");
    fails(ExitCodes.BAD_VERSION, "keel: BADVERSION for /err", "set", "-v", "7", "/err", "x");
    fails(ExitCodes.BAD_VERSION, "keel: BADVERSION for /err/child", "delete", "-v", "3", "/err/child");
    fails(ExitCodes.NOT_EMPTY, "keel: NOTEMPTY for /err", "delete", "/err");
    fails(ExitCodes.USAGE, "keel: BADARGUMENTS", "get", "relative/path");
    fails(ExitCodes.USAGE, "keel: BADARGUMENTS", "create", "/err/trailing/");

    try (KeelClient owner = KeelClient.connect(cluster.connectString())) {
      owner.create("/err/eph", null, CreateMode.EPHEMERAL);
      fails(ExitCodes.OTHER, "keel: NOCHILDRENFOREPHEMERALS", "create", "/err/eph/child");
    }
    assertEquals("", ok("get", "/err").out().strip(), "failed commands changed nothing");
  }

  @Test
  void verbosePrintsTheStackTrace() {
    Cli.Result r = keel("--verbose", "get", "/verbose/missing");
    assertEquals(ExitCodes.NO_NODE, r.exitCode(), r::toString);
    assertTrue(r.err().startsWith("keel: NONODE for /verbose/missing"), r::toString);
    assertTrue(r.err().contains("\tat io.keel."), r::toString);
  }
}
