package io.keel.watches;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.keel.client.KeelClient;
import io.keel.client.WatchedEvent;
import io.keel.client.Watcher;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Records watch events; tests take them with deadlines. */
final class Recorder implements Watcher {
  final LinkedBlockingQueue<WatchedEvent> events = new LinkedBlockingQueue<>();

  @Override
  public void process(WatchedEvent event) {
    events.add(event);
  }

  WatchedEvent next() throws InterruptedException {
    WatchedEvent e = events.poll(30, TimeUnit.SECONDS);
    assertNotNull(e, "no watch event within 30 s");
    return e;
  }

  /**
   * Asserts nothing more came: after a sync and a read, every event of a change up to then has
   * been delivered (events come before read results).
   */
  void assertQuiet(KeelClient client, String path) {
    client.sync(path);
    client.exists(path);
    assertNull(events.peek(), "unexpected event " + events.peek());
  }
}
