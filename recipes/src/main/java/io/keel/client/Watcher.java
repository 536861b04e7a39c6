package io.keel.client;

/**
 * Receives watch events (ZooKeeper's {@code Watcher}). A client calls its watchers one event at a
 * time, in the order of the events' zxids, on one thread of its own; a watcher may call the client
 * again, blocking calls included. A watcher that takes long holds back the client's later events
 * and the reads that must come after them.
 */
@FunctionalInterface
public interface Watcher {
  void process(WatchedEvent event);
}
