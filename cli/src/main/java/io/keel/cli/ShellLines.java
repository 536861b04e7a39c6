package io.keel.cli;

import io.keel.client.ConnectionState;
import io.keel.client.KeelClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.jline.reader.Completer;
import org.jline.reader.Parser;
import org.jline.reader.SyntaxError;
import org.jline.reader.impl.DefaultParser;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * Runs the lines of {@code keel shell}. Each line gets a fresh command tree (Keel's commands are
 * one-shot objects) whose commands share the shell's session and whose global options start
 * from those given to {@code keel shell}; a line may add {@code -o} or {@code --verbose} for
 * itself, but not {@code --servers} or {@code --timeout}, which the session was opened with.
 *
 * <p>Blocks while a line's command runs; not thread-safe: one line at a time.
 */
final class ShellLines {
  /** What {@code help} adds to the command list: what only the shell has. */
  static final String SHELL_HELP = "In the shell: quit or exit (or Ctrl-D) leaves it; Tab "
      + "completes commands, options and znode paths; Ctrl-C stops the running command.";

  private static final List<String> QUIT = List.of("quit", "exit");

  /** Commands for the system shell: a server, a shell in the shell, bash completion. */
  private static final List<String> NOT_IN_SHELL =
      List.of("shell", "server", "generate-completion");

  /** The options that belong to the session, so to the shell as a whole. */
  private static final List<String> SESSION_OPTIONS = List.of("--servers", "--timeout");

  private final KeelClient session;
  private final Duration timeout;
  private final Map<String, String> globals;
  private final PrintWriter out;
  private final PrintWriter err;
  private final Parser parser = parser();

  /** Lines run with {@code session} and the global options of {@code shell}. */
  ShellLines(KeelClient session, KeelCli shell, PrintWriter out, PrintWriter err) {
    this.session = session;
    this.timeout = shell.timeout();
    this.globals = Map.of(
        "--servers", shell.servers(),
        "--timeout", DurationConverter.format(shell.timeout()),
        "--output", shell.output().name().toLowerCase(Locale.ROOT),
        "--verbose", Boolean.toString(shell.verbose()));
    this.out = out;
    this.err = err;
  }

  /** How lines split into words: blanks, except within quotes; a quote left open is an error. */
  static DefaultParser parser() {
    DefaultParser p = new DefaultParser();
    p.setEofOnUnclosedQuote(true);
    return p;
  }

  /** True for {@code quit} and {@code exit}. */
  static boolean isQuit(String line) {
    return QUIT.contains(line.strip());
  }

  /**
   * Runs one line and returns its exit code: 0 for a blank line or a {@code #} comment. Failures
   * are printed as outside the shell, one line on err.
   */
  int run(String line) {
    String text = line.strip();
    if (text.isEmpty() || text.startsWith("#")) {
      return ExitCodes.OK;
    }
    List<String> words;
    try {
      words = parser.parse(text, text.length(), Parser.ParseContext.ACCEPT_LINE).words();
    } catch (SyntaxError e) {
      err.println("keel: cannot split the line into words: " + KeelCli.oneLine(e.getMessage()));
      err.flush();
      return ExitCodes.USAGE;
    }
    CommandLine tree = tree();
    int code = tree.execute(words.toArray(String[]::new));
    if (words.equals(List.of("help"))) {
      out.println(SHELL_HELP);
    }
    out.flush();
    err.flush();
    return code;
  }

  /** Tab completion over the same commands as the lines, with paths through the session. */
  Completer completer() {
    return new ShellCompleter(tree().getCommandSpec(), session, timeout);
  }

  /** A session listener that passes {@code print} a notice of each change worth telling. */
  static Consumer<ConnectionState> notices(Consumer<String> print) {
    return state -> {
      String notice = notice(state);
      if (notice != null) {
        print.accept(notice);
      }
    };
  }

  /** A notice of a change of the session's state for the user; null: nothing to say. */
  static String notice(ConnectionState state) {
    return switch (state) {
      case SUSPENDED -> "keel: connection SUSPENDED: the cluster does not answer; retrying";
      case RECONNECTED -> "keel: RECONNECTED: same session, its ephemerals are still there";
      case LOST -> "keel: session LOST (expired): its ephemerals are gone and commands fail "
          + "with SESSIONEXPIRED; restart the shell for a new session";
      case CONNECTED, CLOSED -> null;
    };
  }

  private CommandLine tree() {
    CommandLine tree = KeelCli.newCommandLine(null, session);
    for (String name : NOT_IN_SHELL) {
      tree.getCommandSpec().removeSubcommand(name);
      tree.addSubcommand(name, new NotInShell());
    }
    tree.setDefaultValueProvider(this::global);
    tree.setExecutionStrategy(ShellLines::execute);
    tree.setOut(out);
    tree.setErr(err);
    return tree;
  }

  /** The shell's value of a global option, as the default of the line's. */
  private String global(ArgSpec arg) {
    if (arg instanceof OptionSpec o && (o.inherited() || o.command().parent() == null)) {
      return globals.get(o.longestName());
    }
    return null;
  }

  private static int execute(ParseResult parsed) {
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      for (String name : SESSION_OPTIONS) {
        if (p.hasMatchedOption(name)) {
          throw new ParameterException(p.commandSpec().commandLine(), name + " applies to the "
              + "whole shell's session: give it to 'keel shell' (a line may set -o, --verbose)");
        }
      }
    }
    return new CommandLine.RunLast().execute(parsed);
  }

  /** Stands in for the commands that cannot run inside the shell, and says so. */
  @Command(hidden = true, description = "Not available inside keel shell.")
  static final class NotInShell implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Unmatched
    List<String> ignored;

    @Override
    public Integer call() {
      spec.commandLine().getErr().println("keel: '" + spec.name() + "' cannot run inside the "
          + "shell; run 'keel " + spec.name() + "' from your system shell");
      return ExitCodes.USAGE;
    }
  }
}
