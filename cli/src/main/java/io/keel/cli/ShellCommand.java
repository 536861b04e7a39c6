package io.keel.cli;

import io.keel.client.ConnectionState;
import io.keel.client.KeelClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code keel shell}: zkCli.sh's interactive shell. One session for the whole shell, opened with
 * the global options and closed when it ends, so that an ephemeral node lives as long as the
 * shell. On a terminal see {@link InteractiveShell}; with stdin from a pipe or a file, the lines
 * are a script.
 */
@Command(name = "shell", sortOptions = false,
    description = {"An interactive shell like zkCli.sh: the same commands, one a line, sharing one "
        + "session for the whole shell, so an ephemeral node created in it lives until the shell "
        + "exits. The global options given to 'keel shell' (--servers, --timeout, -o, --verbose) "
        + "apply to every line; a line may add -o or --verbose for itself.",
        "Tab completes commands, options and znode paths (listed through the session). Ctrl-C "
            + "stops the running command (e.g. watch) or clears the line; quit, exit or Ctrl-D "
            + "leave. The prompt names the server (keel 127.0.0.1:9871>) and the session's state "
            + "when it is not connected. Lines are split as a shell does ('a b' is one word); "
            + "lines starting with # are comments. 'server' and 'shell' do not run inside.",
        "On a terminal, exits 0. With stdin not a terminal (a piped script: keel shell < "
            + "setup.keel), runs the lines in order, without prompt or history, going on after "
            + "failures, and exits with the exit code of the last line that failed, or 0.",
        "Example: keel shell",
        "Example: printf 'create /app\\nls /\\n' | keel shell"})
final class ShellCommand implements Callable<Integer> {
  @ParentCommand
  KeelCli cli;

  @Spec
  CommandSpec spec;

  @Option(names = "--history", paramLabel = "FILE",
      defaultValue = "${env:KEEL_HISTORY:-${sys:user.home}${sys:file.separator}.keel_history}",
      description = "Where the interactive shell keeps its history (default: $KEEL_HISTORY, "
          + "else ~/.keel_history); empty: none. Never written for a piped script.")
  String history;

  @Override
  public Integer call() throws IOException {
    boolean interactive = cli.stdin() == System.in && InteractiveShell.stdinIsTerminal();
    try (KeelClient session = cli.newSession()) {
      if (!interactive) {
        return script(session);
      }
      try (Terminal terminal = TerminalBuilder.builder().name("keel").system(true).build()) {
        return interactive(terminal, session);
      }
    }
  }

  /** The shell on {@code terminal}, with {@code session}; exit code 0. */
  int interactive(Terminal terminal, KeelClient session) {
    ShellLines lines = new ShellLines(session, cli, terminal.writer(), terminal.writer());
    return new InteractiveShell(terminal, lines, session, cli.servers(),
        history.isEmpty() ? null : Path.of(history)).run();
  }

  /** The lines of stdin, in order: the exit code of the last that failed, or 0. */
  private int script(KeelClient session) throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    ShellLines lines = new ShellLines(session, cli, spec.commandLine().getOut(), err);
    Consumer<ConnectionState> notices = ShellLines.notices(notice -> {
      err.println(notice);
      err.flush();
    });
    session.addConnectionStateListener(notices);
    try {
      BufferedReader in = new BufferedReader(
          new InputStreamReader(cli.stdin(), StandardCharsets.UTF_8));
      int lastFailure = ExitCodes.OK;
      for (String line = in.readLine(); line != null && !ShellLines.isQuit(line);
          line = in.readLine()) {
        int code = lines.run(line);
        if (code != ExitCodes.OK) {
          lastFailure = code;
        }
      }
      return lastFailure;
    } finally {
      session.removeConnectionStateListener(notices);
    }
  }
}
