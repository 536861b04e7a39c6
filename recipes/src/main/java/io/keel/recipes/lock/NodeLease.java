package io.keel.recipes.lock;

import io.keel.client.KeelClient;
import io.keel.client.Op;
import io.keel.client.OpResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/** A {@link Lease} whose holding is the existence of one node; {@code onClose} releases it. */
final class NodeLease implements Lease {
  private final KeelClient client;
  private final String path;
  private final long token;
  private final Runnable onClose;
  private final AtomicBoolean closed = new AtomicBoolean();

  NodeLease(KeelClient client, String path, long token, Runnable onClose) {
    this.client = client;
    this.path = path;
    this.token = token;
    this.onClose = onClose;
  }

  @Override
  public long fencingToken() {
    return token;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public List<OpResult> guardedMulti(List<Op> ops) {
    List<Op> all = new ArrayList<>(ops.size() + 1);
    all.add(guard());
    all.addAll(ops);
    List<OpResult> results = client.multi(all);
    return results.subList(1, results.size());
  }

  @Override
  public boolean isOpen() {
    return !closed.get();
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      onClose.run();
    }
  }

  @Override
  public String toString() {
    return "Lease[" + path + ", token " + token + (closed.get() ? ", closed]" : "]");
  }
}
