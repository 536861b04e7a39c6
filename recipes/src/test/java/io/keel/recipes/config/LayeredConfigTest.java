package io.keel.recipes.config;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.recipes.config.LayeredConfig.Layer;
import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * LayeredConfig against a real cluster: applications override the shared common config and see
 * both change live; typed getters name the key of a bad value; concurrent updates of one node
 * never lose each other.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LayeredConfigTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static KeelTestCluster cluster;
  static final List<KeelClient> clients = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).build();
    cluster.awaitLeader(WAIT);
    for (int i = 0; i < 4; i++) {
      clients.add(KeelClient.builder(cluster.connectString())
          .sessionTimeout(Duration.ofSeconds(4)).build());
    }
  }

  @AfterAll
  static void stop() {
    clients.forEach(KeelClient::close);
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void applicationsOverrideTheCommonConfigAndSeeChangesLive() throws Exception {
    String root = "/layers";
    KeelClient admin = clients.get(0);
    ZNodesForTest.create(admin, root + "/common", "db.host=db1\ndb.pool=10\nretries=3\n");
    ZNodesForTest.create(admin, root + "/apps/billing", "db.pool=20\n");
    try (LayeredConfig billing = new LayeredConfig(clients.get(1), root, "billing").start();
         LayeredConfig shipping = new LayeredConfig(clients.get(2), root, "shipping").start()) {
      assertEquals(20, billing.view().getInt("db.pool", 0));
      assertEquals(root + "/apps/billing", billing.view().source("db.pool").orElseThrow());
      assertEquals(10, shipping.view().getInt("db.pool", 0), "no node of its own: common only");
      assertEquals("db1", billing.view().getString("db.host"));
      assertEquals(7, shipping.view().getInt("missing", 7));

      List<ConfigView> told = new CopyOnWriteArrayList<>();
      billing.addListener(told::add);
      // A change to common reaches everyone, unless overridden.
      shipping.put(Layer.COMMON, "db.pool", "15");
      shipping.put(Layer.COMMON, "db.host", "db2");
      assertEquals(15, shipping.view().getInt("db.pool", 0), "our own write shows at once");
      await().atMost(WAIT).until(() -> "db2".equals(billing.view().getString("db.host", null)));
      assertEquals(20, billing.view().getInt("db.pool", 0), "billing's own value still wins");
      // Dropping the override lets common show through.
      billing.remove(Layer.APP, "db.pool");
      assertEquals(15, billing.view().getInt("db.pool", 0));
      billing.put(Layer.APP, "feature.x", "true");
      await().atMost(WAIT).until(() -> !told.isEmpty()
          && told.get(told.size() - 1).getBoolean("feature.x", false));
      ConfigView last = told.get(told.size() - 1);
      assertEquals(Map.of("db.host", "db2", "db.pool", "15", "retries", "3", "feature.x", "true"),
          last.asMap());
      assertEquals(false, shipping.view().getBoolean("feature.x", false), "another app's key");
      admin.sync(root + "/common");
      assertEquals("db.host=db2\ndb.pool=15\nretries=3\n",
          new String(admin.getData(root + "/common").data(), UTF_8), "stable text, no date comment");
    }
  }

  @Test
  void badValuesAreNamedInTheError() throws Exception {
    String root = "/typed";
    ZNodesForTest.create(clients.get(0), root + "/common",
        "pool=ten\ntimeout=5 parsecs\nverbose=yes\nbig=99999999999\nwait=250ms\niso=PT1M\nok=TRUE\n");
    try (LayeredConfig config = new LayeredConfig(clients.get(1), root, "app").start()) {
      ConfigView view = config.view();
      KeelException e = assertThrows(KeelException.BadArgumentsException.class,
          () -> view.getInt("pool", 1));
      assertTrue(e.getMessage().contains("'pool'") && e.getMessage().contains("ten")
          && e.getMessage().contains(root + "/common"), e.getMessage());
      e = assertThrows(KeelException.BadArgumentsException.class,
          () -> view.getDuration("timeout", Duration.ZERO));
      assertTrue(e.getMessage().contains("'timeout'") && e.getMessage().contains("duration"),
          e.getMessage());
      e = assertThrows(KeelException.BadArgumentsException.class,
          () -> view.getBoolean("verbose", false));
      assertTrue(e.getMessage().contains("'verbose'"), e.getMessage());
      assertThrows(KeelException.BadArgumentsException.class, () -> view.getInt("big", 0));
      assertEquals(99999999999L, view.getLong("big", 0));
      assertEquals(Duration.ofMillis(250), view.getDuration("wait", null));
      assertEquals(Duration.ofMinutes(1), view.getDuration("iso", null));
      assertTrue(view.getBoolean("ok", false));
      e = assertThrows(KeelException.BadArgumentsException.class, () -> view.getString("nope"));
      assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
    }
    assertThrows(KeelException.BadArgumentsException.class,
        () -> new LayeredConfig(clients.get(0), root, "a/b"));
  }

  @Test
  void aMalformedNodeFailsStartNamingTheNode() throws Exception {
    String root = "/malformed";
    ZNodesForTest.create(clients.get(0), root + "/common", "bad=\\uZZZZ\n");
    try (LayeredConfig config = new LayeredConfig(clients.get(1), root, "app")) {
      KeelException e = assertThrows(KeelException.BadArgumentsException.class, config::start);
      assertTrue(e.getMessage().contains(root + "/common"), e.getMessage());
    }
  }

  @Test
  void concurrentUpdatesOfOneNodeNeverLoseEachOther() throws Exception {
    String root = "/counting";
    int perClient = 15;
    ExecutorService pool = Executors.newFixedThreadPool(clients.size());
    List<LayeredConfig> configs = new ArrayList<>();
    try {
      for (KeelClient c : clients) {
        configs.add(new LayeredConfig(c, root, "app").start());
      }
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < configs.size(); i++) {
        LayeredConfig config = configs.get(i);
        String mine = "client." + i;
        done.add(pool.submit(() -> {
          for (int k = 0; k < perClient; k++) {
            // Everyone bumps the same key, and each also writes a key of its own.
            config.update(Layer.COMMON, "count", n -> String.valueOf(n == null ? 1 : Integer.parseInt(n) + 1));
            config.put(Layer.COMMON, mine, String.valueOf(k));
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(120, TimeUnit.SECONDS);
      }
      for (LayeredConfig config : configs) {
        await().atMost(WAIT).until(() -> config.view().getInt("count", 0) == clients.size() * perClient);
        for (int i = 0; i < clients.size(); i++) {
          assertEquals(perClient - 1, config.view().getInt("client." + i, -1));
        }
      }
    } finally {
      pool.shutdownNow();
      configs.forEach(LayeredConfig::close);
    }
  }

  /** Creates a node with its parents, holding {@code text}. */
  static final class ZNodesForTest {
    static void create(KeelClient c, String path, String text) {
      StringBuilder at = new StringBuilder();
      String[] parts = path.substring(1).split("/");
      for (int i = 0; i < parts.length; i++) {
        at.append('/').append(parts[i]);
        try {
          c.create(at.toString(), i == parts.length - 1 ? text.getBytes(UTF_8) : null,
              CreateMode.PERSISTENT);
        } catch (KeelException.NodeExistsException e) {
          // a shared parent
        }
      }
    }
  }
}
