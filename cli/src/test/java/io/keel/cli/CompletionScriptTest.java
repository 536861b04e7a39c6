package io.keel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code keel generate-completion}: a bash/zsh completion script that completes the commands. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CompletionScriptTest {
  @TempDir
  Path dir;

  /** The commands {@code keel --help} lists, which the script must offer. */
  static Set<String> visibleCommands() {
    return KeelCli.newCommandLine().getSubcommands().values().stream()
        .filter(c -> !c.getCommandSpec().usageMessage().hidden())
        .map(c -> c.getCommandName())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void theScriptIsForKeelAndNamesEveryCommand() {
    Cli.Result r = Cli.run("generate-completion");
    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(r.out().startsWith("#!/usr/bin/env bash"), r::toString);
    assertTrue(r.out().contains("\ncomplete -F _complete_keel -o default keel "), r::toString);
    String commands = r.out().lines()
        .filter(l -> l.strip().startsWith("local commands=")).findFirst().orElseThrow();
    Set<String> offered = new TreeSet<>(Arrays.asList(
        commands.substring(commands.indexOf('"') + 1, commands.lastIndexOf('"')).split(" ")));
    assertEquals(visibleCommands(), offered);
    assertTrue(offered.containsAll(List.of("create", "get", "ls", "shell", "watch")),
        offered::toString);
  }

  @Test
  void itsHelpSaysHowToInstallItLikeEveryCommandsHelp() {
    Cli.Result help = Cli.run("generate-completion", "--help");
    assertEquals(0, help.exitCode(), help::toString);
    assertTrue(help.out().contains("source <(keel generate-completion)"), help::toString);
    assertTrue(help.out().contains("Example: keel generate-completion"), help::toString);
    assertTrue(help.out().contains("Exit codes:"), help::toString);
    assertTrue(Cli.run("generate-completion", "--version").out().startsWith("keel "));
  }

  @Test
  void sourcedInBashItDefinesTheCompletionOfKeel() throws Exception {
    Optional<Path> bash = onPath("bash");
    Assumptions.assumeTrue(bash.isPresent(), "no bash on PATH");
    Path script = Files.writeString(dir.resolve("keel.bash"), Cli.run("generate-completion").out());
    // As bash calls it when Tab is pressed after "keel sh" and after "keel g".
    String probe = "source \"$1\" && complete -p keel"
        + " && COMP_WORDS=(keel sh) COMP_CWORD=1 && _complete_keel 2>/dev/null"
        + " && printf 'sh:%s\\n' \"${COMPREPLY[@]}\""
        + " && COMP_WORDS=(keel g) COMP_CWORD=1 && _complete_keel 2>/dev/null"
        + " && printf 'g:%s\\n' \"${COMPREPLY[@]}\"";
    Process p = new ProcessBuilder(bash.get().toString(), "--norc", "--noprofile", "-c", probe,
        "probe", script.toString()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bash did not finish");
    List<String> out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
        .lines().toList();
    assertEquals(0, p.exitValue(), out::toString);
    assertEquals("complete -o default -F _complete_keel keel", out.get(0), out::toString);
    assertEquals(List.of("sh:shell"), out.stream().filter(l -> l.startsWith("sh:")).toList());
    Set<String> startingWithG = visibleCommands().stream().filter(c -> c.startsWith("g"))
        .map(c -> "g:" + c).collect(Collectors.toSet());
    assertTrue(startingWithG.containsAll(Set.of("g:get", "g:getEphemerals")),
        startingWithG::toString);
    assertEquals(startingWithG,
        out.stream().filter(l -> l.startsWith("g:")).collect(Collectors.toSet()));
  }

  private static Optional<Path> onPath(String program) throws IOException {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    return Arrays.stream(path.split(File.pathSeparator))
        .filter(d -> !d.isEmpty())
        .map(d -> Path.of(d, program))
        .filter(Files::isExecutable)
        .findFirst();
  }
}
