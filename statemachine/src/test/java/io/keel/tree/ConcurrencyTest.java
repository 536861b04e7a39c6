package io.keel.tree;

import static io.keel.tree.Requests.asSession;
import static io.keel.tree.Requests.closeSession;
import static io.keel.tree.Requests.create;
import static io.keel.tree.Requests.multi;
import static io.keel.tree.Requests.opCreate;
import static io.keel.tree.Requests.opDelete;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.proto.Code;
import io.keel.proto.CreateMode;
import io.keel.proto.Op;
import io.keel.proto.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Readers on other threads see each entry whole: a multi or a close-session never half applied. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConcurrencyTest {

  private static final int ENTRIES = 3000;
  private static final int GROUP = 4;

  @Test
  void readersNeverSeeHalfAnEntry() throws Exception {
    TreeDriver t = new TreeDriver();
    t.ok(create("/p"));
    AtomicBoolean done = new AtomicBoolean();
    ExecutorService readers = Executors.newFixedThreadPool(2);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      results.add(readers.submit(reader(t.tree, done, "/p")));
      results.add(readers.submit(digester(t.tree, done)));
      for (int i = 0; i < ENTRIES; i++) {
        if (i % 2 == 0) {
          // GROUP children appear in one multi...
          List<Op> ops = new ArrayList<>();
          for (int c = 0; c < GROUP; c++) {
            ops.add(opCreate("/p/c" + c));
          }
          assertEquals(Code.OK, t.write(multi(ops.toArray(Op[]::new))).getErr());
          List<Op> deletes = new ArrayList<>();
          for (int c = 0; c < GROUP; c++) {
            deletes.add(opDelete("/p/c" + c, -1));
          }
          assertEquals(Code.OK, t.write(multi(deletes.toArray(Op[]::new))).getErr());
        } else {
          // ...or as one session's ephemerals, gone in one close-session.
          long session = t.newSession(1000);
          for (int c = 0; c < GROUP; c++) {
            t.ok(asSession(session, create("/p/e" + c, CreateMode.EPHEMERAL)));
          }
          t.ok(closeSession(session));
        }
      }
      done.set(true);
      for (Future<Integer> result : results) {
        assertTrue(result.get(30, TimeUnit.SECONDS) > 0, "a reader never ran");
      }
    } finally {
      done.set(true);
      readers.shutdownNow();
      assertTrue(readers.awaitTermination(10, TimeUnit.SECONDS));
    }
  }

  private static Callable<Integer> reader(DataTree tree, AtomicBoolean done, String parent) {
    return () -> {
      int reads = 0;
      while (!done.get() || reads == 0) {
        Response children = tree.read(Requests.getChildren(parent));
        int count = children.getChildren().getChildrenCount();
        assertEquals(Code.OK, children.getErr());
        assertEquals(count, children.getChildren().getStat().getNumChildren());
        // c* come and go together; e* are created one by one but deleted together.
        long cs = children.getChildren().getChildrenList().stream().filter(n -> n.startsWith("c")).count();
        assertTrue(cs == 0 || cs == GROUP, "saw " + cs + " of a multi's " + GROUP + " children");
        reads++;
      }
      return reads;
    };
  }

  private static Callable<Integer> digester(DataTree tree, AtomicBoolean done) {
    return () -> {
      int digests = 0;
      while (!done.get() || digests == 0) {
        assertEquals(64, tree.digest().length());
        TreeDriver.restore(TreeDriver.snapshot(tree)); // every snapshot taken mid-flight is consistent
        digests++;
      }
      return digests;
    };
  }
}
