package io.keel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.Stat;
import io.keel.testing.KeelTestCluster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.jline.reader.Candidate;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.Parser;
import org.jline.terminal.TerminalBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code keel shell} against a real cluster: piped scripts (one session, exit codes), the
 * interactive shell on a JLine terminal (prompt, Ctrl-C, Ctrl-D, history, a lost session), and
 * Tab completion of commands and znode paths.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ShellTest {
  static final Duration DEADLINE = Duration.ofSeconds(30);

  static KeelTestCluster cluster;
  static KeelClient client;

  @TempDir
  Path dir;

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

  /** {@code keel [options] shell} with {@code lines} piped in: the non-terminal path. */
  static Cli.Result script(List<String> options, String... lines) {
    List<String> args = new ArrayList<>(options);
    args.add("shell");
    byte[] stdin = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
    return Cli.againstWithInput(cluster.connectString(), stdin, args.toArray(String[]::new));
  }

  static Cli.Result script(String... lines) {
    return script(List.of(), lines);
  }

  static List<String> lines(String s) {
    return s.isEmpty() ? List.of() : List.of(s.split("\n"));
  }

  @Test
  void aScriptRunsItsLinesInOrderInOneSessionAndGoesOnAfterAFailure() {
    Cli.Result r = script(
        "create /sh hello",
        "get /sh",
        "set /sh world",
        "get /nosuch",
        "get /sh",
        "create -e /sh/mine",
        "ls /sh",
        "getEphemerals /sh",
        "",
        "# a comment",
        "create '/sh/two words' 'x y'",
        "get '/sh/two words'");
    assertEquals(List.of("Created /sh", "hello", "world", "Created /sh/mine", "[mine]",
        "[/sh/mine]", "Created /sh/two words", "x y"), lines(r.out()), r::toString);
    assertEquals(1, r.errLines().size(), r::toString);
    assertTrue(r.err().startsWith("keel: NONODE for /nosuch"), r::toString);
    assertEquals(ExitCodes.NO_NODE, r.exitCode(), r::toString);

    // The shell's session closed with it, and its ephemeral with the session.
    Awaitility.await("the ephemeral is gone").atMost(DEADLINE).untilAsserted(() ->
        assertEquals("[two words]\n", Cli.against(cluster.connectString(), "ls", "/sh").out()));
  }

  @Test
  void aPipedScriptExitsWithTheCodeOfTheLastLineThatFailed() {
    assertEquals(0, script("create /codes", "ls /codes").exitCode());
    Cli.Result r = script("get /codes/none", "create /codes", "ls /codes");
    assertEquals(ExitCodes.NODE_EXISTS, r.exitCode(), "the last failure, not the first:\n" + r);
    assertEquals(ExitCodes.NO_NODE, script("get /codes/none", "ls /codes").exitCode(),
        "a success after a failure does not clear it");
    assertEquals(ExitCodes.USAGE, script("ls", "ls /codes").exitCode());

    Cli.Result quit = script("create /codes/a", "quit", "create /codes/b");
    assertEquals(0, quit.exitCode(), quit::toString);
    assertEquals(List.of("Created /codes/a"), lines(quit.out()), "nothing runs after quit");
    assertEquals(0, script("exit", "get /codes/none").exitCode());
  }

  @Test
  void globalOptionsOfTheShellApplyToEveryLineAndALineMayOverrideOutput() throws Exception {
    client.create("/js", "v".getBytes(StandardCharsets.UTF_8), CreateMode.PERSISTENT);
    Cli.Result json = script(List.of("-o", "json"), "get /js", "ls /js");
    List<String> out = lines(json.out());
    assertEquals(2, out.size(), json::toString);
    assertTrue(out.get(0).startsWith("{\"path\":\"/js\",\"data\":\"v\",\"stat\":{"),
        json::toString);
    assertTrue(out.get(1).startsWith("{\"path\":\"/js\",\"children\":[]"), json::toString);

    Cli.Result mixed = script("-o json get /js", "get /js");
    List<String> both = lines(mixed.out());
    assertTrue(both.get(0).startsWith("{\"path\":\"/js\""), mixed::toString);
    assertEquals("v", both.get(1), "the next line is text again:\n" + mixed);
  }

  @Test
  void linesTheShellCannotRunAreRefusedWithOneLineAndTheShellGoesOn() {
    Cli.Result r = script(
        "server conf/node1.cfg",
        "shell",
        "--servers 127.0.0.1:1 ls /",
        "ls --timeout 1s /",
        "create /refused -",
        "get '/refused",
        "create /refused");
    assertEquals(List.of("Created /refused"), lines(r.out()), r::toString);
    List<String> err = r.errLines();
    assertEquals(6, err.size(), r::toString);
    assertTrue(err.get(0).startsWith("keel: 'server' cannot run inside the shell"), r::toString);
    assertTrue(err.get(1).startsWith("keel: 'shell' cannot run inside the shell"), r::toString);
    assertTrue(err.get(2).startsWith("keel: --servers applies to the whole shell"), r::toString);
    assertTrue(err.get(3).startsWith("keel: --timeout applies to the whole shell"), r::toString);
    assertTrue(err.get(4).startsWith("keel: in the shell, stdin holds the commands"), r::toString);
    assertTrue(err.get(5).startsWith("keel: cannot split the line into words"), r::toString);
    assertEquals(ExitCodes.USAGE, r.exitCode(), "the last line that failed: " + r);
  }

  @Test
  void helpListsTheCommandsAndHowToLeave() {
    Cli.Result r = script("help");
    assertTrue(r.out().contains("  create "), r::toString);
    assertTrue(r.out().contains(ShellLines.SHELL_HELP), r::toString);
    assertFalse(r.out().contains("  server "), "server cannot run in the shell:\n" + r);
    assertFalse(r.out().contains("  shell "), r::toString);
  }

  @Test
  void aPipedScriptNeverWritesTheHistory() {
    Path history = dir.resolve("history");
    assertEquals(0, script(List.of(), "ls /").exitCode());
    Cli.Result r = Cli.againstWithInput(cluster.connectString(),
        "ls /\n".getBytes(StandardCharsets.UTF_8), "shell", "--history", history.toString());
    assertEquals(0, r.exitCode(), r::toString);
    assertFalse(Files.exists(history), "no history for a script");
  }

  // ------------------------------------------------------------------ on a terminal

  @Test
  void onATerminalTheSessionLivesUntilQuitAndTheHistoryIsKept() throws Exception {
    Path history = dir.resolve("history");
    try (ShellTerminal t = ShellTerminal.start(cluster, history)) {
      t.awaitPrompts(1);
      assertTrue(t.output().contains("keel 127.0.0.1:"), t::output);
      t.type("create /term one\n");
      t.type("create -e /term/eph\n");
      t.type("ls /term\n");
      t.type("get /term/missing\n");
      t.type("-o json get /term\n");
      t.awaitOutput("[eph]");
      t.awaitOutput("keel: NONODE for /term/missing");
      t.awaitOutput("{\"path\":\"/term\",\"data\":\"one\"");
      assertTrue(t.isRunning(), "an error does not end the shell");
      client.sync("/term");
      assertTrue(client.exists("/term/eph").isPresent(), "the ephemeral lives with the shell");
      t.type("quit\n");
      assertEquals(0, t.awaitExit());
    }
    Awaitility.await("the ephemeral is gone").atMost(DEADLINE)
        .until(() -> client.exists("/term/eph").isEmpty());
    List<String> saved = Files.readAllLines(history);
    assertTrue(saved.stream().anyMatch(l -> l.endsWith("create -e /term/eph")), saved::toString);
  }

  @Test
  void ctrlCStopsTheRunningCommandNotTheShellAndCtrlDLeaves() throws Exception {
    client.create("/int", new byte[0], CreateMode.PERSISTENT);
    try (ShellTerminal t = ShellTerminal.start(cluster, null)) {
      t.awaitPrompts(1);
      t.type("watch /int\n");
      Awaitility.await("the watch runs").atMost(DEADLINE)
          .pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            client.setData("/int", new byte[] {1}, KeelClient.ANY_VERSION);
            assertTrue(t.output().contains("NodeDataChanged /int"), t.output());
          });
      t.type("\u0003");
      t.awaitPrompts(2);
      assertTrue(t.isRunning(), "Ctrl-C stops watch, not the shell");

      // At the prompt Ctrl-C drops the line typed so far.
      t.type("get /int/none");
      t.awaitOutput("get /int/none");
      t.type("\u0003");
      t.awaitPrompts(3);
      t.type("ls /int\n");
      t.awaitOutput("[]");
      t.awaitPrompts(4);
      assertFalse(t.output().contains("NONODE"), t::output);

      // A leader stopped by Ctrl-C resigns: its node goes, though the session stays.
      t.type("elect /int/election --id me\n");
      t.awaitOutput("leader me token");
      t.type("\u0003");
      t.awaitOutput("keel: interrupted");
      t.awaitPrompts(5);
      // The shell's writes went through another server than this client may read from.
      client.sync("/int/election");
      // The election's parent is a container: once empty, the leader may reap it at any moment.
      assertEquals(0, client.exists("/int/election").map(Stat::numChildren).orElse(0));

      t.type("\u0004");
      assertEquals(0, t.awaitExit());
    }
  }

  @Test
  void aLostSessionShowsInANoticeAndThePrompt() throws Exception {
    client.create("/lost", new byte[0], CreateMode.PERSISTENT);
    try (ShellTerminal t = ShellTerminal.start(cluster, null)) {
      t.type("create -e /lost/e\n");
      Awaitility.await().atMost(DEADLINE).until(() -> client.exists("/lost/e").isPresent());
      cluster.expireSession(client.exists("/lost/e").orElseThrow().ephemeralOwner(), DEADLINE);
      t.awaitOutput("keel: session LOST");
      t.type("ls /lost\n");
      t.awaitOutput("(LOST)> ");
      t.awaitOutput("keel: SESSIONEXPIRED");
      t.type("quit\n");
      assertEquals(0, t.awaitExit());
    }
  }

  // ------------------------------------------------------------------ completion

  @Test
  void tabCompletesZnodePathsThroughTheShellsSession() throws Exception {
    for (String p : List.of("/comp", "/comp/alpha", "/comp/beta", "/comp/bravo", "/comp/beta/x")) {
      client.create(p, new byte[0], CreateMode.PERSISTENT);
    }
    try (KeelClient session = shellCli().newSession()) {
      ShellLines lines = new ShellLines(session, shellCli(), quiet(), quiet());
      assertEquals(0, lines.run("create -e /comp/mine"));
      ShellCompleter completer = (ShellCompleter) lines.completer();

      assertEquals(Set.of("/comp/beta", "/comp/bravo"), complete(completer, "get /comp/b"));
      assertEquals(Set.of("/comp/alpha", "/comp/beta", "/comp/bravo", "/comp/mine"),
          complete(completer, "ls /comp/"));
      assertEquals(Set.of("/comp/beta/x"), complete(completer, "ls -s /comp/beta/"));
      assertTrue(complete(completer, "ls /").contains("/comp"));
      // The shell's own ephemeral: read through the session that made it.
      assertEquals(Set.of("/comp/mine"), complete(completer, "delete /comp/m"));
      assertEquals(Set.of(), complete(completer, "get /comp/none/"), "no node: nothing");
      assertEquals(Set.of(), complete(completer, "get //"), "bad path: nothing");

      session.close();
      assertEquals(Set.of(), complete(completer, "get /comp/"), "no session: nothing");
    }
  }

  @Test
  void tabCompletesCommandsOptionsAndFiles() throws Exception {
    Path file = Files.writeString(dir.resolve("data.json"), "{}");
    try (KeelClient session = shellCli().newSession()) {
      ShellCompleter completer =
          (ShellCompleter) new ShellLines(session, shellCli(), quiet(), quiet()).completer();
      Set<String> ge = complete(completer, "ge");
      assertTrue(ge.containsAll(Set.of("get", "getAllChildrenNumber", "getEphemerals")),
          ge::toString);
      assertFalse(ge.contains("generate-completion"), "the shell has its own completion: " + ge);
      Set<String> first = complete(completer, "");
      assertTrue(first.containsAll(Set.of("create", "ls", "watch", "quit", "exit", "help")),
          first::toString);
      assertFalse(first.contains("server") || first.contains("shell"), first::toString);
      assertTrue(complete(completer, "ls -").containsAll(Set.of("-s", "-w", "-R")));
      assertEquals(Set.of(file.toString()),
          complete(completer, "set /x --file " + dir + "/da"));
    }
  }

  /** The values JLine would offer for the word at the end of {@code line}. */
  static Set<String> complete(ShellCompleter completer, String line) throws IOException {
    List<Candidate> candidates = new ArrayList<>();
    completer.complete(reader(), ShellLines.parser().parse(line, line.length(),
        Parser.ParseContext.COMPLETE), candidates);
    String word = ShellLines.parser().parse(line, line.length(), Parser.ParseContext.COMPLETE)
        .word();
    // As JLine does: only the candidates that start with what is typed.
    return candidates.stream().map(Candidate::value).filter(v -> v.startsWith(word))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static LineReader reader() throws IOException {
    return LineReaderBuilder.builder().terminal(TerminalBuilder.builder().system(false)
        .streams(new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream())
        .type("dumb").build()).build();
  }

  /** The root command of {@code keel --servers ... shell}, as the shell's lines see it. */
  static KeelCli shellCli() {
    return shellCommand(null).cli;
  }

  /** {@code keel --servers CLUSTER --timeout 30s shell [--history FILE]}, parsed. */
  static ShellCommand shellCommand(Path history) {
    List<String> args = new ArrayList<>(List.of("--servers", cluster.connectString(),
        "--timeout", "30s", "shell", "--history", history == null ? "" : history.toString()));
    CommandLine.ParseResult parsed =
        KeelCli.newCommandLine().parseArgs(args.toArray(String[]::new));
    return (ShellCommand) parsed.subcommand().commandSpec().userObject();
  }

  private static PrintWriter quiet() {
    return new PrintWriter(new StringWriter());
  }
}
