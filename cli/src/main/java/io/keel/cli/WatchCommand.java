package io.keel.cli;

import io.keel.client.AddWatchMode;
import io.keel.client.KeelClient;
import io.keel.client.WatchedEvent;
import io.keel.client.Watcher;
import io.keel.client.WatcherType;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** A persistent watch from the shell: zkCli's {@code addWatch [-m mode] path}, kept running. */
@Command(name = "watch", sortOptions = false,
    description = {"Sets a persistent watch (with -R, recursive) and prints one line per event, "
        + "\"TYPE PATH ZXID\" (e.g. NodeDataChanged /config 0x1f; with -o json one object a "
        + "line), flushed as it comes, until interrupted (Ctrl-C: exit 130, SIGTERM: 143) or "
        + "--count events. Nothing else goes to stdout. The node need not exist yet.",
        "HistoryGap means changes may have been missed (re-read); SessionExpired ends it with "
            + "exit 8.",
        "Example: keel watch -R /config"})
final class WatchCommand extends ClientCommand {
  @Option(names = "-R", description = "Recursive: the node and every node below it, each "
      + "event with the changed node's path (no NodeChildrenChanged, as in ZooKeeper).")
  boolean recursive;

  @Option(names = "--count", paramLabel = "N",
      description = "Exit 0 after N events (default: run until interrupted).")
  Integer count;

  @Parameters(paramLabel = "PATH")
  String path;

  @Override
  void validate() {
    if (count != null && count <= 0) {
      throw usage("--count must be positive, got " + count);
    }
  }

  @Override
  int run(KeelClient client) {
    BlockingQueue<WatchedEvent> events = new LinkedBlockingQueue<>();
    Watcher watcher = events::add;
    client.addWatch(path, watcher,
        recursive ? AddWatchMode.PERSISTENT_RECURSIVE : AddWatchMode.PERSISTENT);
    try {
      return print(events);
    } finally {
      dropWatch(client, path, watcher,
          recursive ? WatcherType.PERSISTENT_RECURSIVE : WatcherType.PERSISTENT);
    }
  }

  private int print(BlockingQueue<WatchedEvent> events) {
    for (int seen = 0; count == null || seen < count; seen++) {
      WatchedEvent e;
      try {
        e = events.take();
      } catch (InterruptedException interrupted) {
        // Stopped from within the JVM (in-process callers): that is the way to end it, a
        // success. A signal ends the JVM instead.
        return ExitCodes.OK;
      }
      out().println(json() ? Events.json(e) : Events.line(e));
      out().flush();
      if (Events.isLast(e)) {
        return Events.exitCode(e);
      }
    }
    return ExitCodes.OK;
  }
}
