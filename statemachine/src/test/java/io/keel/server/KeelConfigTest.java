package io.keel.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.server.KeelConfig.ConfigException;
import io.keel.server.KeelConfig.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A node's config: defaults, and every bad value refused with a message naming its key. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KeelConfigTest {
  static final String MEMBERS = """
      server.1=127.0.0.1:9871
      server.2=127.0.0.1:9872
      server.3=127.0.0.1:9873
      server.4=127.0.0.1:9874:observer
      """;

  static KeelConfig parse(String extra) {
    return KeelConfig.parse("id=1\ndataDir=data/node1\n" + MEMBERS + extra, null);
  }

  @Test
  void defaultsFollowZooKeeper() {
    KeelConfig c = parse("");
    assertEquals(1, c.id());
    assertEquals(Path.of("data/node1"), c.dataDir());
    assertEquals(4, c.members().size());
    assertEquals(Role.OBSERVER, c.members().get(3).role());
    assertEquals(2000, c.tickTime());
    assertEquals(4000, c.minSessionTimeout());
    assertEquals(40000, c.maxSessionTimeout());
    assertEquals(100_000, c.snapCount());
    assertEquals(1024 * 1024, c.maxDataBytes());
    assertEquals(60_000, c.containerCheckIntervalMs());
    assertEquals(10_000, c.watchHistory());
    assertTrue(c.notifyFollowersOfCommits());
    assertEquals("127.0.0.1:9871", c.self().address());
    assertEquals(0, c.clientPort(), "no session front unless asked for");
    assertEquals(1000, c.writeBatchMaxOps());
    assertEquals(1, c.writeBatchesInFlight());
    assertEquals(1, c.replicationBatchWaitMs());
  }

  @Test
  void theSessionFrontsKeys() {
    KeelConfig c = parse("clientPort=2181\nwriteBatchMaxOps=1\nwriteBatchesInFlight=8\nreplicationBatchWaitMs=10\n");
    assertEquals(2181, c.clientPort());
    assertEquals(1, c.writeBatchMaxOps());
    assertEquals(8, c.writeBatchesInFlight());
    assertEquals(10, c.replicationBatchWaitMs());
    assertTrue(c.describe().contains("clientPort=2181"), c.describe());
  }

  @Test
  void sessionTimeoutDefaultsScaleWithTickTime() {
    KeelConfig c = parse("tickTime=100\n");
    assertEquals(200, c.minSessionTimeout());
    assertEquals(2000, c.maxSessionTimeout());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "bogusKey=1                     | unknown config key 'bogusKey'",
      "tickTime=fast                  | 'tickTime'",
      "tickTime=0                     | 'tickTime'",
      "snapCount=-5                   | 'snapCount'",
      "maxDataBytes=99999999999       | 'maxDataBytes'",
      "minSessionTimeout=9000\\nmaxSessionTimeout=8000 | minSessionTimeout",
      "electionTimeoutMinMs=1000\\nelectionTimeoutMaxMs=1000 | electionTimeoutMaxMs",
      "server.x=127.0.0.1:1           | 'server.x'",
      "server.9=127.0.0.1             | 'server.9'",
      "server.9=127.0.0.1:70000       | 'server.9'",
      "server.9=127.0.0.1:99:witness  | 'server.9'",
      "tickTime=100\\ntickTime=200    | 'tickTime' is set twice",
      "clusterName=has space          | clusterName",
      "logSegmentSizeBytes=5000       | logSegmentSizeBytes",
      "watchHistory=-1                | 'watchHistory'",
      "notifyFollowersOfCommits=maybe | 'notifyFollowersOfCommits'",
      "just a line                    | expected key=value",
      "clientPort=0                   | 'clientPort'",
      "clientPort=65536               | 'clientPort'",
      "writeBatchMaxOps=0             | 'writeBatchMaxOps'",
      "writeBatchMaxOps=65536         | 'writeBatchMaxOps'",
      "writeBatchesInFlight=0         | 'writeBatchesInFlight'",
      "replicationBatchWaitMs=-1      | 'replicationBatchWaitMs'",
  })
  void badValuesAreRefusedNamingTheKey(String extra, String expected) {
    ConfigException e = assertThrows(ConfigException.class, () -> parse(extra.replace("\\n", "\n") + "\n"));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void requiredKeysAndMembership() {
    assertTrue(assertThrows(ConfigException.class, () -> KeelConfig.parse("dataDir=d\n" + MEMBERS, null))
        .getMessage().contains("'id'"));
    assertTrue(assertThrows(ConfigException.class, () -> KeelConfig.parse("id=1\n" + MEMBERS, null))
        .getMessage().contains("'dataDir'"));
    assertTrue(assertThrows(ConfigException.class, () -> KeelConfig.parse("id=7\ndataDir=d\n" + MEMBERS, null))
        .getMessage().contains("server.7"));
    assertTrue(assertThrows(ConfigException.class, () -> KeelConfig.parse("id=1\ndataDir=d\n", null))
        .getMessage().contains("server.N"));
    assertTrue(assertThrows(ConfigException.class,
        () -> KeelConfig.parse("id=1\ndataDir=d\nserver.1=127.0.0.1:1:observer\n", null))
        .getMessage().contains("voter"));
  }

  @Test
  void loadRefusesAMissingFile(@TempDir Path dir) throws Exception {
    assertTrue(assertThrows(ConfigException.class, () -> KeelConfig.load(dir.resolve("nope.cfg")))
        .getMessage().contains("does not exist"));
    Path f = dir.resolve("ok.cfg");
    Files.writeString(f, "# a comment\n\nid=2\ndataDir=/abs/dir\n" + MEMBERS);
    KeelConfig c = KeelConfig.load(f);
    assertEquals(2, c.id());
    assertEquals(Path.of("/abs/dir"), c.dataDir());
  }

  @Test
  void aBadConfigStopsTheServerWithExitCodeTwo(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bad.cfg");
    Files.writeString(f, "id=1\ndataDir=" + dir + "\n" + MEMBERS + "snapCont=5\n");
    assertEquals(2, KeelServer.run(f));
  }
}
