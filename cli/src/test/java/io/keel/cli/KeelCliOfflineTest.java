package io.keel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.KeelException.Code;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

/** What the keel command does without a cluster: help, usage errors, exit codes, bad configs. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class KeelCliOfflineTest {
  static final List<String> COMMANDS =
      List.of("server", "create", "get", "set", "stat", "ls", "delete", "bench", "shell");

  @TempDir
  Path dir;

  static void assertOneErrorLine(Cli.Result r, String start) {
    assertEquals(1, r.errLines().size(), r::toString);
    assertTrue(r.err().startsWith(start), r::toString);
  }

  /** Every command and subcommand as its words, e.g. [cluster, status]; picocli's help excluded. */
  static List<List<String>> allCommands() {
    List<List<String>> all = new java.util.ArrayList<>();
    collect(KeelCli.newCommandLine(), List.of(), all);
    return all;
  }

  private static void collect(picocli.CommandLine cl, List<String> words, List<List<String>> all) {
    cl.getSubcommands().forEach((name, sub) -> {
      if (name.equals("help")) {
        return;
      }
      List<String> path = new java.util.ArrayList<>(words);
      path.add(name);
      all.add(path);
      collect(sub, path, all);
    });
  }

  @Test
  void everyCommandHasHelpAndVersion() {
    List<List<String>> all = allCommands();
    assertTrue(all.contains(List.of("cluster", "transfer-leader")), all::toString);
    for (List<String> c : all) {
      String[] helpArgs = java.util.stream.Stream.concat(c.stream(), java.util.stream.Stream.of("--help"))
          .toArray(String[]::new);
      Cli.Result help = Cli.run(helpArgs);
      assertEquals(0, help.exitCode(), help::toString);
      assertTrue(help.out().startsWith("Usage: keel " + String.join(" ", c)), help::toString);
      assertTrue(help.out().contains("Exit codes:"), help::toString);
      assertTrue(help.out().contains("Example: keel ") || c.equals(List.of("server"))
          || c.equals(List.of("bench")), () -> "no example in " + help);
      String[] versionArgs = java.util.stream.Stream.concat(c.stream(), java.util.stream.Stream.of("--version"))
          .toArray(String[]::new);
      Cli.Result version = Cli.run(versionArgs);
      assertEquals(0, version.exitCode(), version::toString);
      assertTrue(version.out().startsWith("keel "), version::toString);
    }
    Cli.Result top = Cli.run("--help");
    assertEquals(0, top.exitCode());
    for (String c : COMMANDS) {
      assertTrue(top.out().contains("  " + c + " "), () -> c + " missing from\n" + top.out());
    }
    assertTrue(top.out().contains("KEEL_SERVERS"), top::toString);
  }

  @Test
  void createHelpSaysEphemeralsVanishWithTheCommand() {
    String out = Cli.run("create", "--help").out().replaceAll("\\s+", " ");
    assertTrue(out.contains("the node is deleted at once"), out);
  }

  @Test
  void usageErrorsExit2WithOneLine() {
    Cli.Result none = Cli.run();
    assertEquals(ExitCodes.USAGE, none.exitCode());
    assertTrue(none.err().startsWith("keel: a command is required"), none::toString);

    assertOneErrorLine(Cli.run("get"), "keel: Missing required parameter: 'PATH'");
    assertEquals(2, Cli.run("get").exitCode());
    assertOneErrorLine(Cli.run("frobnicate"), "keel: Unmatched argument");
    assertEquals(2, Cli.run("frobnicate").exitCode());

    for (String[] args : List.of(
        new String[] {"--timeout", "5", "ls", "/"},
        new String[] {"--timeout", "5x", "ls", "/"},
        new String[] {"--timeout", "0s", "ls", "/"},
        new String[] {"-o", "xml", "ls", "/"},
        new String[] {"create", "-c", "-e", "/x"},
        new String[] {"create", "-c", "-s", "/x"},
        new String[] {"create", "-t", "1000", "-e", "/x"},
        new String[] {"create", "-t", "0", "/x"},
        new String[] {"create", "/x", "data", "--file", dir.resolve("f").toString()},
        new String[] {"create", "/x", "--file", dir.resolve("missing").toString()},
        new String[] {"set", "/x"},
        new String[] {"set", "-v", "one", "/x", "d"},
        new String[] {"ls", "-R", "-s", "/"},
        new String[] {"bench", "--ops", "0"},
        new String[] {"bench", "--type", "scan"},
        new String[] {"bench", "--prefix", "/"})) {
      Cli.Result r = Cli.run(args);
      assertEquals(ExitCodes.USAGE, r.exitCode(), () -> String.join(" ", args) + "\n" + r);
      assertOneErrorLine(r, "keel: ");
      assertTrue(r.out().isEmpty(), r::toString);
    }
  }

  @Test
  void unreachableClusterIsConnectionLoss() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Cli.Result r = Cli.run("--servers", "127.0.0.1:" + port, "--timeout", "1s", "ls", "/");
    assertEquals(ExitCodes.CONNECTION, r.exitCode(), r::toString);
    assertOneErrorLine(r, "keel: CONNECTIONLOSS");

    Cli.Result bad = Cli.run("--servers", "no-port-here", "--timeout", "1s", "ls", "/");
    assertEquals(ExitCodes.USAGE, bad.exitCode(), bad::toString);
    assertOneErrorLine(bad, "keel: BADARGUMENTS");
  }

  @Test
  void serverRefusesABadConfigNamingTheKey() throws IOException {
    String good = "id=1\ndataDir=" + dir.resolve("data") + "\nserver.1=127.0.0.1:1\n";

    Path unknown = Files.writeString(dir.resolve("unknown.cfg"), good + "tickTme=2000\n");
    Cli.Result r = Cli.run("server", unknown.toString());
    assertEquals(ExitCodes.USAGE, r.exitCode(), r::toString);
    assertOneErrorLine(r, "keel: " + unknown + ": unknown config key 'tickTme'");

    Path badValue = Files.writeString(dir.resolve("bad.cfg"), good + "snapCount=lots\n");
    r = Cli.run("server", badValue.toString());
    assertEquals(ExitCodes.USAGE, r.exitCode(), r::toString);
    assertTrue(r.err().contains("'snapCount'"), r::toString);

    r = Cli.run("server", dir.resolve("absent.cfg").toString());
    assertEquals(ExitCodes.USAGE, r.exitCode(), r::toString);
    assertTrue(r.err().contains("does not exist"), r::toString);
    assertTrue(Files.notExists(dir.resolve("data")), "nothing was started");
  }

  @Test
  void exitCodesFollowTheDocumentedTable() {
    assertEquals(0, ExitCodes.of(Code.OK));
    assertEquals(1, ExitCodes.of(Code.SYSTEMERROR));
    assertEquals(1, ExitCodes.of(Code.MARSHALLINGERROR));
    assertEquals(1, ExitCodes.of(Code.RUNTIMEINCONSISTENCY));
    assertEquals(1, ExitCodes.of(Code.UNIMPLEMENTED));
    assertEquals(2, ExitCodes.of(Code.BADARGUMENTS));
    assertEquals(3, ExitCodes.of(Code.NONODE));
    assertEquals(4, ExitCodes.of(Code.NODEEXISTS));
    assertEquals(5, ExitCodes.of(Code.BADVERSION));
    assertEquals(6, ExitCodes.of(Code.NOTEMPTY));
    assertEquals(7, ExitCodes.of(Code.CONNECTIONLOSS));
    assertEquals(7, ExitCodes.of(Code.OPERATIONTIMEOUT));
    assertEquals(7, ExitCodes.of(Code.REQUESTTIMEOUT));
    assertEquals(8, ExitCodes.of(Code.NOCHILDRENFOREPHEMERALS));
    assertEquals(8, ExitCodes.of(Code.NOAUTH));
    assertEquals(8, ExitCodes.of(Code.SESSIONEXPIRED));
    assertEquals(8, ExitCodes.of(Code.INVALIDACL));
    for (Code c : Code.values()) {
      int e = ExitCodes.of(c);
      assertTrue(e >= 0 && e <= 8, c + " -> " + e);
      assertEquals(c == Code.OK, e == 0, c::toString);
    }
    // 9 (SESSION_LOST), 10 (DEGRADED) and 130 (INTERRUPTED) come from no error code: lock and elect
    // exit 9 when the session ends, cluster status 10 when a member or the leader is missing, and a
    // command stopped by Ctrl-C in keel shell 130.
    assertEquals(12, ExitCodes.HELP.size());
  }

  @Test
  void durationsReadTheWayOperatorsWriteThem() {
    DurationConverter d = new DurationConverter();
    assertEquals(Duration.ofMillis(500), d.convert("500ms"));
    assertEquals(Duration.ofSeconds(5), d.convert("5s"));
    assertEquals(Duration.ofSeconds(90), d.convert("1m30s"));
    assertEquals(Duration.ofHours(2), d.convert("2h"));
    assertEquals(Duration.ofDays(1), d.convert("1d"));
    assertEquals(Duration.ofSeconds(10), d.convert("PT10S"));
    assertEquals(Duration.ofSeconds(10), d.convert(" 10S "));
  }

  /** The shell hands its --timeout to each line as text: what format writes must read back. */
  @ParameterizedTest
  @ValueSource(strings = {"10s", "1500ms", "1m30s", "2h", "PT0.0005S"})
  void formattedDurationsReadBack(String text) {
    DurationConverter d = new DurationConverter();
    Duration duration = d.convert(text);
    assertEquals(duration, d.convert(DurationConverter.format(duration)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "5", "s", "5x", "5 s", "-5s", "0ms", "1.5s", "PT-1S", "P"})
  void nonDurationsAreRefused(String text) {
    assertThrows(TypeConversionException.class, () -> new DurationConverter().convert(text));
  }
}
