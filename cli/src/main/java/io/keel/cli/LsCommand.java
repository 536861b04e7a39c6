package io.keel.cli;

import io.keel.client.Children;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.WatchedEvent;
import io.keel.client.Watcher;
import io.keel.client.WatcherType;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** zkCli's {@code ls [-s] [-w] [-R] path}. */
@Command(name = "ls", sortOptions = false,
    description = {"Lists a node's children as [a, b]; with -s, its stat too; with -R, every "
        + "path below it, one a line; with -w, then waits for the watch's one event (a child "
        + "created or deleted, the node deleted) and prints it as get -w does.",
        "Example: keel ls -s /"})
final class LsCommand extends ClientCommand {
  @Option(names = "-s", description = "Also print the node's stat (zkCli's format).")
  boolean withStat;

  @Option(names = "-R", description = "Recursive: print the node and every path below it, "
      + "breadth first.")
  boolean recursive;

  @Option(names = "-w", description = "Watch: wait for the next change of the node's children "
      + "or its deletion, print it, exit 0.")
  boolean watch;

  @Option(names = "--wait-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "With -w: give up after DURATION with exit 7 (default: wait forever).")
  Duration waitTimeout;

  @Parameters(paramLabel = "PATH")
  String path;

  @Override
  void validate() {
    if (recursive && withStat) {
      throw usage("-R cannot be combined with -s");
    }
    if (recursive && watch) {
      throw usage("-R cannot be combined with -w (use watch -R)");
    }
    if (waitTimeout != null && !watch) {
      throw usage("--wait-timeout needs -w");
    }
  }

  @Override
  int run(KeelClient client) throws InterruptedException {
    if (recursive) {
      List<String> paths = subtree(client);
      if (json()) {
        Map<String, Object> j = Json.object();
        j.put("path", path);
        j.put("paths", paths);
        out().println(Json.write(j));
      } else {
        paths.forEach(out()::println);
      }
      return ExitCodes.OK;
    }
    BlockingQueue<WatchedEvent> events = new LinkedBlockingQueue<>();
    Watcher watcher = events::add;
    try {
      print(watch ? client.getChildrenWithStat(path, watcher) : client.getChildrenWithStat(path));
      return watch ? Events.awaitOne(events, waitTimeout, path, out(), json()) : ExitCodes.OK;
    } finally {
      if (watch) {
        dropWatch(client, path, watcher, WatcherType.CHILDREN);
      }
    }
  }

  private void print(Children c) {
    if (json()) {
      Map<String, Object> j = Json.object();
      j.put("path", path);
      j.put("children", c.names());
      j.put("stat", Json.stat(c.stat()));
      out().println(Json.write(j));
    } else {
      out().println(c.names());
      if (withStat) {
        printStat(out(), c.stat());
      }
    }
  }

  /** Breadth first, as zkCli's ls -R; a node deleted while we walk is skipped. */
  private List<String> subtree(KeelClient client) {
    List<String> out = new ArrayList<>();
    Deque<String> queue = new ArrayDeque<>();
    queue.add(path);
    boolean first = true;
    while (!queue.isEmpty()) {
      String p = queue.poll();
      List<String> children;
      try {
        children = client.getChildren(p);
      } catch (KeelException.NoNodeException e) {
        if (first) {
          throw e;
        }
        continue;
      }
      first = false;
      out.add(p);
      for (String child : children) {
        queue.add(p.equals("/") ? "/" + child : p + "/" + child);
      }
    }
    return out;
  }
}
