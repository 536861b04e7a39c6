package io.keel.tree;

import static io.keel.tree.Requests.asSession;
import static io.keel.tree.Requests.closeSession;
import static io.keel.tree.Requests.create;
import static io.keel.tree.Requests.multi;
import static io.keel.tree.Requests.opCheck;
import static io.keel.tree.Requests.opCreate;
import static io.keel.tree.Requests.opDelete;
import static io.keel.tree.Requests.opSetData;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.keel.proto.Code;
import io.keel.proto.CreateMode;
import io.keel.proto.Txn;
import io.keel.proto.WriteRequest;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EventsTest {

  private final TreeDriver t = new TreeDriver();

  private List<TreeEvent> events(WriteRequest request) {
    t.zxid++;
    Applied applied = t.tree.applyWithEvents(t.zxid, Txn.newBuilder().setTime(t.time).setRequest(request).build());
    return applied.events();
  }

  private static TreeEvent created(String path) {
    return new TreeEvent(TreeEvent.Kind.CREATED, path);
  }

  private static TreeEvent deleted(String path) {
    return new TreeEvent(TreeEvent.Kind.DELETED, path);
  }

  private static TreeEvent changed(String path) {
    return new TreeEvent(TreeEvent.Kind.DATA_CHANGED, path);
  }

  @Test
  void eachWriteReportsWhatItChanged() {
    assertEquals(List.of(created("/a")), events(create("/a")));
    assertEquals(List.of(created("/a/s0000000000")), events(create("/a/s", CreateMode.PERSISTENT_SEQUENTIAL)));
    assertEquals(List.of(changed("/a")), events(Requests.setData("/a", "x", -1)));
    assertEquals(List.of(), events(Requests.setAcl("/a", -1)));
    assertEquals(List.of(), events(Requests.check("/a", -1)));
    assertEquals(List.of(deleted("/a/s0000000000")), events(Requests.delete("/a/s0000000000", -1)));
    assertEquals(List.of(), events(Requests.createSession(1000)));
  }

  @Test
  void multiReportsItsOpsInOrderOrNothing() {
    assertEquals(List.of(created("/m"), created("/m/n"), changed("/m"), deleted("/m/n")),
        events(multi(opCreate("/m"), opCreate("/m/n"), opSetData("/m", "x", 0), opCheck("/m", 1),
            opDelete("/m/n", 0))));
    assertEquals(List.of(), events(multi(opCreate("/x"), opSetData("/m", "y", -1), opDelete("/missing", -1))));
    assertEquals(List.of(), events(multi()));
  }

  @Test
  void closeSessionReportsEachDeletedEphemeral() {
    t.ok(create("/app"));
    long session = t.newSession(1000);
    t.ok(asSession(session, create("/z", CreateMode.EPHEMERAL)));
    t.ok(asSession(session, create("/app/e", CreateMode.EPHEMERAL)));
    assertEquals(List.of(deleted("/app/e"), deleted("/z")), events(closeSession(session)));
    assertEquals(List.of(), events(closeSession(session)));
  }

  @Test
  void failuresAndMalformedEntriesReportNothing() {
    t.ok(create("/a"));
    assertEquals(List.of(), events(create("/a")));
    assertEquals(List.of(), events(create("/a//b")));
    assertEquals(List.of(), events(WriteRequest.getDefaultInstance()));
    Applied refused = t.tree.applyWithEvents(1, Txn.newBuilder().setRequest(create("/late")).build());
    assertEquals(Code.RUNTIMEINCONSISTENCY, refused.response().getErr());
    assertEquals(List.of(), refused.events());
    assertEquals(List.of(), t.tree.applyWithEvents(t.zxid + 1, null).events());
  }

  @Test
  void applyAndApplyWithEventsGiveTheSameReply() {
    TreeDriver other = t.copy();
    WriteRequest request = multi(opCreate("/q"), opCreate("/q/", "", CreateMode.PERSISTENT_SEQUENTIAL));
    assertEquals(t.tree.apply(1, Txn.newBuilder().setTime(5).setRequest(request).build()),
        other.tree.applyWithEvents(1, Txn.newBuilder().setTime(5).setRequest(request).build()).response());
    assertEquals(t.tree.digest(), other.tree.digest());
  }

  @Test
  void eventsAreImmutable() {
    List<TreeEvent> events = events(create("/a"));
    assertThrows(UnsupportedOperationException.class, () -> events.add(created("/b")));
    assertThrows(NullPointerException.class, () -> new TreeEvent(null, "/a"));
  }
}
