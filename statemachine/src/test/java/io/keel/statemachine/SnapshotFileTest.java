package io.keel.statemachine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.keel.proto.CreateMode;
import io.keel.proto.CreateOp;
import io.keel.proto.Txn;
import io.keel.proto.WriteRequest;
import io.keel.tree.DataTree;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.util.MD5FileUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot file: round trip, and every kind of damage refused with a message saying which. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SnapshotFileTest {
  @TempDir
  Path dir;

  static DataTree sampleTree() {
    DataTree t = new DataTree();
    long zxid = 1;
    for (int i = 0; i < 100; i++) {
      t.apply(zxid++, Txn.newBuilder().setTime(1000 + i).setRequest(WriteRequest.newBuilder()
          .setCreate(CreateOp.newBuilder().setPath("/n" + i)
              .setData(ByteString.copyFromUtf8("data-" + i)).setMode(CreateMode.PERSISTENT)))
          .build());
    }
    return t;
  }

  MD5Hash md5;

  File written(DataTree t) throws IOException {
    File f = dir.resolve("snapshot.3_100").toFile();
    md5 = SnapshotFile.write(t, 3, 100, f);
    return f;
  }

  @Test
  void roundTripKeepsEverything() throws Exception {
    DataTree t = sampleTree();
    File f = written(t);
    SnapshotFile.Contents c = SnapshotFile.read(f);
    assertEquals(3, c.term());
    assertEquals(100, c.index());
    assertEquals(t.digest(), c.tree().digest());
    assertEquals(101, c.tree().nodeCount());
    try (var files = Files.list(dir)) {
      assertEquals(List.of("snapshot.3_100", "snapshot.3_100.md5"),
          files.map(p -> p.getFileName().toString()).sorted().toList(),
          "the snapshot and the md5 Ratis ships it with; no temporary file");
    }
    assertEquals(MD5FileUtil.computeMd5ForFile(f), md5);
    assertEquals(md5, MD5FileUtil.readStoredMd5ForFile(f));
  }

  @Test
  void aFlippedByteIsRefusedAsAChecksumMismatch() throws Exception {
    File f = written(sampleTree());
    try (RandomAccessFile raf = new RandomAccessFile(f, "rw")) {
      raf.seek(raf.length() / 2);
      int b = raf.read();
      raf.seek(raf.length() / 2);
      raf.write(b ^ 0x01);
    }
    IOException e = assertThrows(IOException.class, () -> SnapshotFile.read(f));
    assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
    assertTrue(e.getMessage().contains(f.getName()), e.getMessage());
  }

  @Test
  void aTruncatedFileIsRefused() throws Exception {
    File f = written(sampleTree());
    for (long keep : new long[] {0, 10, f.length() / 2, f.length() - 1}) {
      try (RandomAccessFile raf = new RandomAccessFile(f, "rw")) {
        raf.setLength(keep);
      }
      IOException e = assertThrows(IOException.class, () -> SnapshotFile.read(f));
      assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("checksum"),
          keep + " bytes: " + e.getMessage());
    }
  }

  @Test
  void anotherFileIsRefusedAsNotASnapshot() throws Exception {
    File f = dir.resolve("snapshot.1_1").toFile();
    Files.write(f.toPath(), new byte[64]);
    IOException e = assertThrows(IOException.class, () -> SnapshotFile.read(f));
    assertTrue(e.getMessage().contains("checksum") || e.getMessage().contains("magic"), e.getMessage());
  }
}
