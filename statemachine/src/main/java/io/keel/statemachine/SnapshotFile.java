package io.keel.statemachine;

import io.keel.tree.DataTree;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.util.MD5FileUtil;

/**
 * Keel's snapshot file: the whole tree at one applied log index.
 *
 * <pre>
 *   8 bytes  magic "KEELSNAP"
 *   int      format version (1)
 *   long     term, long index     the last applied entry the tree includes
 *   ...      DataTree.writeTo
 *   long     CRC32C of every byte before it
 * </pre>
 *
 * Written to a temporary file, fsynced, then renamed into place, so a crash never leaves a half
 * file under the final name. Read only after the checksum has been verified over the whole file,
 * so a corrupt or truncated snapshot is refused with a {@link CorruptSnapshotException} naming the
 * problem and is never loaded; other {@link IOException}s are failures to read it. Not Java
 * serialization; stateless and thread-safe.
 */
public final class SnapshotFile {
  static final byte[] MAGIC = "KEELSNAP".getBytes(StandardCharsets.US_ASCII);
  static final int FORMAT_VERSION = 1;

  /** What a snapshot file holds. */
  public record Contents(long term, long index, DataTree tree) {}

  /** The file's content is damaged or foreign (as opposed to an I/O failure reading it). */
  public static final class CorruptSnapshotException extends IOException {
    private static final long serialVersionUID = 1L;

    CorruptSnapshotException(String message) {
      super(message);
    }

    CorruptSnapshotException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private SnapshotFile() {}

  /**
   * Writes {@code tree} as of (term, index) to {@code target} atomically and durably, with the
   * {@code .md5} file Ratis uses to pick and ship snapshots written first, so a crash can never
   * leave a snapshot under its final name that Ratis does not also see.
   */
  public static MD5Hash write(DataTree tree, long term, long index, File target) throws IOException {
    Path dest = target.toPath();
    Path tmp = dest.resolveSibling(dest.getFileName() + ".tmp");
    CRC32C crc = new CRC32C();
    MessageDigest md5 = MD5FileUtil.newMD5();
    try (FileOutputStream fos = new FileOutputStream(tmp.toFile())) {
      // Ratis's MD5 covers every byte, trailer included; Keel's CRC every byte before the trailer.
      DigestOutputStream whole = new DigestOutputStream(new BufferedOutputStream(fos, 1 << 16), md5);
      DataOutputStream out = new DataOutputStream(new CheckedOutputStream(whole, crc));
      out.write(MAGIC);
      out.writeInt(FORMAT_VERSION);
      out.writeLong(term);
      out.writeLong(index);
      tree.writeTo(out);
      out.flush();
      // The checksum itself is outside the checked stream.
      DataOutputStream trailer = new DataOutputStream(whole);
      trailer.writeLong(crc.getValue());
      trailer.flush();
      fos.getChannel().force(true);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    MD5Hash digest = MD5Hash.newInstance(md5.digest());
    MD5FileUtil.saveMD5File(target, digest);
    Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fsyncDirectory(dest.getParent());
    return digest;
  }

  /** Reads and verifies a snapshot; throws {@link IOException} saying what is wrong with it. */
  public static Contents read(File file) throws IOException {
    long size = file.length();
    if (size < MAGIC.length + 4 + 8 + 8 + 8) {
      throw new CorruptSnapshotException("snapshot " + file + " is truncated: " + size + " bytes");
    }
    verifyChecksum(file, size);
    try (DataInputStream in = new DataInputStream(
        new BufferedInputStream(Files.newInputStream(file.toPath()), 1 << 16))) {
      byte[] magic = new byte[MAGIC.length];
      in.readFully(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new CorruptSnapshotException("snapshot " + file + " is not a Keel snapshot (bad magic)");
      }
      int version = in.readInt();
      if (version != FORMAT_VERSION) {
        throw new CorruptSnapshotException("snapshot " + file + " has format version " + version
            + "; this Keel reads version " + FORMAT_VERSION);
      }
      long term = in.readLong();
      long index = in.readLong();
      DataTree tree;
      try {
        tree = DataTree.readFrom(in);
      } catch (EOFException e) {
        throw e;
      } catch (IOException e) {
        // The checksum matched, so this is a structurally bad tree written by a buggy writer.
        throw new CorruptSnapshotException("snapshot " + file + " holds an invalid tree: "
            + e.getMessage(), e);
      }
      return new Contents(term, index, tree);
    } catch (EOFException e) {
      throw new CorruptSnapshotException("snapshot " + file + " is truncated", e);
    }
  }

  private static void verifyChecksum(File file, long size) throws IOException {
    CRC32C crc = new CRC32C();
    long body = size - 8;
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file.toPath()), 1 << 16)) {
      CheckedInputStream in = new CheckedInputStream(raw, crc);
      byte[] buf = new byte[1 << 16];
      long left = body;
      while (left > 0) {
        int n = in.read(buf, 0, (int) Math.min(buf.length, left));
        if (n < 0) {
          throw new CorruptSnapshotException("snapshot " + file + " is truncated");
        }
        left -= n;
      }
      long stored = new DataInputStream(raw).readLong();
      if (stored != crc.getValue()) {
        throw new CorruptSnapshotException(String.format(
            "snapshot %s is corrupt: checksum mismatch (stored %016x, computed %016x)",
            file, stored, crc.getValue()));
      }
    }
  }

  private static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException ignored) {
      // Some filesystems refuse to open directories; the rename itself is still atomic.
    }
  }
}
