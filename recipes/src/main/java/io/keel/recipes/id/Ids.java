package io.keel.recipes.id;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.OpResult;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.Sequence;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** What the id generators share: argument checks, the directory, listing their own nodes. */
final class Ids {
  private static final Duration NO_CAP = Duration.ofDays(1);

  private Ids() {}

  static void checkArguments(KeelClient client, String path) {
    if (client == null) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path, "client is null");
    }
    if (path == null || !path.startsWith("/") || path.equals("/") || path.endsWith("/")) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path,
          "an id generator's path must be absolute and not the root, got " + path);
    }
  }

  static IllegalStateException closed(String path) {
    return new IllegalStateException("the id generator on " + path + " is closed");
  }

  /** The index of the op a failed multi failed at; -1 if the failure names none. */
  static int failedOp(KeelException e) {
    List<OpResult> results = e.results();
    for (int i = 0; i < results.size(); i++) {
      if (results.get(i) instanceof OpResult.ErrorResult r
          && r.code() != KeelException.Code.OK
          && r.code() != KeelException.Code.RUNTIMEINCONSISTENCY) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Creates {@code dir} PERSISTENT, its missing ancestors as CONTAINERs: the directory itself must
   * never be reaped, since its counter would start again.
   */
  static void ensureDirectory(KeelClient client, String dir, Deadline deadline)
      throws InterruptedException {
    ZNodes.retryRun(client, deadline, () -> {
      ZNodes.ensurePath(client, ZNodes.parent(dir), CreateMode.CONTAINER);
      try {
        client.create(dir, null, CreateMode.PERSISTENT);
      } catch (KeelException.NodeExistsException e) {
        // Made by another generator, or by our earlier try before a lost reply.
      }
    });
  }

  /** Full paths of the children of {@code dir} named {@code head}..., in counter order. */
  static List<String> children(KeelClient client, String dir, String head, Deadline deadline)
      throws InterruptedException {
    List<String> names;
    try {
      // Fresh, so that a create applied just before its reply was lost is seen.
      ZNodes.retryRun(client, deadline, () -> client.sync(dir, deadline.remaining(NO_CAP)));
      names = ZNodes.retry(client, deadline,
          () -> client.getChildren(dir, deadline.remaining(NO_CAP)));
    } catch (KeelException.NoNodeException e) {
      return List.of();
    }
    List<String> mine = new ArrayList<>();
    for (String name : Sequence.sorted(names)) {
      if (name.startsWith(head)) {
        mine.add(ZNodes.join(dir, name));
      }
    }
    return mine;
  }
}
