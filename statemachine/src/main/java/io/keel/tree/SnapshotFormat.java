package io.keel.tree;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.keel.proto.Acl;
import io.keel.proto.Response;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The tree's snapshot format, version 2 (version 1 is still read). Big-endian
 * ({@link DataOutputStream}):
 *
 * <pre>
 * int    magic 0x4B45454C ("KEEL")
 * byte   format version (2)
 * long   lastZxid, long lastTime
 * int    session count, then per session in id order: long id, int timeoutMs,
 *          long answeredBelow, int remembered count, then per remembered reply in request id
 *          order: long requestId, bytes Response (protobuf)
 * int    node count, then per node in pre-order (parent before children, children by name):
 *          string path, bytes data, int acl count, per entry (int perms, string scheme, string id),
 *          long czxid, mzxid, pzxid, ctime, mtime, int version, aversion,
 *          long childChanges (the 64-bit cversion), long ephemeralOwner
 * int    end marker 0x454E4421 ("END!")
 * string = int byte length + UTF-8; bytes = int length + bytes
 * </pre>
 *
 * Version 1 lacks each session's answeredBelow and remembered replies; it loads with none.
 *
 * <p>Derived state (numChildren, dataLength, each session's ephemerals) is not written; it is
 * rebuilt on load. The writer's order depends only on the tree, so equal trees give equal bytes.
 * The reader checks structure and invariants and throws {@link IOException} naming the first
 * problem; it never returns a partly built tree. Integrity of the bytes themselves (a CRC) is
 * the caller's job. Stateless and thread-safe; callers hold {@link DataTree}'s lock for the tree.
 */
final class SnapshotFormat {

  static final int MAGIC = 0x4B45454C;
  static final byte VERSION = 2;
  /** The first format, without exactly-once state; still read. */
  static final byte VERSION_1 = 1;
  static final int END_MARKER = 0x454E4421;

  /** A path is at most {@link Paths#MAX_LENGTH} UTF-16 chars, each at most 3 UTF-8 bytes. */
  private static final int MAX_PATH_BYTES = 3 * Paths.MAX_LENGTH;

  /** What a snapshot holds. */
  record State(NodeTable nodes, SessionTable sessions, long lastZxid, long lastTime) {
  }

  private SnapshotFormat() {
  }

  static void write(DataOutputStream out, State state) throws IOException {
    out.writeInt(MAGIC);
    out.writeByte(VERSION);
    out.writeLong(state.lastZxid());
    out.writeLong(state.lastTime());
    SessionTable sessions = state.sessions();
    Map<Long, Integer> timeouts = sessions.timeouts();
    out.writeInt(timeouts.size());
    for (Map.Entry<Long, Integer> session : timeouts.entrySet()) {
      long id = session.getKey();
      out.writeLong(id);
      out.writeInt(session.getValue());
      out.writeLong(sessions.answeredBelow(id));
      Map<Long, Response> remembered = sessions.rememberedReplies(id);
      out.writeInt(remembered.size());
      for (Map.Entry<Long, Response> reply : remembered.entrySet()) {
        out.writeLong(reply.getKey());
        byte[] bytes = reply.getValue().toByteArray();
        out.writeInt(bytes.length);
        out.write(bytes);
      }
    }
    NodeTable nodes = state.nodes();
    out.writeInt(nodes.size());
    Deque<String> pending = new ArrayDeque<>();
    pending.push(Paths.ROOT);
    while (!pending.isEmpty()) {
      String path = pending.pop();
      ZNode node = nodes.get(path);
      writeNode(out, path, node);
      // Push in reverse so children pop in name order.
      for (Iterator<String> names = node.children().descendingIterator(); names.hasNext(); ) {
        pending.push(Paths.child(path, names.next()));
      }
    }
    out.writeInt(END_MARKER);
  }

  private static void writeNode(DataOutputStream out, String path, ZNode node) throws IOException {
    writeString(out, path);
    out.writeInt(node.data.size());
    node.data.writeTo(out);
    out.writeInt(node.acl.size());
    for (Acl acl : node.acl) {
      out.writeInt(acl.getPerms());
      writeString(out, acl.getScheme());
      writeString(out, acl.getId());
    }
    out.writeLong(node.czxid);
    out.writeLong(node.mzxid);
    out.writeLong(node.pzxid);
    out.writeLong(node.ctime);
    out.writeLong(node.mtime);
    out.writeInt(node.version);
    out.writeInt(node.aversion);
    out.writeLong(node.childChanges);
    out.writeLong(node.ephemeralOwner);
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  static State read(DataInputStream in) throws IOException {
    Reader reader = new Reader(in);
    try {
      return reader.read();
    } catch (EOFException e) {
      throw new EOFException("tree snapshot is truncated: the stream ended while reading " + reader.where);
    }
  }

  /** One read: remembers where it is, for messages. */
  private static final class Reader {
    private final DataInputStream in;
    private String where = "the header";
    private byte version;
    private long lastZxid;

    Reader(DataInputStream in) {
      this.in = in;
    }

    State read() throws IOException {
      int magic = in.readInt();
      if (magic != MAGIC) {
        throw corrupt(String.format("not a Keel tree snapshot: magic 0x%08X, expected 0x%08X", magic, MAGIC));
      }
      version = in.readByte();
      if (version != VERSION && version != VERSION_1) {
        throw corrupt("unsupported tree snapshot version " + version + " (this build reads " + VERSION_1
            + " and " + VERSION + ")");
      }
      lastZxid = in.readLong();
      if (lastZxid < 0) {
        throw corrupt("negative lastZxid " + lastZxid);
      }
      long lastTime = in.readLong();
      SessionTable sessions = readSessions();
      NodeTable nodes = readNodes(sessions);
      where = "the end marker";
      int end = in.readInt();
      if (end != END_MARKER) {
        throw corrupt(String.format("bad end marker 0x%08X (expected 0x%08X): node count and content disagree",
            end, END_MARKER));
      }
      return new State(nodes, sessions, lastZxid, lastTime);
    }

    private SessionTable readSessions() throws IOException {
      where = "the session count";
      int count = count("session count");
      SessionTable sessions = new SessionTable();
      long previous = 0;
      for (int i = 0; i < count; i++) {
        where = "session " + i;
        long id = in.readLong();
        int timeout = in.readInt();
        if (id <= previous) {
          throw corrupt("session ids out of order or not positive: " + SessionTable.hex(id)
              + " after " + SessionTable.hex(previous));
        }
        if (id > lastZxid) {
          throw corrupt("session " + SessionTable.hex(id) + " is newer than lastZxid " + lastZxid);
        }
        if (timeout <= 0) {
          throw corrupt("session " + SessionTable.hex(id) + " has timeout " + timeout + " ms");
        }
        sessions.load(id, timeout);
        if (version >= 2) {
          readRemembered(sessions, id);
        }
        previous = id;
      }
      return sessions;
    }

    private void readRemembered(SessionTable sessions, long id) throws IOException {
      String session = "session " + SessionTable.hex(id);
      long answeredBelow = in.readLong();
      if (answeredBelow < 0) {
        throw corrupt(session + " has negative answeredBelow " + answeredBelow);
      }
      sessions.loadAnsweredBelow(id, answeredBelow);
      int count = count("remembered reply count of " + session);
      if (count > SessionTable.MAX_REMEMBERED) {
        throw corrupt(session + " remembers " + count + " replies, more than " + SessionTable.MAX_REMEMBERED);
      }
      long previous = 0;
      for (int i = 0; i < count; i++) {
        where = "remembered reply " + i + " of " + session;
        long requestId = in.readLong();
        if (requestId <= previous || requestId < answeredBelow) {
          throw corrupt("request id " + requestId + " is out of order, not positive or below answeredBelow "
              + answeredBelow);
        }
        byte[] bytes = readFully(length("reply length", Integer.MAX_VALUE));
        Response reply;
        try {
          reply = Response.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
          throw corrupt("reply to request " + requestId + " is not a Response: " + e.getMessage());
        }
        if (reply.getZxid() <= id || reply.getZxid() > lastZxid) {
          throw corrupt("reply to request " + requestId + " has zxid " + reply.getZxid()
              + " outside the session's life (" + id + ".." + lastZxid + "]");
        }
        sessions.loadRemembered(id, requestId, reply);
        previous = requestId;
      }
    }

    private NodeTable readNodes(SessionTable sessions) throws IOException {
      where = "the node count";
      int count = count("node count");
      if (count < 1) {
        throw corrupt("no root node");
      }
      NodeTable nodes = new NodeTable();
      List<String> paths = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        where = "node " + i;
        String path = readString("node " + i + " path", MAX_PATH_BYTES);
        where = "node " + i + " " + Paths.quote(path);
        ZNode parent = null;
        if (i == 0) {
          if (!path.equals(Paths.ROOT)) {
            throw corrupt("the first node must be the root '/', got " + Paths.quote(path));
          }
        } else {
          parent = checkPlacement(nodes, path);
        }
        ZNode node = readNode(path);
        if (i == 0) {
          if (node.ephemeralOwner != 0) {
            throw corrupt("the root has ephemeralOwner " + node.ephemeralOwner);
          }
          nodes.putRoot(node);
        } else {
          nodes.attach(parent, path, node);
        }
        if (node.isEphemeral()) {
          if (!sessions.contains(node.ephemeralOwner)) {
            throw corrupt("ephemeral " + Paths.quote(path) + " is owned by unknown session "
                + SessionTable.hex(node.ephemeralOwner));
          }
          sessions.loadEphemeral(node.ephemeralOwner, path);
        }
        paths.add(path);
      }
      for (String path : paths) {
        ZNode node = nodes.get(path);
        if (node.childChanges < node.numChildren()) {
          throw corrupt("node " + Paths.quote(path) + " has " + node.numChildren()
              + " children but only " + node.childChanges + " child changes");
        }
      }
      return nodes;
    }

    private ZNode checkPlacement(NodeTable nodes, String path) throws IOException {
      String problem = Paths.problem(path, false);
      if (problem != null) {
        throw corrupt("node path " + Paths.quote(path) + " is invalid: " + problem);
      }
      if (nodes.get(path) != null) {
        throw corrupt("duplicate node " + Paths.quote(path));
      }
      String parentPath = Paths.parent(path);
      ZNode parent = nodes.get(parentPath);
      if (parent == null) {
        throw corrupt("orphan node " + Paths.quote(path) + ": its parent " + Paths.quote(parentPath)
            + " does not precede it");
      }
      if (parent.isEphemeral()) {
        throw corrupt("node " + Paths.quote(path) + " has an ephemeral parent");
      }
      return parent;
    }

    private ZNode readNode(String path) throws IOException {
      int dataLength = length("data length of " + Paths.quote(path), Integer.MAX_VALUE);
      ByteString data = UnsafeByteOperations.unsafeWrap(readFully(dataLength)); // the array is ours alone
      int aclCount = count("acl count of " + Paths.quote(path));
      if (aclCount == 0) {
        throw corrupt("node " + Paths.quote(path) + " has no ACL entries");
      }
      List<Acl> acl = new ArrayList<>();
      for (int i = 0; i < aclCount; i++) {
        Acl entry = Acl.newBuilder()
            .setPerms(in.readInt())
            .setScheme(readString("acl scheme", MAX_PATH_BYTES))
            .setId(readString("acl id", Integer.MAX_VALUE))
            .build();
        String problem = Acls.problem(entry);
        if (problem != null) {
          throw corrupt("acl entry " + i + " of " + Paths.quote(path) + " is invalid: " + problem);
        }
        acl.add(entry);
      }
      long czxid = zxid(path, "czxid");
      long mzxid = zxid(path, "mzxid");
      long pzxid = zxid(path, "pzxid");
      long ctime = in.readLong();
      long mtime = in.readLong();
      int version = in.readInt();
      int aversion = in.readInt();
      long childChanges = in.readLong();
      long owner = in.readLong();
      if (childChanges < 0) {
        throw corrupt("node " + Paths.quote(path) + " has negative child changes " + childChanges);
      }
      if (!NodeTypes.isValidOwner(owner)) {
        throw corrupt(String.format("node %s has an invalid ephemeralOwner 0x%016X", Paths.quote(path), owner));
      }
      ZNode node = new ZNode(czxid, ctime, owner, data, List.copyOf(acl));
      node.mzxid = mzxid;
      node.pzxid = pzxid;
      node.mtime = mtime;
      node.version = version;
      node.aversion = aversion;
      node.childChanges = childChanges;
      return node;
    }

    private long zxid(String path, String field) throws IOException {
      long zxid = in.readLong();
      if (zxid < 0 || zxid > lastZxid) {
        throw corrupt("node " + Paths.quote(path) + " has " + field + " " + zxid + " outside 0..lastZxid ("
            + lastZxid + ")");
      }
      return zxid;
    }

    private int count(String what) throws IOException {
      int n = in.readInt();
      if (n < 0) {
        throw corrupt("negative " + what + " " + n);
      }
      return n;
    }

    private int length(String what, int max) throws IOException {
      int n = in.readInt();
      if (n < 0) {
        throw corrupt("negative " + what + " " + n);
      }
      if (n > max) {
        throw corrupt(what + " " + n + " exceeds " + max);
      }
      return n;
    }

    /** Reads n bytes without allocating n up front, so a corrupt length cannot exhaust memory early. */
    private byte[] readFully(int n) throws IOException {
      byte[] bytes = in.readNBytes(n);
      if (bytes.length != n) {
        throw new EOFException();
      }
      return bytes;
    }

    private String readString(String what, int maxBytes) throws IOException {
      byte[] bytes = readFully(length(what + " length", maxBytes));
      try {
        return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
      } catch (CharacterCodingException e) {
        throw corrupt(what + " is not valid UTF-8");
      }
    }

    private IOException corrupt(String message) {
      return new IOException("corrupt tree snapshot at " + where + ": " + message);
    }
  }
}
