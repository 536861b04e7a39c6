package io.keel.cli;

import io.keel.client.KeelAdmin;
import io.keel.client.KeelException;
import io.keel.client.NodeStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code snapshot create [ID]}: snapshots on demand. */
@Command(name = "snapshot", subcommands = SnapshotCommand.Create.class,
    description = {"Snapshots on demand.", "Example: keel snapshot create 1"})
final class SnapshotCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing the subcommand: create");
  }

  @Command(name = "create", sortOptions = false,
      description = {"Has node ID (default: every member) write a snapshot of its tree now, so that "
          + "its log up to there can be purged and a restart replays less. Prints the Raft log index "
          + "each snapshot covers. Exits 7 if a node did not answer.",
          "Example: keel snapshot create 1"})
  static final class Create extends AdminCommand {
    @Parameters(paramLabel = "ID", arity = "0..1", defaultValue = "0",
        description = "The node's id (server.N); omit for every member.")
    int id;

    @Override
    void validate() {
      if (id < 0) {
        requireNodeId(this, id);
      }
    }

    @Override
    int run(KeelAdmin admin) {
      List<Integer> ids = id > 0 ? List.of(id)
          : admin.status().nodes().stream().map(NodeStatus::id).filter(n -> n > 0).toList();
      List<Object> results = new ArrayList<>();
      KeelException failed = null;
      for (int node : ids) {
        Map<String, Object> j = Json.object();
        j.put("id", node);
        try {
          long index = admin.snapshot(node);
          j.put("snapshotIndex", index);
          if (!json()) {
            out().println("Node " + node + ": snapshot at index " + index
                + " (zxid 0x" + Long.toHexString(index << 16) + ")");
          }
        } catch (KeelException e) {
          if (id > 0) {
            throw e;
          }
          // Every member is asked even when one is down; the exit code still tells.
          failed = e;
          j.put("error", e.getMessage());
          err().println("keel: " + KeelCli.oneLine(e.getMessage()));
        }
        results.add(j);
      }
      if (json()) {
        Map<String, Object> j = Json.object();
        j.put("snapshots", results);
        out().println(Json.write(j));
      }
      return failed == null ? ExitCodes.OK : ExitCodes.of(failed.code());
    }
  }
}
