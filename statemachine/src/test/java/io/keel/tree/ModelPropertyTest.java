package io.keel.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.keel.proto.Acl;
import io.keel.proto.CheckOp;
import io.keel.proto.CloseSessionOp;
import io.keel.proto.Code;
import io.keel.proto.CreateMode;
import io.keel.proto.CreateOp;
import io.keel.proto.CreateSessionOp;
import io.keel.proto.DeleteOp;
import io.keel.proto.MultiOp;
import io.keel.proto.Op;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import io.keel.proto.SetAclOp;
import io.keel.proto.SetDataOp;
import io.keel.proto.Txn;
import io.keel.proto.WriteRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Differential test: thousands of random operations over a small path space, applied both to
 * {@link DataTree} and to the naive {@link ModelTree}; every reply must match (all but the human
 * message), and so must the whole tree every few operations and at the end. Halfway through, the
 * tree is copied through a snapshot and the copy must follow the same history to the same digest.
 *
 * <p>Requests of live sessions carry request ids and now and then advance answered_below; retries
 * of random earlier requests must get their first reply back (or RUNTIMEINCONSISTENCY once
 * forgotten) and change nothing. Reaps are proposed from {@link DataTree#reapable}, which must
 * agree with the model's full scan, and from random stale guesses.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ModelPropertyTest {

  private static final int OPS = 4000;
  private static final String[] NAMES = {"a", "b", "c"};
  private static final CreateMode[] MODES = {CreateMode.PERSISTENT, CreateMode.PERSISTENT_SEQUENTIAL,
    CreateMode.EPHEMERAL, CreateMode.EPHEMERAL_SEQUENTIAL, CreateMode.CONTAINER, CreateMode.PERSISTENT_WITH_TTL,
    CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL};

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 42, 1234, 20240601, -7, 987654321})
  void dataTreeAgreesWithTheModel(long seed) throws IOException {
    new Run(seed).run();
  }

  private static final class Run {
    final long seed;
    final Random random;
    final DataTree tree = new DataTree();
    final ModelTree model = new ModelTree();
    DataTree replica;             // restored from a snapshot halfway, then fed the same entries
    long zxid;
    long time = 1_000;
    int step;
    String lastWrite = "";
    String lastRead = "";
    final Map<Code, Integer> outcomes = new EnumMap<>(Code.class);
    /** Per live session: the next request id, the answered_below sent so far, what was answered. */
    final Map<Long, Long> nextRequestId = new TreeMap<>();
    final Map<Long, Long> answeredBelow = new TreeMap<>();      // sent by the client
    final Map<Long, Long> treeAnsweredBelow = new TreeMap<>();  // taken by the tree (applied requests only)
    final Map<Long, TreeMap<Long, WriteRequest>> sent = new TreeMap<>();
    final Map<Long, TreeMap<Long, Response>> answers = new TreeMap<>();
    int retries;
    int reaped;

    Run(long seed) {
      this.seed = seed;
      this.random = new Random(seed);
    }

    Supplier<String> where() {
      return () -> "seed=" + seed + " step=" + step + " last write=" + lastWrite + " last read=" + lastRead;
    }

    void run() throws IOException {
      for (step = 0; step < OPS; step++) {
        if (step == OPS / 2) {
          replica = TreeDriver.restore(TreeDriver.snapshot(tree));
          assertEquals(tree.digest(), replica.digest(), where());
        }
        int dice = random.nextInt(100);
        if (dice < 6) {
          compareRead(randomRead());
        } else if (dice < 7) {
          zxid += 1 + random.nextInt(3);     // a Raft entry that is not a Keel txn
          tree.setLastZxid(zxid);
          if (replica != null) {
            replica.setLastZxid(zxid);
          }
        } else if (dice < 10) {
          retry();
        } else if (dice < 12) {
          reap();
        } else {
          write(withRequestId(randomWrite(dice)));
        }
        if (step % 100 == 0) {
          compareWholeTree();
        }
      }
      compareWholeTree();
      assertEquals(model.reapable(time + 100), tree.reapable(time + 100), where());
      assertEquals(tree.digest(), replica.digest(), where());
      assertEquals(tree.digest(), TreeDriver.restore(TreeDriver.snapshot(tree)).digest(), where());
      // The random walk must have reached the interesting outcomes, or it proves little.
      for (Code code : List.of(Code.OK, Code.NONODE, Code.NODEEXISTS, Code.BADVERSION, Code.NOTEMPTY,
          Code.NOCHILDRENFOREPHEMERALS, Code.SESSIONEXPIRED, Code.BADARGUMENTS, Code.INVALIDACL,
          Code.RUNTIMEINCONSISTENCY)) {
        assertTrue(outcomes.getOrDefault(code, 0) > 0, "seed=" + seed + " never saw " + code + ": " + outcomes);
      }
      assertTrue(retries > 20, "seed=" + seed + " only " + retries + " retries of remembered replies");
      assertTrue(reaped > 0, "seed=" + seed + " reaped nothing");
    }

    /** Gives a live session's request the next id, and sometimes moves answered_below forward. */
    WriteRequest withRequestId(WriteRequest request) {
      long session = request.getSessionId();
      if (!model.sessions.containsKey(session) || random.nextInt(5) == 0) {
        return request;
      }
      long id = nextRequestId.merge(session, 1L, Long::sum);
      long below = answeredBelow.getOrDefault(session, 0L);
      if (random.nextInt(8) == 0) {
        below = Math.max(below, id - random.nextInt(20));
        answeredBelow.put(session, below);
      }
      return request.toBuilder().setRequestId(id).setAnsweredBelow(below).build();
    }

    /** Sends an earlier request of a live session again: its first reply, or refused once forgotten. */
    void retry() {
      List<Long> live = new ArrayList<>();
      for (long session : answers.keySet()) {
        if (model.sessions.containsKey(session)) {
          live.add(session);
        }
      }
      if (live.isEmpty()) {
        return;
      }
      long session = live.get(random.nextInt(live.size()));
      List<Long> ids = new ArrayList<>(answers.get(session).keySet());
      long id = ids.get(random.nextInt(ids.size()));
      WriteRequest request = sent.get(session).get(id);
      lastWrite = "retry of " + request.toString().replace('\n', ' ');
      zxid++;
      time += random.nextInt(80) - 30;
      Txn txn = Txn.newBuilder().setTime(time).setRequest(request).build();
      Applied applied = tree.applyWithEvents(zxid, txn);
      model.tick(time);
      Response expected = id >= treeAnsweredBelow.getOrDefault(session, 0L) ? answers.get(session).get(id)
          : Response.newBuilder().setZxid(zxid).setErr(Code.RUNTIMEINCONSISTENCY).build();
      assertEquals(expected, expected.getErr() == Code.RUNTIMEINCONSISTENCY
          ? withoutMessage(applied.response()) : applied.response(), where());
      assertEquals(List.of(), applied.events(), where());
      if (expected.getErr() != Code.RUNTIMEINCONSISTENCY) {
        retries++;
      }
      outcomes.merge(applied.response().getErr(), 1, Integer::sum);
      if (replica != null) {
        assertEquals(applied, replica.applyWithEvents(zxid, txn), where());
      }
      // The model only ticked: the tree's nodes and sessions must still match it.
      if (retries % 10 == 0) {
        compareWholeTree();
      }
    }

    /** Proposes a reap: usually one the tree lists now, sometimes a stale or made-up one. */
    void reap() {
      long now = time + random.nextInt(200);
      List<Reapable> due = tree.reapable(now);
      assertEquals(model.reapable(now), due, where());
      WriteRequest request;
      if (!due.isEmpty() && random.nextInt(4) != 0) {
        Reapable target = due.get(random.nextInt(due.size()));
        request = Requests.reap(target.path(), target.czxid());
      } else {
        request = Requests.reap(targetPath(), 1 + random.nextInt((int) Math.max(1, zxid)));
      }
      Response response = write(request);
      if (response.getDone()) {
        reaped++;
      }
    }

    Response write(WriteRequest request) {
      lastWrite = request.toString().replace('\n', ' ');
      lastRead = "";
      zxid++;
      time += random.nextInt(80) - 30;          // leaders' clocks disagree now and then
      Txn txn = Txn.newBuilder().setTime(time).setRequest(request).build();
      Applied applied = tree.applyWithEvents(zxid, txn);
      Response actual = applied.response();
      Response expected = model.apply(zxid, time, request);
      assertNotEquals(Code.SYSTEMERROR, actual.getErr(), () -> where().get() + " " + actual);
      assertEquals(expected, withoutMessage(actual), where());
      if (actual.getErr() != Code.OK) {
        assertTrue(!actual.getMessage().isEmpty(), where());
      }
      assertEquals(model.events, applied.events(), where());
      outcomes.merge(actual.getErr(), 1, Integer::sum);
      if (replica != null) {
        assertEquals(applied, replica.applyWithEvents(zxid, txn), where());
      }
      remember(request, actual);
      return actual;
    }

    /** Tracks what the tree must remember: replies of live sessions' requests with ids that passed validation. */
    void remember(WriteRequest request, Response response) {
      long session = request.getSessionId();
      if (request.getOpCase() == WriteRequest.OpCase.CLOSE_SESSION) {
        long closed = request.getCloseSession().getSessionId();
        answers.remove(closed);
        sent.remove(closed);
      }
      if (request.getRequestId() <= 0 || !model.sessions.containsKey(session)
          || response.getErr() == Code.BADARGUMENTS || response.getErr() == Code.INVALIDACL) {
        return;
      }
      treeAnsweredBelow.merge(session, request.getAnsweredBelow(), Math::max);
      answers.computeIfAbsent(session, s -> new TreeMap<>()).put(request.getRequestId(), response);
      sent.computeIfAbsent(session, s -> new TreeMap<>()).put(request.getRequestId(), request);
    }

    void compareRead(ReadRequest request) {
      lastRead = request.toString().replace('\n', ' ');
      Response actual = tree.read(request);
      assertEquals(model.read(tree.lastZxid(), request), withoutMessage(actual), where());
    }

    void compareWholeTree() {
      assertEquals(model.nodes.size(), tree.nodeCount(), where());
      assertEquals(model.sessions, new TreeMap<>(tree.sessionTimeouts()), where());
      for (String path : model.nodes.keySet()) {
        compareRead(Requests.getData(path));
        compareRead(Requests.getChildren(path));
        compareRead(Requests.getAcl(path));
        compareRead(Requests.getAllChildrenNumber(path));
      }
      for (long session : model.sessions.keySet()) {
        compareRead(Requests.getEphemerals(session, "/"));
      }
    }

    static Response withoutMessage(Response response) {
      return response.toBuilder().clearMessage().build();
    }

    // ------------------------------------------------------------ random inputs

    String randomPath() {
      StringBuilder path = new StringBuilder();
      for (int depth = 1 + random.nextInt(3); depth > 0; depth--) {
        path.append('/').append(NAMES[random.nextInt(NAMES.length)]);
      }
      return path.toString();
    }

    /** Half the time a node that exists (so deletes and updates succeed often enough), else any path. */
    String targetPath() {
      if (random.nextBoolean()) {
        List<String> existing = new ArrayList<>(model.nodes.keySet());
        return existing.get(random.nextInt(existing.size()));
      }
      return randomPath();
    }

    String createPath(boolean sequential) {
      String parent = random.nextInt(3) == 0 ? "/" : targetPath();
      if (sequential && random.nextBoolean()) {
        return parent.equals("/") ? "/" : parent + "/";      // ZooKeeper's trailing-'/' form
      }
      String name = NAMES[random.nextInt(NAMES.length)] + (sequential ? "-" : "");
      return parent.equals("/") ? "/" + name : parent + "/" + name;
    }

    int version(String path) {
      ModelTree.Node node = model.nodes.get(path);
      int actual = node == null ? 0 : node.version;
      return switch (random.nextInt(10)) {
        case 0, 1, 2, 3 -> -1;
        case 4, 5, 6 -> actual;
        case 7 -> actual + 1;
        case 8 -> random.nextInt(3);
        default -> random.nextInt(20) == 0 ? -2 : -1;
      };
    }

    List<Acl> acl() {
      int dice = random.nextInt(40);
      if (dice == 0) {
        return List.of(Requests.acl(32 + random.nextInt(5), "world", "anyone"));
      }
      if (dice < 5) {
        return List.of(Requests.acl(random.nextInt(32), "digest", "user" + dice + ":x"), Requests.acl(1, "ip", "10.0.0.1"));
      }
      return List.of();
    }

    long sessionFor(boolean ephemeral) {
      int dice = random.nextInt(10);
      if (!model.sessions.isEmpty() && dice < 7) {
        List<Long> ids = new ArrayList<>(model.sessions.keySet());
        return ids.get(random.nextInt(ids.size()));
      }
      if (ephemeral && dice == 9 && random.nextInt(3) == 0) {
        return 0;
      }
      return dice < 9 ? 0 : 1 + random.nextInt(5);      // 0, or probably a closed or unknown session
    }

    CreateOp randomCreate(boolean allowEphemeral) {
      CreateMode mode = MODES[random.nextInt(MODES.length)];
      if (!allowEphemeral && (mode == CreateMode.EPHEMERAL || mode == CreateMode.EPHEMERAL_SEQUENTIAL)) {
        mode = CreateMode.PERSISTENT;
      }
      boolean sequential = mode.name().contains("SEQUENTIAL");
      CreateOp.Builder op = CreateOp.newBuilder().setPath(createPath(sequential)).setMode(mode)
          .setData(ByteString.copyFromUtf8(random.nextBoolean() ? "" : "d" + random.nextInt(1000)))
          .addAllAcl(acl());
      if (mode.name().endsWith("WITH_TTL")) {
        op.setTtl(new long[] {1, 60_000, NodeTypes.MAX_TTL}[random.nextInt(3)]);
      }
      return op.build();
    }

    Op randomOp() {
      String path = targetPath();
      return switch (random.nextInt(4)) {
        case 0 -> Op.newBuilder().setCreate(randomCreate(true)).build();
        case 1 -> Op.newBuilder().setDelete(DeleteOp.newBuilder().setPath(path).setVersion(version(path))).build();
        case 2 -> Op.newBuilder().setSetData(SetDataOp.newBuilder().setPath(path).setVersion(version(path))
            .setData(ByteString.copyFromUtf8("m" + step))).build();
        default -> Op.newBuilder().setCheck(CheckOp.newBuilder().setPath(path).setVersion(version(path))).build();
      };
    }

    WriteRequest randomWrite(int dice) {
      WriteRequest.Builder request = WriteRequest.newBuilder();
      String path = targetPath();
      if (dice < 35) {
        CreateOp create = randomCreate(true);
        request.setCreate(create).setSessionId(sessionFor(create.getMode().name().startsWith("EPHEMERAL")));
      } else if (dice < 52) {
        request.setDelete(DeleteOp.newBuilder().setPath(path).setVersion(version(path)));
      } else if (dice < 62) {
        request.setSetData(SetDataOp.newBuilder().setPath(path).setVersion(version(path))
            .setData(ByteString.copyFromUtf8("v" + step)));
      } else if (dice < 66) {
        ModelTree.Node node = model.nodes.get(path);
        int aversion = random.nextBoolean() ? -1 : node == null ? 0 : node.aversion + random.nextInt(2);
        request.setSetAcl(SetAclOp.newBuilder().setPath(path).setVersion(aversion).addAllAcl(acl()));
      } else if (dice < 70) {
        request.setCheck(CheckOp.newBuilder().setPath(path).setVersion(version(path)));
      } else if (dice < 86) {
        MultiOp.Builder multi = MultiOp.newBuilder();
        for (int n = random.nextInt(5); n > 0; n--) {   // 0..4 ops; 0 is a legal empty multi
          multi.addOps(randomOp());
        }
        request.setMulti(multi).setSessionId(sessionFor(true));
      } else if (dice < 93) {
        request.setCreateSession(CreateSessionOp.newBuilder().setTimeoutMs(1000 + random.nextInt(9000)));
      } else {
        long id = sessionFor(false);
        request.setCloseSession(CloseSessionOp.newBuilder().setSessionId(id == 0 ? 3 : id));
      }
      return request.build();
    }

    ReadRequest randomRead() {
      String path = targetPath();
      return switch (random.nextInt(6)) {
        case 0 -> Requests.getData(path);
        case 1 -> Requests.exists(path);
        case 2 -> Requests.getChildren(path);
        case 3 -> Requests.getAllChildrenNumber(path);
        case 4 -> Requests.getAcl(path);
        default -> Requests.getEphemerals(sessionFor(false), random.nextBoolean() ? "/" : path);
      };
    }
  }
}
