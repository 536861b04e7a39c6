package io.keel.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.tree.TreeEvent;
import io.keel.watch.WatchMatch.Notice;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The registry's indexed dispatch (path map, parent lookup, ancestor walk only while recursive
 * watches exist) must agree with a naive reference that tries every watch on every change, on
 * thousands of random writes and registrations over a small tree; and it must stay correct with
 * an apply thread and a polling thread running at once.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DifferentialTest {

  private static final String[] PATHS = {"/", "/a", "/a/b", "/a/b/c", "/a/d", "/e", "/e/f"};

  /** A watch of the reference (registered at the current zxid, so no guard is needed). */
  private record Watch(long session, String path, WatchKind kind) {
  }

  @Test
  void indexedDispatchAgreesWithTryingEveryWatch() {
    for (long seed = 1; seed <= 20; seed++) {
      run(new Random(seed));
    }
  }

  private void run(Random random) {
    WatchDriver d = new WatchDriver(1_000_000);
    List<Watch> reference = new ArrayList<>();
    Map<Long, List<String>> expected = new HashMap<>();
    for (int step = 0; step < 400; step++) {
      if (random.nextInt(3) == 0) {
        Watch w = new Watch(random.nextInt(3), PATHS[random.nextInt(PATHS.length)],
            WatchKind.values()[random.nextInt(WatchKind.values().length)]);
        d.registry.register(w.session(), w.path(), w.kind(), d.zxid);
        if (!reference.contains(w)) {
          reference.add(w);
        }
        continue;
      }
      String path = PATHS[1 + random.nextInt(PATHS.length - 1)];
      String parent = io.keel.tree.Paths.parent(path);
      if (!d.exists(path)) {
        if (!d.exists(parent)) {
          continue;
        }
        d.create(path);
      } else if (random.nextBoolean() || hasChildren(d, path)) {
        d.setData(path);
      } else {
        d.delete(path);
      }
      List<TreeEvent> events = lastEvents(path, d);
      for (TreeEvent event : events) {
        Map<Long, Set<Notice>> fired = new HashMap<>();
        for (Iterator<Watch> it = reference.iterator(); it.hasNext(); ) {
          Watch w = it.next();
          Notice n = WatchMatch.match(w.kind(), w.path(), event);
          if (n != null) {
            fired.computeIfAbsent(w.session(), s -> new LinkedHashSet<>()).add(n);
            if (!w.kind().persistent()) {
              it.remove();
            }
          }
        }
        long zxid = d.zxid;
        fired.forEach((s, notices) -> notices.forEach(
            n -> expected.computeIfAbsent(s, x -> new ArrayList<>()).add(n.type() + " " + n.path() + " @" + zxid)));
      }
    }
    for (long s = 0; s < 3; s++) {
      // Within one change the registry orders by (node, parent, ancestors) and the reference by
      // registration, so compare as multisets; zxid order is checked on the registry's own output.
      List<WatchEvent> events = d.take(s);
      for (int i = 1; i < events.size(); i++) {
        assertTrue(events.get(i - 1).zxid() <= events.get(i).zxid());
        assertTrue(events.get(i - 1).seq() < events.get(i).seq());
      }
      List<String> got = WatchDriver.brief(events);
      List<String> want = expected.getOrDefault(s, List.of());
      assertEquals(sorted(want), sorted(got), "session " + s);
    }
    assertTrue(expected.values().stream().mapToInt(List::size).sum() > 0, "the run fired something");
    assertEquals(reference.size(), d.registry.watchCount());
  }

  private static List<String> sorted(List<String> in) {
    List<String> out = new ArrayList<>(in);
    out.sort(null);
    return out;
  }

  private static boolean hasChildren(WatchDriver d, String path) {
    for (String p : PATHS) {
      if (path.equals(io.keel.tree.Paths.parent(p)) && d.exists(p)) {
        return true;
      }
    }
    return false;
  }

  /** Single writes make one event: rebuild it from the tree rather than trusting the registry. */
  private static List<TreeEvent> lastEvents(String path, WatchDriver d) {
    WatchRegistry.NodeStamp stamp = d.view().stamp(path);
    if (stamp == null) {
      return List.of(new TreeEvent(TreeEvent.Kind.DELETED, path));
    }
    return List.of(new TreeEvent(stamp.czxid() == d.zxid ? TreeEvent.Kind.CREATED : TreeEvent.Kind.DATA_CHANGED, path));
  }

  @Test
  void aPollerSeesEveryEventInOrderWhileTheApplyThreadRuns() throws Exception {
    WatchRegistry registry = new WatchRegistry(100, 0);
    registry.register(1, "/", WatchKind.PERSISTENT_RECURSIVE, 0);
    int entries = 5_000;
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<?> apply = pool.submit(() -> {
        for (int z = 1; z <= entries; z++) {
          registry.applied(z, List.of(new TreeEvent(TreeEvent.Kind.DATA_CHANGED, "/n" + (z % 10))));
          // A request thread's registrations and removals racing with apply must not disturb it.
          registry.register(2, "/n" + (z % 10), WatchKind.DATA, z);
        }
      });
      Future<List<WatchEvent>> poller = pool.submit(() -> {
        List<WatchEvent> seen = new ArrayList<>();
        long after = 0;
        while (seen.size() < entries) {
          CompletableFuture<List<WatchEvent>> f = registry.poll(1, after, 100);
          List<WatchEvent> batch = f.get(10, TimeUnit.SECONDS);
          seen.addAll(batch);
          if (!batch.isEmpty()) {
            after = batch.get(batch.size() - 1).seq();
          }
        }
        return seen;
      });
      apply.get(30, TimeUnit.SECONDS);
      List<WatchEvent> seen = poller.get(30, TimeUnit.SECONDS);
      assertEquals(entries, seen.size());
      for (int i = 0; i < entries; i++) {
        assertEquals(i + 1, seen.get(i).seq());
        assertEquals(i + 1, seen.get(i).zxid());
      }
      assertTrue(registry.lastSeq(2) > 0);
    } finally {
      pool.shutdownNow();
    }
  }
}
