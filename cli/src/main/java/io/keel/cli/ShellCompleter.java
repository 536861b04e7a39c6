package io.keel.cli;

import io.keel.client.KeelClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jline.builtins.Completers;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.shell.jline3.PicocliJLineCompleter;

/**
 * Tab completion in {@code keel shell}: command names, options and option values from the
 * command tree (picocli's completer), {@code quit} and {@code exit}, local files after
 * {@code --file}, and znode paths: a word starting with {@code /} completes to the children of
 * its parent, listed through the shell's session ({@code /a/b} to the children of {@code /a}
 * starting with {@code b}).
 *
 * <p>Never fails and never waits long: a path that cannot be listed (no such node, no answer
 * within {@link #MAX_LOOKUP}) has no candidates. Called by JLine on the shell's thread.
 */
final class ShellCompleter implements Completer {
  /** A Tab press waits at most this long for the children (less if the shell's timeout is). */
  static final Duration MAX_LOOKUP = Duration.ofSeconds(2);

  private static final List<String> BUILTINS = List.of("quit", "exit");

  private final Completer commands;
  private final Completer files = new Completers.FileNameCompleter();
  private final KeelClient session;
  private final Duration lookupTimeout;

  ShellCompleter(CommandSpec commands, KeelClient session, Duration shellTimeout) {
    this.commands = new PicocliJLineCompleter(commands);
    this.session = session;
    this.lookupTimeout = shellTimeout.compareTo(MAX_LOOKUP) < 0 ? shellTimeout : MAX_LOOKUP;
  }

  @Override
  public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
    String word = line.word().substring(0, line.wordCursor());
    int index = line.wordIndex();
    if (index > 0 && line.words().get(index - 1).equals("--file")) {
      files.complete(reader, line, candidates);
    } else if (word.startsWith("/")) {
      candidates.addAll(paths(word));
    } else {
      if (index == 0) {
        BUILTINS.forEach(b -> candidates.add(new Candidate(b)));
      }
      try {
        commands.complete(reader, line, candidates);
      } catch (RuntimeException e) {
        // A line picocli cannot make sense of has no candidates, not an error at the prompt.
      }
    }
  }

  /** The znodes {@code word} may be the beginning of: its parent's children, as full paths. */
  List<Candidate> paths(String word) {
    if (word.contains("//")) {
      return List.of();
    }
    int slash = word.lastIndexOf('/');
    String dir = word.substring(0, slash + 1);
    String parent = slash == 0 ? "/" : word.substring(0, slash);
    String start = word.substring(slash + 1);
    List<String> children;
    try {
      children = session.getChildren(parent, lookupTimeout);
    } catch (RuntimeException e) {
      // No such node, no answer in time, no session: nothing to offer.
      return List.of();
    }
    List<Candidate> found = new ArrayList<>();
    for (String child : children) {
      if (child.startsWith(start)) {
        // Not complete: the user may go on with a '/' into the child's children.
        found.add(new Candidate(dir + child, child, null, null, null, null, false));
      }
    }
    return found;
  }
}
