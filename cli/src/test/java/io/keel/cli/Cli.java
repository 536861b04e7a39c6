package io.keel.cli;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
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
}
