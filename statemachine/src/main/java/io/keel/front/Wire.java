package io.keel.front;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.jute.BinaryInputArchive;
import org.apache.jute.BinaryOutputArchive;
import org.apache.jute.Record;
import org.apache.zookeeper.proto.ReplyHeader;

/**
 * Jute records in and out of Netty buffers: ZooKeeper's frames are a 4-byte big-endian length and
 * then the records (the frame decoder has taken the length off incoming ones). Stateless.
 */
final class Wire {

  /** ZooKeeper's reserved xids. */
  static final int NOTIFICATION_XID = -1;
  static final int PING_XID = -2;
  static final int AUTH_XID = -4;

  private Wire() {
  }

  /**
   * A reader over one frame. {@code maxBuffer} bounds every byte buffer and string in it (jute's
   * own default, {@code jute.maxbuffer}, is a JVM-wide property; the front's limit is its own).
   */
  static BinaryInputArchive reader(ByteBuf frame, int maxBuffer) {
    return new BinaryInputArchive(new DataInputStream(new ByteBufInputStream(frame)), maxBuffer, 0);
  }

  /** A frame holding {@code header} and then {@code body} (null: none), with its length prefix. */
  static ByteBuf frame(ByteBufAllocator alloc, Record header, Record body) {
    ByteBuf out = alloc.ioBuffer(64);
    out.writeInt(0);
    try (ByteBufOutputStream stream = new ByteBufOutputStream(out)) {
      BinaryOutputArchive archive = BinaryOutputArchive.getArchive(stream);
      if (header != null) {
        header.serialize(archive, "header");
      }
      if (body != null) {
        body.serialize(archive, "response");
      }
    } catch (IOException e) {
      out.release();
      throw new UncheckedIOException("serializing into memory cannot fail", e);
    }
    out.setInt(0, out.readableBytes() - 4);
    return out;
  }

  static ByteBuf reply(ByteBufAllocator alloc, int xid, long zxid, int err, Record body) {
    return frame(alloc, new ReplyHeader(xid, zxid, err), err == 0 ? body : null);
  }
}
