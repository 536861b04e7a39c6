package io.keel.cli;

import io.keel.client.AddWatchMode;
import io.keel.client.KeelClient;
import io.keel.client.Watcher;
import io.keel.client.WatcherType;
import io.keel.recipes.election.LeaderElection;
import io.keel.recipes.election.Leadership;
import io.keel.recipes.election.LeadershipListener;
import java.net.InetAddress;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code elect NAME}: campaigns in a {@link LeaderElection} and holds leadership until
 * interrupted, or with {@code --listen} prints the leader and its every change.
 */
@Command(name = "elect", sortOptions = false,
    description = {"Campaigns in the election NAME (/keel/elections/NAME, or NAME if it starts "
        + "with /): prints 'leader ID token N' when elected (and 'not-leader ID' if the term ends, "
        + "e.g. while the connection is suspended) and holds leadership until interrupted. "
        + "With --listen, does not campaign: prints the current leader ('leader ID', or "
        + "'no-leader') and every change of it. Session lost: exit 9.",
        "Example: keel elect scheduler --id host-1",
        "Example: keel elect scheduler --listen"})
final class ElectCommand extends ClientCommand {
  private static final Object SESSION_ENDED = new Object();

  @Parameters(paramLabel = "NAME")
  String name;

  @Option(names = "--id", paramLabel = "ID",
      description = "This participant's id (default: HOSTNAME-PID).")
  String id;

  @Option(names = "--listen", description = "Do not campaign: print the leader and its changes.")
  boolean listen;

  @Option(names = "--count", paramLabel = "N", defaultValue = "0",
      description = "Exit (resigning) after printing N lines; 0: run until interrupted "
          + "(default: ${DEFAULT-VALUE}).")
  int count;

  private int printed;

  @Override
  void validate() {
    if (count < 0) {
      throw usage("--count must not be negative");
    }
    if (listen && id != null) {
      throw usage("--id is for campaigning; --listen does not campaign");
    }
    if (id != null && id.isEmpty()) {
      throw usage("--id must not be empty");
    }
  }

  String path() {
    return name.startsWith("/") ? name : "/keel/elections/" + name;
  }

  @Override
  int run(KeelClient client) throws Exception {
    BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    try (SessionWatch session = new SessionWatch(client, () -> events.add(SESSION_ENDED))) {
      return listen ? listen(client, events) : campaign(client, events);
    }
  }

  private int campaign(KeelClient client, BlockingQueue<Object> events) throws Exception {
    String me = id != null ? id : defaultId();
    try (LeaderElection election = new LeaderElection(client, path(), me);
         SessionWatch.Hook hook = SessionWatch.onShutdown(election::close)) {
      election.addListener(new LeadershipListener() {
        @Override
        public void isLeader(Leadership term) {
          Map<String, Object> j = event("leader", me);
          j.put("token", term.fencingToken());
          events.add(j);
        }

        @Override
        public void notLeader() {
          events.add(event("not-leader", me));
        }
      });
      election.start();
      while (true) {
        Object e = events.take();
        if (e == SESSION_ENDED) {
          return sessionLost();
        }
        if (print(e)) {
          return ExitCodes.OK;
        }
      }
    }
  }

  private int listen(KeelClient client, BlockingQueue<Object> events) throws Exception {
    Object changed = new Object();
    Watcher watcher = event -> events.add(changed);
    client.addWatch(path(), watcher, AddWatchMode.PERSISTENT);
    // Never started: only reads the line, as an observer.
    LeaderElection observer = new LeaderElection(client, path(), "keel-cli-listener");
    try {
      return observe(observer, events);
    } finally {
      dropWatch(client, path(), watcher, WatcherType.PERSISTENT);
    }
  }

  /** Prints the leader now and at each change that the watch signals. */
  private int observe(LeaderElection observer, BlockingQueue<Object> events)
      throws InterruptedException {
    Optional<String> last = null;
    while (true) {
      Optional<String> leader = observer.currentLeaderId();
      if (!Objects.equals(leader, last)) {
        last = leader;
        Map<String, Object> j = leader.isPresent() ? event("leader", leader.get())
            : event("no-leader", null);
        if (print(j)) {
          return ExitCodes.OK;
        }
      }
      Object e = events.take();
      while (e != SESSION_ENDED && events.peek() != null) {
        e = events.poll();
      }
      if (e == SESSION_ENDED || events.contains(SESSION_ENDED)) {
        return sessionLost();
      }
    }
  }

  private Map<String, Object> event(String kind, String who) {
    Map<String, Object> j = Json.object();
    j.put("event", kind);
    j.put("election", path());
    if (who != null) {
      j.put("id", who);
    }
    return j;
  }

  /** Prints one event line; true when --count lines are out. */
  private boolean print(Object e) {
    @SuppressWarnings("unchecked")
    Map<String, Object> j = (Map<String, Object>) e;
    if (json()) {
      out().println(Json.write(j));
    } else {
      String line = j.get("event") + (j.containsKey("id") ? " " + j.get("id") : "")
          + (j.containsKey("token") ? " token " + j.get("token") : "");
      out().println(line);
    }
    out().flush();
    printed++;
    return count > 0 && printed >= count;
  }

  private int sessionLost() {
    spec.commandLine().getErr().println("keel: session lost in election " + path());
    return ExitCodes.SESSION_LOST;
  }

  private static String defaultId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      host = "keel";
    }
    return host + "-" + ProcessHandle.current().pid();
  }
}
