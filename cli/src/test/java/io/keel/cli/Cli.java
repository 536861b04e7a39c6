package io.keel.cli;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;

/** Runs the keel command in-process, capturing what it prints and its exit code. */
final class Cli {
  record Result(int exitCode, String out, String err) {
    List<String> errLines() {
      return err.isEmpty() ? List.of() : List.of(err.split("\n"));
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- out:\n" + out + "--- err:\n" + err;
    }
  }

  private Cli() {}

  static Result run(String... args) {
    return runWithInput(new byte[0], args);
  }

  /** Runs with {@code stdin} as the standard input. */
  static Result runWithInput(byte[] stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = KeelCli.newCommandLine(new ByteArrayInputStream(stdin));
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    cl.getOut().flush();
    cl.getErr().flush();
    return new Result(code, out.toString(), err.toString());
  }

  /** Runs against {@code servers} with a generous timeout. */
  static Result against(String servers, String... args) {
    return run(withServers(servers, args));
  }

  /** As {@link #against}, with {@code stdin} as the standard input. */
  static Result againstWithInput(String servers, byte[] stdin, String... args) {
    return runWithInput(stdin, withServers(servers, args));
  }

  private static String[] withServers(String servers, String... args) {
    List<String> all = new ArrayList<>(List.of("--servers", servers, "--timeout", "30s"));
    all.addAll(Arrays.asList(args));
    return all.toArray(String[]::new);
  }

  /** A command running in a thread of its own, its output readable while it runs. */
  static final class Background {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final Thread thread;
    private volatile int exitCode = -1;

    private Background(String[] args) {
      thread = new Thread(() -> {
        CommandLine cl = KeelCli.newCommandLine(new ByteArrayInputStream(new byte[0]));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        exitCode = cl.execute(args);
        cl.getOut().flush();
        cl.getErr().flush();
      }, "keel " + String.join(" ", args));
      thread.setDaemon(true);
      thread.start();
    }

    /** What it printed so far. */
    String out() {
      return out.toString();
    }

    boolean isRunning() {
      return thread.isAlive();
    }

    /** Stops it as Ctrl-C would in a shell: by interrupting it. */
    void interrupt() {
      thread.interrupt();
    }

    /** Waits for it to end; fails if it does not within {@code timeout}. */
    Result await(Duration timeout) throws InterruptedException {
      thread.join(timeout.toMillis());
      if (thread.isAlive()) {
        throw new AssertionError("still running after " + timeout + "; out so far:\n" + out());
      }
      return new Result(exitCode, out.toString(), err.toString());
    }
  }

  /** Starts a command against {@code servers} in the background. */
  static Background start(String servers, String... args) {
    return new Background(withServers(servers, args));
  }
}
