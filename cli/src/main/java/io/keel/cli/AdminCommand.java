package io.keel.cli;

import io.keel.client.KeelAdmin;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * A command that administers the cluster ({@code cluster ...}, {@code snapshot ...}): it talks to
 * the servers' Raft admin service through {@link KeelAdmin} and opens no session, so it works
 * while no leader is elected. Failures are thrown and turned into exit codes by {@link KeelCli}.
 */
abstract class AdminCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Override
  public final Integer call() throws Exception {
    validate();
    try (KeelAdmin admin = cli().admin()) {
      return run(admin);
    }
  }

  /** Checks what picocli cannot, before connecting; throws {@link #usage} on bad arguments. */
  void validate() {}

  abstract int run(KeelAdmin admin) throws Exception;

  KeelCli cli() {
    return (KeelCli) spec.root().userObject();
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  boolean json() {
    return cli().output() == KeelCli.Output.JSON;
  }

  ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  static void requireNodeId(AdminCommand c, int id) {
    if (id < 1) {
      throw c.usage("node ID must be a positive number (N of server.N in the config), got " + id);
    }
  }
}
