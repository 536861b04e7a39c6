package io.keel.cli;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Stat;
import io.keel.client.Watcher;
import io.keel.client.WatcherType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * A command that talks to a cluster: validates its arguments, connects with the global options,
 * runs, closes the session (in {@code keel shell}: uses the shell's session and leaves it open).
 * Failures are thrown and turned into exit codes by {@link KeelCli}.
 */
abstract class ClientCommand implements Callable<Integer> {
  @ParentCommand
  KeelCli cli;

  @Spec
  CommandSpec spec;

  @Override
  public final Integer call() throws Exception {
    validate();
    KeelClient client = cli.connect();
    try {
      return run(client);
    } finally {
      cli.release(client);
    }
  }

  /** Checks what picocli cannot, before connecting; throws {@link #usage} on bad arguments. */
  void validate() {}

  abstract int run(KeelClient client) throws Exception;

  /**
   * Takes this command's watch off the shell's session, which outlives the command: left behind,
   * it would go on delivering events that no one reads. Outside the shell the watch ends with the
   * command's own session. Best effort: a one-shot watch that fired, or a session that is gone,
   * leaves nothing to remove.
   */
  void dropWatch(KeelClient client, String path, Watcher watcher, WatcherType type) {
    if (!cli.inShell()) {
      return;
    }
    try {
      client.removeWatches(path, watcher, type);
    } catch (KeelException e) {
      // Nothing left to remove, or no session to remove it from.
    }
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  boolean json() {
    return cli.output() == KeelCli.Output.JSON;
  }

  ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  /**
   * The data of a command: the DATA argument, all of stdin when it is {@code -} (bytes as they
   * are), the --file contents, or none (empty).
   */
  byte[] data(String argument, Path file, boolean required) {
    if (argument != null && file != null) {
      throw usage("give the data as an argument or with --file, not both");
    }
    if (file != null) {
      try {
        return Files.readAllBytes(file);
      } catch (IOException e) {
        throw usage("cannot read --file " + file + ": " + e);
      }
    }
    if (argument == null && required) {
      throw usage("missing the data: give it as an argument, - for stdin, or with --file");
    }
    if ("-".equals(argument)) {
      if (cli.stdin() == null) {
        throw usage("in the shell, stdin holds the commands: give the data as an argument "
            + "or with --file");
      }
      try {
        return cli.stdin().readAllBytes();
      } catch (IOException e) {
        throw usage("cannot read the data from stdin: " + e);
      }
    }
    return argument == null ? new byte[0] : argument.getBytes(StandardCharsets.UTF_8);
  }

  /** ZooKeeper's zkCli stat layout, so that operators' eyes and scripts keep working. */
  static void printStat(PrintWriter out, Stat s) {
    out.println("cZxid = 0x" + Long.toHexString(s.czxid()));
    out.println("ctime = " + new Date(s.ctime()));
    out.println("mZxid = 0x" + Long.toHexString(s.mzxid()));
    out.println("mtime = " + new Date(s.mtime()));
    out.println("pZxid = 0x" + Long.toHexString(s.pzxid()));
    out.println("cversion = " + s.cversion());
    out.println("dataVersion = " + s.version());
    out.println("aclVersion = " + s.aversion());
    out.println("ephemeralOwner = 0x" + Long.toHexString(s.ephemeralOwner()));
    out.println("dataLength = " + s.dataLength());
    out.println("numChildren = " + s.numChildren());
  }

  /** Data as JSON: {@code data} when it is valid UTF-8, else {@code dataBase64}. */
  static void putData(Map<String, Object> json, byte[] data) {
    try {
      json.put("data", StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(data)).toString());
    } catch (CharacterCodingException e) {
      json.put("dataBase64", Base64.getEncoder().encodeToString(data));
    }
  }
}
