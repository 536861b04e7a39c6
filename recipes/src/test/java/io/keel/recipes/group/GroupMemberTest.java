package io.keel.recipes.group;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.recipes.group.GroupMember.Member;
import io.keel.testing.KeelTestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Group membership against a real cluster: members come and go (also by a killed client, its
 * session expired) in every member's view, listeners are told, and nothing is left once all
 * members close.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class GroupMemberTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static KeelTestCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = KeelTestCluster.builder().voters(3).build();
    cluster.awaitLeader(WAIT);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static KeelClient connect() {
    return KeelClient.builder(cluster.connectString()).sessionTimeout(Duration.ofSeconds(4)).build();
  }

  /** What one member's listener heard, as "+id", "-id", "~id". */
  static final class Heard implements GroupMember.Listener {
    final List<String> events = new CopyOnWriteArrayList<>();

    @Override
    public void joined(Member m) {
      events.add("+" + m.id());
    }

    @Override
    public void left(Member m) {
      events.add("-" + m.id());
    }

    @Override
    public void updated(Member m) {
      events.add("~" + m.id() + "=" + new String(m.payload(), UTF_8));
    }
  }

  @Test
  void membersComeAndGoInEveryMembersView() throws Exception {
    String group = "/groups/workers";
    List<KeelClient> clients = new ArrayList<>();
    List<GroupMember> members = new ArrayList<>();
    List<Heard> heard = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        KeelClient c = connect();
        clients.add(c);
        GroupMember m = new GroupMember(c, group, "w" + i, ("addr-" + i).getBytes(UTF_8));
        Heard h = new Heard();
        m.addListener(h);  // before start: hears the members present at start as joined
        members.add(m.start());
        heard.add(h);
      }
      awaitViews(members, Set.of("w0", "w1", "w2", "w3"));
      assertEquals("addr-2", new String(members.get(0).members().get("w2").payload(), UTF_8));
      assertEquals(clients.get(2).sessionId(), members.get(0).members().get("w2").sessionId());

      // w3's client is killed: its session expires and every other member sees it leave.
      cluster.expireSession(clients.get(3).sessionId(), WAIT);
      List<GroupMember> alive = members.subList(0, 3);
      awaitViews(alive, Set.of("w0", "w1", "w2"));
      for (int i = 0; i < 3; i++) {
        Heard h = heard.get(i);
        await().atMost(WAIT).until(() -> h.events.contains("-w3"));
        assertTrue(h.events.containsAll(List.of("+w0", "+w1", "+w2", "+w3")), h.events.toString());
      }
      members.get(3).close();  // a dead client's member: close must not throw
      clients.get(3).close();

      // A payload change and a clean leave.
      members.get(1).setPayload("moved".getBytes(UTF_8));
      await().atMost(WAIT).until(() -> heard.get(0).events.contains("~w1=moved"));
      members.get(2).close();
      awaitViews(members.subList(0, 2), Set.of("w0", "w1"));
      await().atMost(WAIT).until(() -> heard.get(0).events.contains("-w2"));

      // A newcomer with the id of the dead member is welcome; its old holder is gone.
      KeelClient c = connect();
      clients.add(c);
      GroupMember again = new GroupMember(c, group, "w3", null).start();
      members.add(again);
      awaitViews(List.of(members.get(0), members.get(1), again), Set.of("w0", "w1", "w3"));
      await().atMost(WAIT).until(() -> heard.get(1).events.lastIndexOf("+w3") > heard.get(1).events.indexOf("-w3"));
    } finally {
      members.forEach(GroupMember::close);
      clients.forEach(KeelClient::close);
    }
    // Every member left: the group's container directory is reaped too.
    try (KeelClient checker = connect()) {
      await().atMost(WAIT).until(() -> {
        checker.sync(group);
        return checker.exists(group).isEmpty();
      });
    }
  }

  @Test
  void anIdHeldByALiveSessionIsRefused() throws Exception {
    String group = "/groups/unique";
    try (KeelClient a = connect(); KeelClient b = connect();
         GroupMember first = new GroupMember(a, group, "leader", null).start()) {
      GroupMember second = new GroupMember(b, group, "leader", null);
      assertThrows(KeelException.NodeExistsException.class, second::start);
      second.close();
      assertEquals(Set.of("leader"), first.members().keySet());
      assertEquals(a.sessionId(), first.members().get("leader").sessionId(), "not taken over");
      assertThrows(KeelException.BadArgumentsException.class,
          () -> new GroupMember(a, group, "x/y", null));
      first.close();
      assertThrows(KeelException.NoNodeException.class, () -> first.setPayload(new byte[1]));
    }
  }

  static void awaitViews(List<GroupMember> members, Set<String> ids) {
    for (GroupMember m : members) {
      await().atMost(WAIT).until(() -> m.members().keySet().equals(ids));
    }
  }
}
