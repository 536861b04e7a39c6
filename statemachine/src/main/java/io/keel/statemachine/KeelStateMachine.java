package io.keel.statemachine;

import com.google.protobuf.InvalidProtocolBufferException;
import io.keel.proto.CloseSessionOp;
import io.keel.proto.Code;
import io.keel.proto.CreateSessionOp;
import io.keel.proto.ReadRequest;
import io.keel.proto.Response;
import io.keel.proto.Txn;
import io.keel.proto.WriteRequest;
import io.keel.tree.DataTree;
import io.keel.tree.RequestValidator;
import io.keel.tree.Zxids;
import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The znode tree as a Ratis state machine.
 *
 * <p>Threads and order, as Ratis calls it:
 * <ul>
 *   <li>{@link #startTransaction} runs on the leader, concurrently with other starts and with apply.
 *       It validates the write (path rules, data and request size, well-formed bytes) and stamps the
 *       leader's wall clock into the entry. A refused write never enters the log; the client gets
 *       the reason through {@link RejectedRequestException}.</li>
 *   <li>{@link #applyTransaction} runs on one thread in log order. It is a pure function of the tree
 *       and the entry's bytes; zxid = log index. User errors (NONODE, BADVERSION...) are normal
 *       replies, replicated like successes. An exception here is a bug that could let replicas
 *       diverge, so it propagates and Ratis closes the server.</li>
 *   <li>{@link #query} and {@link #queryStale} run on reader threads against the current tree.</li>
 *   <li>{@link #takeSnapshot} runs on the apply thread between entries.</li>
 * </ul>
 */
public class KeelStateMachine extends BaseStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(KeelStateMachine.class);
  private static final Pattern SNAPSHOT_NAME = Pattern.compile("snapshot\\.(\\d+)_(\\d+)");
  private static final Pattern LOG_SEGMENT_NAME =
      Pattern.compile("log_(?:inprogress_)?(\\d+)(?:-\\d+)?");

  /**
   * What the leader enforces at the edge, the session timeout bounds it negotiates into, and how
   * often it checks for expired sessions (tickMs) and for containers and TTL nodes to reap, and how
   * many recent node changes it keeps for replaying missed watch events.
   */
  public record Settings(int maxDataBytes, int maxRequestBytes,
                         int minSessionTimeoutMs, int maxSessionTimeoutMs,
                         int tickMs, long containerCheckIntervalMs, int watchHistory,
                         int entryMaxOps, int entriesInFlight) {}

  /** Most writes in one batch entry. */
  public static final int MAX_BATCH_OPS = Zxids.MAX_BATCH - 1;

  /** Room a batch takes beyond its writes' own bytes. */
  static final int BATCH_OVERHEAD_BYTES = 64 * 1024;

  /** How long a read waits for this server to reach the client's last seen zxid. */
  static final java.time.Duration MAX_READ_WAIT = java.time.Duration.ofSeconds(10);

  private final Settings limits;
  private final AtomicLong proposalCallIds = new AtomicLong();
  private final ClientId proposer = ClientId.randomId();
  private volatile LeaderHousekeeping housekeeping;
  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
  private final AppliedIndexWaiters waiters = new AppliedIndexWaiters();
  private final List<String> refusedSnapshots = new CopyOnWriteArrayList<>();
  private volatile DataTree tree = new DataTree();
  private final ExecutorService readers = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "keel-stale-read");
    t.setDaemon(true);
    return t;
  });
  private final java.util.concurrent.atomic.AtomicInteger snapshotsInstalled =
      new java.util.concurrent.atomic.AtomicInteger();

  private final WatchService watches;
  private final LeaderBatcher batcher;
  /** Told the id of every session whose close or expiry is applied (on the apply thread). */
  private final List<java.util.function.LongConsumer> sessionListeners = new CopyOnWriteArrayList<>();
  /** Told when the tree was replaced by a snapshot (watch state is gone). */
  private final List<Runnable> restartListeners = new CopyOnWriteArrayList<>();

  public KeelStateMachine(Settings limits) {
    this.limits = limits;
    // A session silent here for twice the longest timeout has moved on or expired.
    this.watches = new WatchService("sm", limits.watchHistory(),
        2L * limits.maxSessionTimeoutMs(), this::tree, readers);
    this.batcher = new LeaderBatcher(this::proposeBatch,
        Math.min(MAX_BATCH_OPS, limits.entryMaxOps()), maxBatchBytes(), limits.entriesInFlight());
  }

  // ------------------------------------------------------------------ lifecycle

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage)
      throws IOException {
    getLifeCycle().startAndTransition(() -> {
      super.initialize(server, groupId, raftStorage);
      File smDir = raftStorage.getStorageDir().getStateMachineDir();
      Files.createDirectories(smDir.toPath());
      deleteLeftoverTemporaryFiles(smDir.toPath());
      SnapshotFile.Contents loaded = loadNewestValidSnapshot(smDir.toPath());
      checkLogReachesBack(raftStorage.getStorageDir().getCurrentDir().toPath(), loaded);
      storage.init(raftStorage);
      // Ratis resumes applying after the snapshot *it* picks; it must be the one Keel loaded.
      SingleFileSnapshotInfo ratisPick = storage.getLatestSnapshot();
      long ratisIndex = ratisPick == null ? -1 : ratisPick.getIndex();
      long keelIndex = loaded == null ? -1 : loaded.index();
      if (ratisIndex != keelIndex) {
        throw new IOException(getId() + ": Ratis chose the snapshot at index " + ratisIndex
            + " but Keel loaded the one at index " + keelIndex + " in " + smDir);
      }
      install(loaded);
      housekeeping = new LeaderHousekeeping(String.valueOf(getId()), this::tree, this::propose,
          limits.tickMs(), limits.containerCheckIntervalMs());
    });
  }

  @Override
  public void pause() {
    // Ratis is about to replace the snapshot directory with one installed from the leader. A
    // failed install can leave us PAUSED; the next attempt pauses again.
    if (getLifeCycle().getCurrentState() == LifeCycle.State.PAUSED) {
      return;
    }
    getLifeCycle().transition(LifeCycle.State.PAUSING);
    getLifeCycle().transition(LifeCycle.State.PAUSED);
  }

  @Override
  public void reinitialize() throws IOException {
    // Reload from disk, not the cached SnapshotInfo: the leader's snapshot was just installed.
    SingleFileSnapshotInfo info = storage.loadLatestSnapshot();
    if (info != null) {
      File file = info.getFile().getPath().toFile();
      install(SnapshotFile.read(file));
      snapshotsInstalled.incrementAndGet();
      LOG.info("{}: installed snapshot {} from the leader", getId(), file.getName());
    }
    getLifeCycle().transition(LifeCycle.State.STARTING);
    getLifeCycle().transition(LifeCycle.State.RUNNING);
  }

  @Override
  public void close() throws IOException {
    if (housekeeping != null) {
      housekeeping.close();
    }
    watches.close();
    waiters.failAll(new IOException(getId() + ": state machine closed"));
    readers.shutdown();
    super.close();
  }

  private void install(SnapshotFile.Contents snapshot) {
    if (snapshot == null) {
      return;
    }
    tree = snapshot.tree();
    setLastAppliedTermIndex(TermIndex.valueOf(snapshot.term(), snapshot.index()));
    // The changes that led here are unknown to the watch registry: every session restores.
    watches.restart(tree.lastZxid());
    waiters.applied(tree.lastZxid());
    restartListeners.forEach(Runnable::run);
  }

  private static void deleteLeftoverTemporaryFiles(Path dir) throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "snapshot.*.tmp")) {
      for (Path p : files) {
        Files.deleteIfExists(p);
      }
    }
  }

  /**
   * Picks the newest snapshot that verifies. A corrupt one is refused: logged with its problem and
   * renamed {@code *.corrupt} so that neither Keel nor Ratis (which offers snapshots to lagging
   * followers) ever reads it again. A failure to read one (an I/O error, not bad content) stops
   * the start instead: the file may well be fine.
   */
  private SnapshotFile.Contents loadNewestValidSnapshot(Path dir) throws IOException {
    List<Path> candidates = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path p : files) {
        if (SNAPSHOT_NAME.matcher(p.getFileName().toString()).matches()) {
          candidates.add(p);
        }
      }
    }
    candidates.sort(Comparator.comparingLong(KeelStateMachine::snapshotIndex).reversed());
    for (Path p : candidates) {
      try {
        SnapshotFile.Contents c = SnapshotFile.read(p.toFile());
        ensureMd5(p.toFile());
        LOG.info("{}: loaded snapshot {} ({} znodes, index {})",
            getId(), p.getFileName(), c.tree().nodeCount(), c.index());
        return c;
      } catch (SnapshotFile.CorruptSnapshotException e) {
        String problem = "refused snapshot " + p + ": " + e.getMessage();
        LOG.error("{}: {}", getId(), problem);
        refusedSnapshots.add(problem);
        Path aside = p.resolveSibling(p.getFileName() + ".corrupt");
        Files.move(p, aside, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.deleteIfExists(p.resolveSibling(p.getFileName() + MD5FileUtil.MD5_SUFFIX));
      }
    }
    return null;
  }

  /**
   * Ratis picks and ships only snapshots with a matching {@code .md5}; one restored by hand, or
   * whose md5 a crash prevented, gets it here once its own checksum has verified it.
   */
  private void ensureMd5(File snapshot) throws IOException {
    MD5Hash actual = MD5FileUtil.computeMd5ForFile(snapshot);
    MD5Hash stored;
    try {
      stored = MD5FileUtil.readStoredMd5ForFile(snapshot);
    } catch (IOException e) {
      stored = null;
    }
    if (!actual.equals(stored)) {
      LOG.warn("{}: (re)writing the md5 file of verified snapshot {}", getId(), snapshot.getName());
      MD5FileUtil.saveMD5File(snapshot, actual);
    }
  }

  /**
   * Starting from an older snapshot (or none) is only safe if the log still holds every entry
   * after it; otherwise the tree would silently miss writes.
   */
  private void checkLogReachesBack(Path logDir, SnapshotFile.Contents loaded) throws IOException {
    long firstLogIndex = Long.MAX_VALUE;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(logDir)) {
      for (Path p : files) {
        Matcher m = LOG_SEGMENT_NAME.matcher(p.getFileName().toString());
        if (m.matches()) {
          firstLogIndex = Math.min(firstLogIndex, Long.parseLong(m.group(1)));
        }
      }
    }
    long resumeAt = loaded == null ? 0 : loaded.index() + 1;
    // No log at all after a refused snapshot is the state a follower is in right after it
    // installed the leader's snapshot (the log before it is gone): starting empty would forget
    // acknowledged writes.
    boolean logGone = firstLogIndex == Long.MAX_VALUE && !refusedSnapshots.isEmpty();
    if (logGone || firstLogIndex != Long.MAX_VALUE && firstLogIndex > resumeAt) {
      throw new IOException("cannot recover " + getId() + ": "
          + (logGone ? "there is no log" : "the log starts at index " + firstLogIndex) + " but "
          + (loaded == null ? "there is no valid snapshot"
              : "the newest valid snapshot ends at index " + loaded.index())
          + (refusedSnapshots.isEmpty() ? "" : " (" + String.join("; ", refusedSnapshots) + ")")
          + ". Restore a valid snapshot into " + logDir.resolveSibling("sm")
          + " (a backup, or this node's snapshot taken at the same index), or replace the node:"
          + " remove it from the cluster, clear its dataDir and add it back. Clearing the dataDir"
          + " alone is unsafe: Raft assumes a member never forgets its log or its votes.");
    }
  }

  private static long snapshotIndex(Path p) {
    Matcher m = SNAPSHOT_NAME.matcher(p.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(2)) : -1;
  }

  /** How many snapshots this replica has installed from a leader since it started. */
  public int snapshotsInstalled() {
    return snapshotsInstalled.get();
  }

  /** Problems of snapshots refused at start; empty when every snapshot verified. */
  public List<String> refusedSnapshots() {
    return List.copyOf(refusedSnapshots);
  }

  // ------------------------------------------------------------------ writes

  @Override
  public TransactionContext startTransaction(RaftClientRequest request) {
    TransactionContext.Builder trx = TransactionContext.newBuilder()
        .setStateMachine(this)
        .setClientRequest(request);
    ByteString content = request.getMessage().getContent();
    Response problem;
    WriteRequest write = null;
    // The leader's own batches were checked and negotiated write by write in submitWrites.
    boolean ours = request.getClientId().equals(proposer);
    try {
      write = WriteRequest.parseFrom(content.asReadOnlyByteBuffer());
      problem = write.hasBatch() ? checkBatch(write.getBatch(), content.size(), !ours)
          : check(write, content.size());
    } catch (InvalidProtocolBufferException e) {
      problem = rejection(Code.MARSHALLINGERROR, "",
          "malformed write request (" + content.size() + " bytes): " + e.getMessage());
    }
    if (problem != null) {
      TransactionContext refused = trx.build();
      refused.setException(new RejectedRequestException(problem));
      return refused;
    }
    Txn.Builder txn = Txn.newBuilder().setTime(System.currentTimeMillis());
    if (write.hasBatch()) {
      for (WriteRequest op : write.getBatch().getRequestsList()) {
        touch(op);
        txn.addBatch(op.hasCreateSession() && !ours ? negotiateSessionTimeout(op) : op);
      }
    } else {
      touch(write);
      txn.setRequest(write.hasCreateSession() ? negotiateSessionTimeout(write) : write);
    }
    return trx.setLogData(UnsafeByteOperations.unsafeWrap(txn.build().toByteArray())).build();
  }

  /** Why one write may not enter the log, or null. Per-field limits first: they name the rule. */
  private Response check(WriteRequest write, int size) {
    Response problem = RequestValidator.validate(write, limits.maxDataBytes());
    if (problem == null && size > limits.maxRequestBytes()) {
      problem = rejection(Code.BADARGUMENTS, "", "request of " + size
          + " bytes exceeds the limit of " + limits.maxRequestBytes()
          + " bytes for one write (maxDataBytes + 64 KiB)");
    }
    return problem;
  }

  /**
   * A batch from anyone but this leader's own group commit (which checked every write itself) is
   * checked write by write; a bad one refuses the whole batch, and each writer gets the reason.
   */
  private Response checkBatch(io.keel.proto.WriteBatch batch, int size, boolean eachWrite) {
    int ops = batch.getRequestsCount();
    if (ops == 0 || ops > MAX_BATCH_OPS) {
      return rejection(Code.BADARGUMENTS, "", "a batch holds 1 to " + MAX_BATCH_OPS
          + " writes, this one " + ops);
    }
    if (size > maxBatchBytes()) {
      return rejection(Code.BADARGUMENTS, "", "batch of " + size + " bytes exceeds the limit of "
          + maxBatchBytes() + " bytes");
    }
    if (eachWrite) {
      for (WriteRequest op : batch.getRequestsList()) {
        Response problem = check(op, op.getSerializedSize());
        if (problem != null) {
          return problem;
        }
      }
    }
    return null;
  }

  /** The largest batch request the leader takes: one largest write, plus room for framing. */
  public int maxBatchBytes() {
    return limits.maxRequestBytes() + BATCH_OVERHEAD_BYTES;
  }

  private void touch(WriteRequest write) {
    if (housekeeping != null) {
      housekeeping.touch(write.getSessionId());
    }
  }

  private WriteRequest negotiateSessionTimeout(WriteRequest write) {
    int wanted = write.getCreateSession().getTimeoutMs();
    int negotiated = Math.max(limits.minSessionTimeoutMs(),
        Math.min(limits.maxSessionTimeoutMs(), wanted));
    return write.toBuilder()
        .setCreateSession(CreateSessionOp.newBuilder().setTimeoutMs(negotiated))
        .build();
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    long index = entry.getIndex();
    ByteString data = entry.getStateMachineLogEntry().getLogData();
    Response response;
    try {
      Txn txn = Txn.parseFrom(data.asReadOnlyByteBuffer());
      if (txn.getBatchCount() > 0) {
        if (txn.getBatchCount() > Zxids.MAX_BATCH) {
          // The leader never builds such an entry; apply answers it all the same, deterministically.
          throw new InvalidProtocolBufferException("batch of " + txn.getBatchCount() + " writes");
        }
        io.keel.proto.BatchResult.Builder results = io.keel.proto.BatchResult.newBuilder();
        for (int i = 0; i < txn.getBatchCount(); i++) {
          long zxid = Zxids.of(index, i);
          WriteRequest write = txn.getBatch(i);
          results.addResponses(fired(index, zxid, write, tree.applyWithEvents(zxid, txn.getTime(), write)));
        }
        response = Response.newBuilder().setZxid(Zxids.of(index, txn.getBatchCount() - 1))
            .setBatch(results).build();
      } else {
        long zxid = Zxids.first(index);
        response = fired(index, zxid, txn.getRequest(), tree.applyWithEvents(zxid, txn));
      }
    } catch (InvalidProtocolBufferException e) {
      // The leader validated this entry, so this is an entry from a different Keel version or a
      // damaged log. Every replica sees the same bytes and answers the same way.
      LOG.error("{}: log entry {} is not a Keel transaction: {}", getId(), index, e.getMessage());
      long zxid = Zxids.first(index);
      if (zxid > tree.lastZxid()) {
        tree.setLastZxid(zxid);
      }
      response = rejection(Code.MARSHALLINGERROR, "", "log entry " + index + " is unreadable")
          .toBuilder().setZxid(zxid).build();
      watches.applied(zxid, List.of());
    }
    updateLastAppliedTermIndex(entry.getTerm(), index);
    return CompletableFuture.completedFuture(toMessage(response));
  }

  /** After one write of entry {@code index} was applied at {@code zxid}: fires its watches. */
  private Response fired(long index, long zxid, WriteRequest write, io.keel.tree.Applied applied) {
    Response response = applied.response();
    if (response.getErr() == Code.SYSTEMERROR || response.getErr() == Code.RUNTIMEINCONSISTENCY) {
      // The tree rolled the write back (or refused a replayed one); every replica does the same,
      // so they stay equal. It is still a bug in Keel, not a user error.
      LOG.error("{}: BUG: write at zxid 0x{} of log entry {} was not applied: {} {}",
          getId(), Long.toHexString(zxid), index, response.getErr(), response.getMessage());
    }
    watches.applied(zxid, applied.events());
    if (write.hasCloseSession() && response.getErr() == Code.OK) {
      // After the write's events: the ephemerals it deleted fire other sessions' watches.
      long session = write.getCloseSession().getSessionId();
      watches.sessionClosed(session);
      sessionListeners.forEach(l -> l.accept(session));
    }
    return response;
  }

  @Override
  public void notifyTermIndexUpdated(long term, long index) {
    // Entries Keel does not apply (configuration, no-op at a new term) still advance the zxid.
    long zxid = Zxids.first(index);
    if (zxid > tree.lastZxid()) {
      tree.setLastZxid(zxid);
      watches.applied(zxid, List.of());
    }
    super.notifyTermIndexUpdated(term, index);
  }

  @Override
  protected boolean updateLastAppliedTermIndex(long term, long index) {
    boolean moved = super.updateLastAppliedTermIndex(term, index);
    waiters.applied(tree.lastZxid());
    return moved;
  }

  // ------------------------------------------------------------------ reads

  @Override
  public CompletableFuture<Message> query(Message request) {
    ReadRequest read;
    try {
      read = ReadRequest.parseFrom(request.getContent().asReadOnlyByteBuffer());
    } catch (InvalidProtocolBufferException e) {
      return malformed(request, e);
    }
    return answer(read);
  }

  /** Answers a parsed read; the tree checks it (a bad one gets BADARGUMENTS naming the problem). */
  private CompletableFuture<Message> answer(ReadRequest read) {
    if (read.hasForward()) {
      return submitWrites(read.getForward().getRequestsList()).thenApply(KeelStateMachine::toMessage);
    }
    if (read.hasSessionsAlive()) {
      // A front's report: only the leader keeps session clocks.
      boolean leader = housekeeping != null && housekeeping.isLeader();
      if (leader) {
        read.getSessionsAlive().getSessionIdsList().forEach(housekeeping::touch);
      }
      return CompletableFuture.completedFuture(toMessage(Response.newBuilder()
          .setZxid(tree.lastZxid()).setDone(leader).build()));
    }
    if (housekeeping != null) {
      housekeeping.touch(read.getSessionId());
    }
    return watches.answer(read).thenApply(KeelStateMachine::toMessage);
  }

  // ------------------------------------------------------------------ the session front's view

  /**
   * The session was heard from at this server (a ping the front answered itself): it keeps its
   * watches here, and when this server leads, its session clock restarts.
   */
  public void sessionHeard(long sessionId) {
    watches.touch(sessionId);
    if (housekeeping != null) {
      housekeeping.touch(sessionId);
    }
  }

  /** The session's connection to this server closed: its watches here are dropped. */
  public void sessionDetached(long sessionId) {
    watches.sessionClosed(sessionId);
  }

  /** The watch registry of this server's current incarnation, to take pushed events from. */
  public io.keel.watch.WatchRegistry watchRegistry() {
    return watches.registry();
  }

  /** Calls {@code listener} on the apply thread with every session whose close was applied. */
  public void addSessionClosedListener(java.util.function.LongConsumer listener) {
    sessionListeners.add(listener);
  }

  /**
   * Calls {@code listener} when the tree is replaced by a snapshot from the leader: every
   * session's watches at this server are gone, and its clients must restore them.
   */
  public void addRestartListener(Runnable listener) {
    restartListeners.add(listener);
  }

  /** The leader this server knows of (itself included), or null when it knows none. */
  public org.apache.ratis.protocol.RaftPeer leaderPeer() {
    RaftServer server = getServer().getNow(null);
    if (server == null) {
      return null;
    }
    try {
      RaftServer.Division d = server.getDivision(getGroupId());
      RaftPeerId leader = d.getInfo().getLeaderId();
      return leader == null ? null : d.getRaftConf().getPeer(leader,
          org.apache.ratis.proto.RaftProtos.RaftPeerRole.FOLLOWER,
          org.apache.ratis.proto.RaftProtos.RaftPeerRole.LISTENER);
    } catch (IOException e) {
      return null;
    }
  }

  /** True while this server leads and has committed an entry of its term. */
  public boolean isLeaderReady() {
    RaftServer server = getServer().getNow(null);
    if (server == null) {
      return false;
    }
    try {
      return server.getDivision(getGroupId()).getInfo().isLeaderReady();
    } catch (IOException e) {
      return false;
    }
  }

  private static CompletableFuture<Message> malformed(Message request, InvalidProtocolBufferException e) {
    return CompletableFuture.completedFuture(toMessage(rejection(Code.MARSHALLINGERROR, "",
        "malformed read request (" + request.getContent().size() + " bytes): " + e.getMessage())));
  }

  /**
   * A read at a minimum zxid: Ratis's own minIndex, or the request's {@code min_zxid}, whichever
   * is larger. Ratis refuses at once when its commit index is below minIndex; Keel's min_zxid
   * instead waits (up to {@link #MAX_READ_WAIT}) for this server to learn of the commit and apply
   * it, which under load is a matter of milliseconds.
   */
  @Override
  public CompletableFuture<Message> queryStale(Message request, long minIndex) {
    ReadRequest read;
    try {
      read = ReadRequest.parseFrom(request.getContent().asReadOnlyByteBuffer());
    } catch (InvalidProtocolBufferException e) {
      return malformed(request, e);
    }
    long wanted = Math.max(Zxids.first(Math.max(0, minIndex)), read.getMinZxid());
    CompletableFuture<Void> applied = waiters.await(wanted);
    if (applied.isDone() && !applied.isCompletedExceptionally()) {
      return answer(read);
    }
    // Otherwise the read would run on the apply thread that completes the waiter.
    return applied.orTimeout(MAX_READ_WAIT.toMillis(), TimeUnit.MILLISECONDS)
        .handleAsync((ok, e) -> e == null ? answer(read)
            : CompletableFuture.completedFuture(toMessage(rejection(Code.OPERATIONTIMEOUT, "",
                getId() + " has not applied zxid " + wanted + " within " + MAX_READ_WAIT.toMillis()
                    + " ms (it is behind or cut off); read from another server"))), readers)
        .thenCompose(f -> f);
  }

  // ------------------------------------------------------------------ leadership

  @Override
  public void notifyLeaderReady() {
    housekeeping.becameLeader();
    batcher.leading(true);
  }

  @Override
  public void notifyLeaderChanged(RaftGroupMemberId member, RaftPeerId newLeader) {
    if (!member.getPeerId().equals(newLeader)) {
      housekeeping.lostLeadership();
      batcher.leading(false);
    }
  }

  @Override
  public void notifyNotLeader(Collection<TransactionContext> pending) {
    housekeeping.lostLeadership();
    batcher.leading(false);
  }

  /**
   * The leader's group commit: queues one front's validated writes (in their session order) for
   * the next log entry, with every other front's; completes with a {@code BatchResult}, one reply
   * per write, once the entry is applied here. A write the leader's own limits refuse gets its
   * refusal and the others go on. On a server that is not the leader, or not yet, completes with
   * CONNECTIONLOSS and {@code not_applied} set: nothing was applied. A batch that was in an entry
   * when the leadership went completes with CONNECTIONLOSS, its outcome unknown (never retried).
   */
  public CompletableFuture<Response> submitWrites(List<WriteRequest> writes) {
    List<WriteRequest> valid = new ArrayList<>(writes.size());
    Response[] refused = new Response[writes.size()];
    for (int i = 0; i < writes.size(); i++) {
      WriteRequest w = writes.get(i);
      Response problem = check(w, w.getSerializedSize());
      if (problem != null) {
        refused[i] = problem;
      } else {
        valid.add(w.hasCreateSession() ? negotiateSessionTimeout(w) : w);
      }
    }
    if (valid.size() == writes.size()) {
      return batcher.submit(valid);
    }
    CompletableFuture<Response> rest = valid.isEmpty()
        ? CompletableFuture.completedFuture(Response.newBuilder()
            .setBatch(io.keel.proto.BatchResult.getDefaultInstance()).build())
        : batcher.submit(valid);
    return rest.thenApply(r -> {
      if (!r.hasBatch()) {
        return r;
      }
      io.keel.proto.BatchResult.Builder merged = io.keel.proto.BatchResult.newBuilder();
      int next = 0;
      for (Response bad : refused) {
        merged.addResponses(bad != null ? bad : r.getBatch().getResponses(next++));
      }
      return r.toBuilder().setBatch(merged).build();
    });
  }

  /** Proposes one batch write through the log; completes with its applied reply. */
  private CompletableFuture<Response> proposeBatch(WriteRequest batch) {
    RaftServer server = getServer().getNow(null);
    if (server == null) {
      return CompletableFuture.failedFuture(new IOException("server not started"));
    }
    try {
      return server.submitClientRequestAsync(proposal(server, batch)).thenApply(reply -> {
        if (!reply.isSuccess()) {
          Response refused = RejectedRequestException.decode(String.valueOf(reply.getException().getMessage()));
          if (refused != null) {
            return refused;
          }
          throw new CompletionException(reply.getException());
        }
        try {
          return Response.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
        } catch (InvalidProtocolBufferException e) {
          throw new CompletionException(e);
        }
      });
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Expires a session now, as this server's session clock would when it is leader: the
   * CloseSession entry goes through the log and deletes the session's ephemerals. For tests that
   * need a client to die without waiting for its timeout. Completes when the entry is applied;
   * fails if this server is not the leader.
   */
  public CompletableFuture<Void> expireSession(long sessionId) {
    RaftServer server = getServer().getNow(null);
    if (server == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("server not started"));
    }
    try {
      return server.submitClientRequestAsync(proposal(server, WriteRequest.newBuilder()
          .setCloseSession(CloseSessionOp.newBuilder().setSessionId(sessionId).setExpired(true))
          .build()))
          .thenAccept(reply -> {
            if (!reply.isSuccess()) {
              throw new CompletionException(reply.getException());
            }
          });
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private RaftClientRequest proposal(RaftServer server, WriteRequest write) {
    return RaftClientRequest.newBuilder()
        .setClientId(proposer)
        .setServerId(server.getId())
        .setGroupId(getGroupId())
        .setCallId(proposalCallIds.incrementAndGet())
        .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(write.toByteArray())))
        .setType(RaftClientRequest.writeRequestType())
        .build();
  }

  /** Submits a leader-made write (session expiry, reaping) through the log like any other. */
  private void propose(WriteRequest write) {
    RaftServer server = getServer().getNow(null);
    if (server == null) {
      return;
    }
    RaftClientRequest request = proposal(server, write);
    try {
      server.submitClientRequestAsync(request).whenComplete((reply, e) -> {
        if (e != null || !reply.isSuccess()) {
          LOG.debug("{}: leader proposal not applied (retried on the next check): {}", getId(),
              e != null ? e : reply.getException());
        }
      });
    } catch (IOException | RuntimeException e) {
      LOG.debug("{}: leader proposal not submitted (retried on the next check)", getId(), e);
    }
  }

  // ------------------------------------------------------------------ snapshots

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return storage;
  }

  @Override
  public long takeSnapshot() throws IOException {
    TermIndex last = getLastAppliedTermIndex();
    if (last == null || last.getIndex() <= 0) {
      return -1;
    }
    File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
    MD5Hash md5 = SnapshotFile.write(tree, last.getTerm(), last.getIndex(), file);
    storage.updateLatestSnapshot(
        new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), last));
    LOG.info("{}: wrote snapshot {} ({} znodes)", getId(), file.getName(), tree.nodeCount());
    return last.getIndex();
  }

  // ------------------------------------------------------------------ helpers

  /** The current tree. Readers may use it freely; it is replaced whole when a snapshot is installed. */
  public DataTree tree() {
    return tree;
  }

  /** Completes when this replica's tree has reached {@code zxid} (see {@link Zxids}). */
  public CompletableFuture<Void> awaitApplied(long zxid) {
    return waiters.await(zxid);
  }

  private static Response rejection(Code code, String path, String message) {
    return Response.newBuilder().setErr(code).setPath(path).setMessage(message).build();
  }

  private static Message toMessage(Response response) {
    return Message.valueOf(UnsafeByteOperations.unsafeWrap(response.toByteArray()));
  }
}
