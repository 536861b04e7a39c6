package io.keel.cli;

import io.keel.client.KeelClient;
import io.keel.client.NodeData;
import io.keel.client.WatchedEvent;
import io.keel.client.Watcher;
import io.keel.client.WatcherType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** zkCli's {@code get [-s] [-w] path}. */
@Command(name = "get", sortOptions = false,
    description = {"Prints a node's data as UTF-8; with -s, its stat too; with -w, then waits "
        + "for the watch's one event and prints it as zkCli does, on one line: "
        + "WATCHER:: WatchedEvent state:SyncConnected type:NodeDataChanged path:/config zxid:0x1f",
        "Example: keel get -s /config"})
final class GetCommand extends ClientCommand {
  @Option(names = "-s", description = "Also print the stat (zkCli's format).")
  boolean withStat;

  @Option(names = "-w", description = "Watch: wait for the node's next change or deletion, "
      + "print it, exit 0.")
  boolean watch;

  @Option(names = "--wait-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "With -w: give up after DURATION with exit 7 (default: wait forever).")
  Duration waitTimeout;

  @Parameters(paramLabel = "PATH")
  String path;

  @Override
  void validate() {
    if (waitTimeout != null && !watch) {
      throw usage("--wait-timeout needs -w");
    }
  }

  @Override
  int run(KeelClient client) throws InterruptedException {
    BlockingQueue<WatchedEvent> events = new LinkedBlockingQueue<>();
    Watcher watcher = events::add;
    try {
      print(watch ? client.getData(path, watcher) : client.getData(path));
      return watch ? Events.awaitOne(events, waitTimeout, path, out(), json()) : ExitCodes.OK;
    } finally {
      if (watch) {
        dropWatch(client, path, watcher, WatcherType.DATA);
      }
    }
  }

  private void print(NodeData d) {
    if (json()) {
      Map<String, Object> j = Json.object();
      j.put("path", path);
      putData(j, d.data());
      j.put("stat", Json.stat(d.stat()));
      out().println(Json.write(j));
    } else {
      out().println(new String(d.data(), StandardCharsets.UTF_8));
      if (withStat) {
        printStat(out(), d.stat());
      }
    }
  }
}
