package io.keel.tree;

import static io.keel.tree.Requests.create;
import static io.keel.tree.Requests.getAllChildrenNumber;
import static io.keel.tree.Requests.getChildren;
import static io.keel.tree.Requests.getData;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keel.proto.Code;
import io.keel.proto.CreateMode;
import io.keel.proto.PathOp;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReadTest {

  private final TreeDriver t = new TreeDriver();

  @BeforeEach
  void tree() {
    t.ok(create("/a", "data", CreateMode.PERSISTENT));
    for (String name : List.of("c", "b", "a", "B", "a0", "z")) {
      t.ok(create("/a/" + name));
    }
    t.ok(create("/a/b/x"));
    t.ok(create("/a/b/x/y"));
    t.ok(create("/other"));
  }

  @Test
  void getDataReturnsDataAndStat() {
    Response response = t.read(getData("/a"));
    assertEquals(Code.OK, response.getErr());
    assertEquals("data", response.getData().getData().toStringUtf8());
    assertEquals(t.stat("/a"), response.getData().getStat());
    assertEquals(t.tree.lastZxid(), response.getZxid());
  }

  @Test
  void existsReturnsTheStat() {
    Response response = t.read(Requests.exists("/a/b/x"));
    assertEquals(Code.OK, response.getErr());
    assertEquals(8, response.getStat().getCzxid());
    assertEquals(1, response.getStat().getNumChildren());
  }

  @Test
  void getChildrenIsSortedWithTheParentsStat() {
    Response response = t.read(getChildren("/a"));
    assertEquals(List.of("B", "a", "a0", "b", "c", "z"), response.getChildren().getChildrenList());
    assertEquals(t.stat("/a"), response.getChildren().getStat());
    assertEquals(List.of(), t.read(getChildren("/other")).getChildren().getChildrenList());
    assertEquals(List.of("a", "other"), t.read(getChildren("/")).getChildren().getChildrenList());
  }

  @Test
  void getAllChildrenNumberCountsDescendants() {
    assertEquals(10, t.read(getAllChildrenNumber("/")).getCount().getCount());
    assertEquals(8, t.read(getAllChildrenNumber("/a")).getCount().getCount());
    assertEquals(2, t.read(getAllChildrenNumber("/a/b")).getCount().getCount());
    assertEquals(0, t.read(getAllChildrenNumber("/a/b/x/y")).getCount().getCount());
    assertEquals(t.tree.nodeCount() - 1, t.read(getAllChildrenNumber("/")).getCount().getCount());
  }

  static Stream<ReadRequest> nodeReads() {
    return Stream.of(getData("/nope"), Requests.exists("/nope"), getChildren("/nope"),
        getAllChildrenNumber("/nope"), Requests.getAcl("/nope"));
  }

  @ParameterizedTest
  @MethodSource("nodeReads")
  void missingNodeIsNoNode(ReadRequest request) {
    Response response = t.read(request);
    assertEquals(Code.NONODE, response.getErr());
    assertEquals("/nope", response.getPath());
    assertEquals("node '/nope' does not exist", response.getMessage());
    assertEquals(t.tree.lastZxid(), response.getZxid());
    assertEquals(Response.ResultCase.RESULT_NOT_SET, response.getResultCase());
  }

  @Test
  void invalidReadsAreBadArgumentsNeverExceptions() {
    Response bad = t.read(getData("/a/"));
    assertEquals(Code.BADARGUMENTS, bad.getErr());
    assertEquals(t.tree.lastZxid(), bad.getZxid());
    assertEquals(Code.BADARGUMENTS, t.read(null).getErr());
    assertEquals(Code.BADARGUMENTS, t.read(ReadRequest.getDefaultInstance()).getErr());
    assertEquals(Code.BADARGUMENTS, t.read(ReadRequest.newBuilder().setExists(PathOp.getDefaultInstance()).build()).getErr());
  }

  @Test
  void readsReportTheLastZxid() {
    t.tree.setLastZxid(500);
    assertEquals(500, t.read(getData("/a")).getZxid());
    assertEquals(500, t.read(getData("/nope")).getZxid());
  }
}
