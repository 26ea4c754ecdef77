package io.offsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.snapshot.Manifest;
import io.offsync.protocol.snapshot.SnapshotCursor;
import io.offsync.protocol.snapshot.SnapshotReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The collector's two snapshot readers (the Java SST reader, RocksDB's iterator) give the same index-0 rows on the
 * checkpoints of a {@link TabletFixture} written as a cluster writes: puts into several partitions, overwrites, deletes
 * fanned out over the indexes (range deletions), a column family shared by two ts columns, snappy values, a
 * snapshot after each round (one more L0 file each).
 */
class SnapshotReadersAgreeTest {

  private static final long NOW = 1_700_000_000_000L;

  @TempDir
  Path root;

  @Test
  void javaAndRocksDbReadTheSameRows() throws Exception {
    try (TabletFixture f = TabletFixture.builder(root).db("db").table("t").tid(5).partitions(2)
        .compressType(Type.CompressType.kSnappy).clock(() -> NOW)
        .column("k", Type.DataType.kString).column("v", Type.DataType.kBigInt)
        .column("ts", Type.DataType.kTimestamp).column("ts2", Type.DataType.kTimestamp)
        .index("idx0", "ts", "k").index("idx1", "ts", "v").index("idx2", "ts2", "k")
        .endpoints("127.0.0.1:9527").build()) {
      Random rnd = new Random(5);
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 400; i++) {
          f.put("k" + rnd.nextInt(60), (long) rnd.nextInt(40), NOW - rnd.nextInt(50) * 1000L, NOW - i);
        }
        f.delete(0, "k" + rnd.nextInt(60));
        f.delete(1, Integer.toString(rnd.nextInt(40)));
        for (int pid = 0; pid < f.partitionCount(); pid++) {
          Manifest m = f.snapshot(pid);
          Path cp = f.snapshotDir(pid).resolve(m.name());
          List<String> rocks = read(cp, f.tableInfo(), false);
          assertTrue(rocks.size() > 10, cp + " has rows");
          assertEquals(rocks, read(cp, f.tableInfo(), true), cp.toString());
        }
      }
    }
  }

  /** Index 0's rows (key and row bytes) through the reader {@code java} selects. */
  private static List<String> read(Path cp, NS.TableInfo table, boolean java) throws Exception {
    String previous = System.getProperty(SnapshotReader.JAVA_READER_PROPERTY);
    System.setProperty(SnapshotReader.JAVA_READER_PROPERTY, Boolean.toString(java));
    try (SnapshotReader r = SnapshotReader.open(cp, table); SnapshotCursor c = r.cursor(null, NOW)) {
      assertEquals(java, r.readsSstFiles(), cp + " qualifies for the Java reader");
      List<String> rows = new ArrayList<>();
      while (c.next()) {
        rows.add(HexFormat.of().formatHex(c.key()) + " " + HexFormat.of().formatHex(c.row()));
      }
      return rows;
    } finally {
      if (previous == null) {
        System.clearProperty(SnapshotReader.JAVA_READER_PROPERTY);
      } else {
        System.setProperty(SnapshotReader.JAVA_READER_PROPERTY, previous);
      }
    }
  }
}
