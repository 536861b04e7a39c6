package io.keel.cli;

import io.keel.client.ConnectionState;
import io.keel.client.KeelClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.Terminal.Signal;
import org.jline.terminal.TerminalBuilder;
import org.jline.terminal.spi.SystemStream;

/**
 * {@code keel shell} on a terminal: a prompt naming the server and, when not connected, the
 * session's state; line editing, Tab completion, history. Ctrl-C stops the running command
 * (interrupts it) and returns to the prompt, or at the prompt drops the line; Ctrl-D, quit or
 * exit leave. Changes of the session's state are printed as they happen, above the prompt.
 *
 * <p>Commands run on the thread that calls {@link #run}, one at a time.
 */
final class InteractiveShell {
  private final Terminal terminal;
  private final ShellLines lines;
  private final KeelClient session;
  private final String servers;
  /** Null: history only in memory. */
  private final Path history;

  private final Object lock = new Object();
  /** The thread running a command, to interrupt on Ctrl-C; null while at the prompt. */
  private Thread running;

  InteractiveShell(Terminal terminal, ShellLines lines, KeelClient session, String servers,
      Path history) {
    this.terminal = terminal;
    this.lines = lines;
    this.session = session;
    this.servers = servers;
    this.history = history;
  }

  /** True when stdin is a terminal, as JLine's own providers see it. */
  static boolean stdinIsTerminal() {
    try {
      return TerminalBuilder.builder().getProviders(null, new IllegalStateException()).stream()
          .anyMatch(p -> p.isSystemStream(SystemStream.Input));
    } catch (RuntimeException | LinkageError e) {
      return System.console() != null;
    }
  }

  /** Reads and runs lines until quit, exit or Ctrl-D; exit code 0. */
  int run() {
    LineReader reader = reader();
    // Between lines only: while reading, JLine takes Ctrl-C itself (UserInterruptException).
    Terminal.SignalHandler before = terminal.handle(Signal.INT, signal -> interruptCommand());
    Consumer<ConnectionState> notices = ShellLines.notices(reader::printAbove);
    session.addConnectionStateListener(notices);
    try {
      loop(reader);
      return ExitCodes.OK;
    } finally {
      session.removeConnectionStateListener(notices);
      terminal.handle(Signal.INT, before);
      saveHistory(reader);
    }
  }

  private void loop(LineReader reader) {
    while (true) {
      String line;
      try {
        line = reader.readLine(prompt());
      } catch (UserInterruptException e) {
        continue;
      } catch (EndOfFileException e) {
        terminal.writer().println();
        terminal.flush();
        return;
      }
      if (ShellLines.isQuit(line)) {
        return;
      }
      synchronized (lock) {
        // JLine passes on a Ctrl-C that came as the line was accepted; it is not for this command.
        Thread.interrupted();
        running = Thread.currentThread();
      }
      try {
        lines.run(line);
      } finally {
        synchronized (lock) {
          running = null;
          // A Ctrl-C that came as the command ended must not hit the next read.
          Thread.interrupted();
        }
      }
    }
  }

  private void interruptCommand() {
    synchronized (lock) {
      if (running != null) {
        // After the terminal's ^C, so that what the command says next starts a line.
        terminal.writer().println();
        terminal.flush();
        running.interrupt();
      }
    }
  }

  /** {@code keel 127.0.0.1:9871> }, with the state when the session is not connected. */
  String prompt() {
    ConnectionState state = session.connectionState();
    return "keel " + server() + (state.isConnected() ? "" : " (" + state + ")") + "> ";
  }

  private String server() {
    try {
      return session.attachedServer();
    } catch (RuntimeException e) {
      return servers;
    }
  }

  private LineReader reader() {
    LineReaderBuilder b = LineReaderBuilder.builder()
        .terminal(terminal)
        .appName("keel")
        .parser(ShellLines.parser())
        .completer(lines.completer())
        // '!' is data (set /motd hi!), not a history reference.
        .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true);
    if (history != null) {
      b.variable(LineReader.HISTORY_FILE, history);
    }
    return b.build();
  }

  private void saveHistory(LineReader reader) {
    if (history == null) {
      return;
    }
    try {
      reader.getHistory().save();
    } catch (IOException e) {
      terminal.writer().println("keel: cannot save the history to " + history + ": "
          + KeelCli.oneLine(e.getMessage()));
      terminal.flush();
    }
  }
}
