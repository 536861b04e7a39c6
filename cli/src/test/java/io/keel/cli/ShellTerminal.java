package io.keel.cli;

import io.keel.client.KeelClient;
import io.keel.testing.KeelTestCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * {@code keel shell} on a JLine terminal whose keyboard and screen are pipes, running on a thread
 * of its own: what a user at a terminal types and sees, Ctrl-C and Ctrl-D included (the
 * terminal's line discipline turns them into a signal and end of input, as a real one does).
 */
final class ShellTerminal implements AutoCloseable {
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  private final PipedOutputStream keys = new PipedOutputStream();
  private final ByteArrayOutputStream screen = new ByteArrayOutputStream();
  private final Terminal terminal;
  private final KeelClient session;
  private final Thread thread;
  private volatile int exitCode = -1;

  private ShellTerminal(KeelTestCluster cluster, Path history) throws IOException {
    // The exec provider's terminal has its line discipline in the JVM, so that Ctrl-C raises
    // the signal here; the native ones open a pty, whose ^C would signal no process of ours.
    terminal = TerminalBuilder.builder().system(false).provider("exec").type("ansi")
        .size(new Size(160, 40)).streams(new PipedInputStream(keys, 1 << 16), screen).build();
    ShellCommand shell = ShellTest.shellCommand(history);
    session = shell.cli.newSession();
    thread = new Thread(() -> exitCode = shell.interactive(terminal, session), "keel shell");
    thread.setDaemon(true);
    thread.start();
  }

  /** Starts the shell against {@code cluster}, keeping its history in {@code history}, if any. */
  static ShellTerminal start(KeelTestCluster cluster, Path history) throws IOException {
    return new ShellTerminal(cluster, history);
  }

  /** Types {@code keys}: "\n" is Enter, "\u0003" Ctrl-C, "\u0004" Ctrl-D. */
  void type(String text) throws IOException {
    keys.write(text.getBytes(StandardCharsets.UTF_8));
    keys.flush();
  }

  /** All the shell printed so far: prompts, echoed keys, the commands' output and errors. */
  String output() {
    return screen.toString(StandardCharsets.UTF_8);
  }

  void awaitOutput(String text) {
    await("the terminal to show " + text, () -> output().contains(text));
  }

  /** Waits until the shell has shown at least {@code n} prompts. */
  void awaitPrompts(int n) {
    await(n + " prompts", () -> prompts() >= n);
  }

  private void await(String what, Callable<Boolean> condition) {
    try {
      Awaitility.await(what).atMost(DEADLINE).until(condition);
    } catch (ConditionTimeoutException e) {
      StringBuilder where = new StringBuilder();
      for (StackTraceElement frame : thread.getStackTrace()) {
        where.append("\n  at ").append(frame);
      }
      throw new AssertionError("waited in vain for " + what + "; the terminal shows:\n"
          + output() + "\n--- the shell's thread:" + where, e);
    }
  }

  private int prompts() {
    return output().split("keel 127\\.0\\.0\\.1:\\d+> ", -1).length - 1;
  }

  boolean isRunning() {
    return thread.isAlive();
  }

  /** Waits for the shell to end; its exit code. */
  int awaitExit() throws InterruptedException {
    thread.join(DEADLINE.toMillis());
    if (thread.isAlive()) {
      throw new AssertionError("the shell still runs; it showed:\n" + output());
    }
    return exitCode;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    if (thread.isAlive()) {
      type("quit\n");
      thread.join(DEADLINE.toMillis());
    }
    keys.close();
    terminal.close();
    session.close();
  }
}
