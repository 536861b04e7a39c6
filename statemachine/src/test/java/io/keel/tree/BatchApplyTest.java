package io.keel.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keel.proto.CreateMode;
import io.keel.proto.Txn;
import io.keel.proto.WriteRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A batch's writes applied one by one with the entry's time give exactly what the same writes
 * give as Txns of their own: the same replies, events and state.
 */
class BatchApplyTest {

  @Test
  void aWriteOfABatchAppliesLikeItsOwnTxn() {
    List<WriteRequest> writes = List.of(
        Requests.createSession(5000),
        Requests.create("/a", "x", CreateMode.PERSISTENT),
        Requests.create("/a/s-", "y", CreateMode.PERSISTENT_SEQUENTIAL),
        Requests.setData("/a", "z", 0),
        Requests.setData("/a", "bad", 7),
        Requests.delete("/missing", -1),
        Requests.asSession(Zxids.of(1, 0), Requests.create("/a/e", "", CreateMode.EPHEMERAL)),
        WriteRequest.getDefaultInstance());
    DataTree viaTxn = new DataTree();
    DataTree viaBatch = new DataTree();
    long time = 1_700_000_000_000L;
    for (int i = 0; i < writes.size(); i++) {
      long zxid = Zxids.of(1, i);
      Applied a = viaTxn.applyWithEvents(zxid, Txn.newBuilder().setTime(time).setRequest(writes.get(i)).build());
      Applied b = viaBatch.applyWithEvents(zxid, time, writes.get(i));
      assertEquals(a, b, "write " + i);
    }
    assertEquals(viaTxn.digest(), viaBatch.digest());
    assertEquals(Zxids.of(1, writes.size() - 1), viaBatch.lastZxid());
    // A stale zxid is refused the same way.
    assertEquals(viaTxn.apply(Zxids.of(1, 0), Txn.newBuilder().setTime(time).setRequest(writes.get(1)).build()),
        viaBatch.applyWithEvents(Zxids.of(1, 0), time, writes.get(1)).response());
  }
}
