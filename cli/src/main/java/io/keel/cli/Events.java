package io.keel.cli;

import io.keel.client.KeelException;
import io.keel.client.WatchedEvent;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/** How the watch commands print a {@link WatchedEvent}, and wait for one. */
final class Events {
  private Events() {}

  /** ZooKeeper's name of the type: NODE_DATA_CHANGED is NodeDataChanged. */
  static String typeName(WatchedEvent.Type type) {
    StringBuilder b = new StringBuilder();
    for (String word : type.name().split("_")) {
      b.append(word.charAt(0)).append(word.substring(1).toLowerCase(Locale.ROOT));
    }
    return b.toString();
  }

  /** {@code -o json}: {"type":"NodeDataChanged","path":"/x","zxid":31}. */
  static String json(WatchedEvent e) {
    Map<String, Object> j = Json.object();
    j.put("type", typeName(e.type()));
    j.put("path", e.path());
    j.put("zxid", e.zxid());
    return Json.write(j);
  }

  /** {@code watch}'s line: "NodeDataChanged /x 0x1f". */
  static String line(WatchedEvent e) {
    return typeName(e.type()) + " " + e.path() + " 0x" + Long.toHexString(e.zxid());
  }

  /** zkCli's form for {@code get -w} and {@code ls -w}, on one line, with the zxid. */
  static String zkLine(WatchedEvent e) {
    String state = switch (e.type()) {
      case SESSION_EXPIRED -> "Expired";
      case CLIENT_CLOSED -> "Closed";
      default -> "SyncConnected";
    };
    return "WATCHER:: WatchedEvent state:" + state + " type:" + typeName(e.type())
        + " path:" + e.path() + " zxid:0x" + Long.toHexString(e.zxid());
  }

  /** The exit code after this event: 0, unless it says that no more events can come. */
  static int exitCode(WatchedEvent e) {
    return switch (e.type()) {
      case SESSION_EXPIRED -> ExitCodes.of(KeelException.Code.SESSIONEXPIRED);
      case CLIENT_CLOSED -> ExitCodes.CONNECTION;
      default -> ExitCodes.OK;
    };
  }

  /** True if no event can follow this one. */
  static boolean isLast(WatchedEvent e) {
    return e.type() == WatchedEvent.Type.SESSION_EXPIRED
        || e.type() == WatchedEvent.Type.CLIENT_CLOSED
        || e.type() == WatchedEvent.Type.PERSISTENT_WATCH_REMOVED;
  }

  /**
   * For {@code get -w} and {@code ls -w}: waits for the one event of the watch (forever when
   * {@code timeout} is null), prints it, returns the exit code. No event in time is an
   * OPERATIONTIMEOUT (exit 7).
   */
  static int awaitOne(BlockingQueue<WatchedEvent> events, Duration timeout, String path,
      PrintWriter out, boolean json) throws InterruptedException {
    out.flush();
    WatchedEvent e = timeout == null ? events.take()
        : events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    if (e == null) {
      throw KeelException.create(KeelException.Code.OPERATIONTIMEOUT, path,
          "no watch event within " + DurationConverter.format(timeout));
    }
    out.println(json ? json(e) : zkLine(e));
    out.flush();
    return exitCode(e);
  }
}
