package io.keel.cli;

import io.keel.client.ClusterStatus;
import io.keel.client.KeelAdmin;
import io.keel.client.NodeStatus;
import io.keel.client.NodeStatus.Membership;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code cluster status|add|remove|promote|demote|transfer-leader}: the cluster's members. */
@Command(name = "cluster",
    subcommands = {ClusterCommand.Status.class, ClusterCommand.Add.class,
        ClusterCommand.Remove.class, ClusterCommand.Promote.class, ClusterCommand.Demote.class,
        ClusterCommand.TransferLeader.class},
    description = {"The cluster's members: status, membership changes, leadership.",
        "Example: keel cluster status"})
final class ClusterCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(),
        "missing the subcommand: status, add, remove, promote, demote or transfer-leader");
  }

  @Command(name = "status", sortOptions = false,
      description = {"Asks every member (voters and observers) how it is, like zkServer.sh status "
          + "for the whole cluster at once: its role, term, applied and committed Raft log index, "
          + "newest snapshot, and whether it answered. Exits 0 when a leader and every member "
          + "answered, 10 when some did not, 7 when none did.",
          "Example: keel cluster status"})
  static final class Status extends AdminCommand {
    @Override
    int run(KeelAdmin admin) {
      ClusterStatus s = admin.status();
      if (json()) {
        out().println(Json.write(json(s)));
      } else {
        printTable(s);
      }
      return s.healthy() ? ExitCodes.OK : ExitCodes.DEGRADED;
    }

    private void printTable(ClusterStatus s) {
      long reachable = s.nodes().stream().filter(NodeStatus::reachable).count();
      out().println(s.leader().map(l -> "Leader: node " + l.id() + ", term " + l.term())
          .orElse("Leader: none answered") + "; " + reachable + " of " + s.nodes().size()
          + " nodes reachable" + (s.changing() ? "; a membership change is being committed" : ""));
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"ID", "ADDRESS", "MEMBER", "ROLE", "TERM", "APPLIED", "COMMITTED",
          "SNAPSHOT", "REACHABLE"});
      for (NodeStatus n : s.nodes()) {
        rows.add(new String[] {n.id() > 0 ? String.valueOf(n.id()) : n.peerId(), n.address(),
            lower(n.membership()), n.reachable() ? lower(n.role()) : "-", number(n.term()),
            number(n.appliedIndex()), number(n.committedIndex()), number(n.snapshotIndex()),
            n.reachable() ? "yes" : "no: " + n.error()});
      }
      int[] widths = new int[rows.get(0).length];
      for (String[] r : rows) {
        for (int i = 0; i < r.length - 1; i++) {
          widths[i] = Math.max(widths[i], r[i].length());
        }
      }
      for (String[] r : rows) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < r.length; i++) {
          line.append(i < r.length - 1 ? String.format("%-" + (widths[i] + 2) + "s", r[i]) : r[i]);
        }
        out().println(line);
      }
    }

    private static Map<String, Object> json(ClusterStatus s) {
      Map<String, Object> j = Json.object();
      j.put("leader", s.leader().map(NodeStatus::id).orElse(null));
      j.put("term", s.leader().map(NodeStatus::term).orElse(null));
      j.put("healthy", s.healthy());
      j.put("changing", s.changing());
      List<Object> nodes = new ArrayList<>();
      for (NodeStatus n : s.nodes()) {
        Map<String, Object> m = Json.object();
        m.put("id", n.id());
        m.put("peerId", n.peerId());
        m.put("address", n.address());
        m.put("membership", lower(n.membership()));
        m.put("role", lower(n.role()));
        m.put("reachable", n.reachable());
        m.put("term", known(n.term()));
        m.put("leaderId", known(n.leaderId()));
        m.put("appliedIndex", known(n.appliedIndex()));
        m.put("committedIndex", known(n.committedIndex()));
        m.put("lastIndex", known(n.lastIndex()));
        m.put("snapshotIndex", known(n.snapshotIndex()));
        m.put("roleMillis", known(n.roleMillis()));
        m.put("error", n.error());
        nodes.add(m);
      }
      j.put("nodes", nodes);
      return j;
    }

    private static Long known(long value) {
      return value < 0 ? null : value;
    }

    private static String number(long value) {
      return value < 0 ? "-" : String.valueOf(value);
    }
  }

  @Command(name = "add", sortOptions = false,
      description = {"Adds a node as a voter (or an observer with --observer). Start the node "
          + "first, with a config whose server.N lines list the members and itself and that says "
          + "initialClusterState=existing; the change commits once it has caught up with the log.",
          "Example: keel cluster add 5 10.0.0.5:9871 --observer"})
  static final class Add extends NodeChange {
    @Parameters(index = "1", paramLabel = "HOST:PORT", description = "The node's address.")
    String address;

    @Option(names = "--observer", description = "Add it as an observer (non-voting).")
    boolean observer;

    @Override
    int run(KeelAdmin admin) {
      Membership as = observer ? Membership.OBSERVER : Membership.VOTER;
      admin.addNode(id, address, as);
      return done("Added node " + id + " (" + address + ") as " + article(as), as);
    }
  }

  @Command(name = "remove", description = {"Removes a member. The node keeps running until you "
      + "stop it, but no longer takes part.", "Example: keel cluster remove 3"})
  static final class Remove extends NodeChange {
    @Override
    int run(KeelAdmin admin) {
      admin.removeNode(id);
      return done("Removed node " + id, null);
    }
  }

  @Command(name = "promote", description = {"Makes an observer a voter.",
      "Example: keel cluster promote 4"})
  static final class Promote extends NodeChange {
    @Override
    int run(KeelAdmin admin) {
      admin.promote(id);
      return done("Node " + id + " is now a voter", Membership.VOTER);
    }
  }

  @Command(name = "demote", description = {"Makes a voter an observer: it stops counting toward "
      + "the quorum at once, and takes the observer role at its next restart.",
      "Example: keel cluster demote 3"})
  static final class Demote extends NodeChange {
    @Override
    int run(KeelAdmin admin) {
      admin.demote(id);
      return done("Node " + id + " is now an observer", Membership.OBSERVER);
    }
  }

  @Command(name = "transfer-leader", description = {"Makes voter ID the leader, and waits until "
      + "it is.", "Example: keel cluster transfer-leader 2"})
  static final class TransferLeader extends NodeChange {
    @Override
    int run(KeelAdmin admin) {
      admin.transferLeadership(id);
      return done("Node " + id + " is the leader", null);
    }
  }

  /** A change to node ID's part in the cluster: checks the ID, reports the change. */
  abstract static class NodeChange extends AdminCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The node's id (its server.N).")
    int id;

    @Override
    void validate() {
      requireNodeId(this, id);
    }

    /** One line of text, or a JSON object naming the change (the command's name) and the node. */
    int done(String text, Membership membership) {
      if (json()) {
        Map<String, Object> j = Json.object();
        j.put("change", spec.name());
        j.put("id", id);
        if (membership != null) {
          j.put("membership", lower(membership));
        }
        j.put("done", true);
        out().println(Json.write(j));
      } else {
        out().println(text);
      }
      return ExitCodes.OK;
    }
  }

  private static String article(Membership m) {
    return m == Membership.VOTER ? "a voter" : "an observer";
  }

  static String lower(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }
}
