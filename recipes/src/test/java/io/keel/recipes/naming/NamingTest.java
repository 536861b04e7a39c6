package io.keel.recipes.naming;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.testing.KeelTestCluster;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Service registry and discovery against a real cluster: instances appear and disappear in every
 * watcher's view, also when their process is killed (a real JVM, and an expired session);
 * round-robin covers every instance in turn; nothing is left once all deregister.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class NamingTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static KeelTestCluster cluster;
  static final List<KeelClient> watchers = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).build();
    cluster.awaitLeader(WAIT);
    for (int i = 0; i < 3; i++) {
      watchers.add(connect());
    }
  }

  @AfterAll
  static void stop() {
    watchers.forEach(KeelClient::close);
    if (cluster != null) {
      cluster.close();
    }
  }

  static KeelClient connect() {
    return KeelClient.builder(cluster.connectString()).sessionTimeout(Duration.ofSeconds(4)).build();
  }

  /** A live cache per watcher client, each recording the sets its listener was told. */
  static final class Views implements AutoCloseable {
    final List<ServiceCache> caches = new ArrayList<>();
    final List<List<Set<String>>> told = new ArrayList<>();

    Views(String service) throws InterruptedException {
      for (KeelClient c : watchers) {
        ServiceCache cache = new ServiceDiscovery(c).cache(service);
        List<Set<String>> mine = new CopyOnWriteArrayList<>();
        cache.addListener(instances -> mine.add(ids(instances)));
        caches.add(cache);
        told.add(mine);
      }
    }

    void awaitEverywhere(Set<String> ids) {
      for (int i = 0; i < caches.size(); i++) {
        ServiceCache cache = caches.get(i);
        List<Set<String>> mine = told.get(i);
        await().atMost(WAIT).until(() -> ids(cache.instances()).equals(ids));
        await().atMost(WAIT).until(() -> !mine.isEmpty() && mine.get(mine.size() - 1).equals(ids));
      }
    }

    @Override
    public void close() {
      caches.forEach(ServiceCache::close);
    }
  }

  static Set<String> ids(List<ServiceInstance> instances) {
    Set<String> out = new LinkedHashSet<>();
    instances.forEach(i -> out.add(i.id()));
    return out;
  }

  @Test
  void anInstanceOfAKilledProcessLeavesEveryView() throws Exception {
    String service = "api-jvm";
    try (KeelClient local = connect();
         Views views = new Views(service);
         Registration mine = new ServiceRegistry(local).register(
             ServiceInstance.of(service, "local-1", "10.0.0.1", 8080))) {
      Process holder = new ProcessBuilder(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"),
          ServiceHolder.class.getName(), cluster.connectString(), "2000", service, "proc-1", "9090")
          .redirectErrorStream(true).start();
      try {
        BufferedReader out = new BufferedReader(
            new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        String line;
        do {
          line = out.readLine();
        } while (line != null && !line.startsWith("READY"));
        assertNotNull(line, "the holder JVM died before registering");
        views.awaitEverywhere(Set.of("local-1", "proc-1"));
        ServiceInstance remote = views.caches.get(0).instances().get(1);
        assertEquals(9090, remote.port());
        assertEquals(Map.of("jvm", "separate"), remote.metadata());

        holder.destroyForcibly().waitFor(30, TimeUnit.SECONDS);  // SIGKILL: no deregistration
        views.awaitEverywhere(Set.of("local-1"));
      } finally {
        holder.destroyForcibly();
      }
    }
  }

  @Test
  void anInstanceOfAnExpiredSessionLeavesEveryViewAndItsIdCanBeTakenAgain() throws Exception {
    String service = "api-expiry";
    try (Views views = new Views(service)) {
      KeelClient doomed = connect();
      try {
        new ServiceRegistry(doomed).register(ServiceInstance.of(service, "x", "10.0.0.2", 80));
        try (KeelClient other = connect()) {
          // Taken by a live session: refused.
          assertThrows(KeelException.NodeExistsException.class, () -> new ServiceRegistry(other)
              .register(ServiceInstance.of(service, "x", "10.0.0.3", 80)));
          views.awaitEverywhere(Set.of("x"));
          cluster.expireSession(doomed.sessionId(), WAIT);
          views.awaitEverywhere(Set.of());
          try (Registration again = new ServiceRegistry(other).register(
              ServiceInstance.of(service, "x", "10.0.0.3", 80))) {
            views.awaitEverywhere(Set.of("x"));
            assertEquals("10.0.0.3", views.caches.get(1).instances().get(0).address());
          }
          views.awaitEverywhere(Set.of());
        }
      } finally {
        doomed.close();
      }
    }
  }

  @Test
  void roundRobinCoversEveryInstanceInTurn() throws Exception {
    String service = "api-rr";
    List<Registration> registrations = new ArrayList<>();
    try (KeelClient owner = connect()) {
      ServiceRegistry registry = new ServiceRegistry(owner);
      for (int i = 0; i < 4; i++) {
        registrations.add(registry.register(ServiceInstance.of(service, "i" + i, "10.0.1." + i, 80)));
      }
      ServiceDiscovery discovery = new ServiceDiscovery(watchers.get(0));
      try (ServiceProvider rr = discovery.provider(service, ProviderStrategy.roundRobin());
           ServiceProvider random = discovery.provider(service, ProviderStrategy.random())) {
        assertEquals(4, rr.all().size(), "a provider starts with the registered set");
        for (int round = 0; round < 3; round++) {
          Set<String> turn = new LinkedHashSet<>();
          for (int k = 0; k < 4; k++) {
            turn.add(rr.next().orElseThrow().id());
          }
          assertEquals(Set.of("i0", "i1", "i2", "i3"), turn, "one round visits each instance once");
        }
        Map<String, Integer> picks = new HashMap<>();
        for (int k = 0; k < 400; k++) {
          picks.merge(random.next().orElseThrow().id(), 1, Integer::sum);
        }
        assertEquals(Set.of("i0", "i1", "i2", "i3"), picks.keySet());

        registrations.remove(0).close();
        await().atMost(WAIT).until(() -> rr.all().size() == 3);
        Set<String> turn = new LinkedHashSet<>();
        for (int k = 0; k < 3; k++) {
          turn.add(rr.next().orElseThrow().id());
        }
        assertEquals(Set.of("i1", "i2", "i3"), turn);
      }
    } finally {
      registrations.forEach(Registration::close);
    }
  }

  @Test
  void lookupsNamesUpdatesAndNothingLeftBehind() throws Exception {
    ServiceDiscovery discovery = new ServiceDiscovery(watchers.get(2), "/lookup");
    try (KeelClient owner = connect()) {
      ServiceRegistry registry = new ServiceRegistry(owner, "/lookup");
      Map<String, String> tricky = Map.of("zone", "eu-west=1 #a", "note", "line\nbreak", "ü", " ");
      try (Registration a = registry.register(
               ServiceInstance.of("alpha", "a1", "::1", 1).withMetadata(tricky));
           Registration b = registry.register(ServiceInstance.of("beta", "b1", "h", 2))) {
        assertEquals(List.of("alpha", "beta"), discovery.names());
        ServiceInstance found = discovery.instances("alpha").get(0);
        assertEquals(a.instance(), found, "metadata survives the round trip");
        assertEquals("[::1]:1", found.hostAndPort());

        a.update(a.instance().withMetadata(Map.of("version", "2")));
        assertEquals(Map.of("version", "2"), discovery.instances("alpha").get(0).metadata());
        assertThrows(KeelException.BadArgumentsException.class,
            () -> a.update(ServiceInstance.of("alpha", "other", "h", 1)));
        b.close();
        b.close();  // idempotent
        assertEquals(List.of(), discovery.instances("beta"));
        assertThrows(KeelException.NoNodeException.class, () -> b.update(b.instance()));
      }
      assertEquals(List.of(), discovery.names());
      // The service directories are containers: the server reaps them once empty.
      await().atMost(WAIT).until(() -> {
        watchers.get(2).sync("/lookup");
        return watchers.get(2).getChildren("/lookup").isEmpty();
      });
    }
    assertThrows(KeelException.BadArgumentsException.class,
        () -> ServiceInstance.of("a/b", "x", "h", 1));
    assertThrows(KeelException.BadArgumentsException.class,
        () -> ServiceInstance.of("a", "x", "h", 70000));
    assertTrue(new ServiceDiscovery(watchers.get(0)).instances("nobody").isEmpty());
  }
}
