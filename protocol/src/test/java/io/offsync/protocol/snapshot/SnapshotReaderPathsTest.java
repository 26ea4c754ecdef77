package io.offsync.protocol.snapshot;

import static io.offsync.protocol.snapshot.SnapshotReaderTest.NOW;
import static io.offsync.protocol.snapshot.SnapshotReaderTest.readAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Type;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Java SST reader and RocksDB's iterator give the same rows (and the same rows after every resume) on
 * checkpoints written as the testkit writes tablets: puts through {@link DiskTableWriter} (one more L0 file per
 * checkpoint, later puts overwriting earlier rows) and bulk writes ({@code SortedIngest}: spilled sorted runs ingested
 * as SST files with global sequence numbers, a second ingest overlapping the first), with tablet deletes (range
 * deletions) between checkpoints; shared column families with ts column ids; plain and snappy tables.
 */
class SnapshotReaderPathsTest {

  @TempDir
  Path dir;

  @ParameterizedTest
  @EnumSource(value = Type.CompressType.class, names = {"kNoCompress", "kSnappy"})
  void bothReadersYieldTheSameRows(Type.CompressType compress) throws Exception {
    NS.TableInfo table = TestTables.wide("w").setCompressType(compress).build();
    TableSchema schema = TableSchema.of(table);
    Random rnd = new Random(11);
    List<Path> checkpoints = new ArrayList<>();
    try (DiskTableWriter w = DiskTableWriter.open(dir.resolve("puts"), table)) {
      for (int round = 0; round < 3; round++) {
        write(w, schema, rnd, 200);
        deletes(w, round);
        checkpoints.add(checkpoint(w, "puts" + round));
      }
    }
    try (DiskTableWriter w = DiskTableWriter.openBulk(dir.resolve("bulk"), DiskTableLayout.of(table), 16 << 10)) {
      for (int round = 0; round < 2; round++) {
        write(w, schema, rnd, 400);
        deletes(w, round);
        checkpoints.add(checkpoint(w, "bulk" + round));
      }
    }
    for (Path cp : checkpoints) {
      try (SnapshotReader java = SnapshotReader.open(cp, DiskTableLayout.of(table), true);
           SnapshotReader rocks = SnapshotReader.open(cp, DiskTableLayout.of(table), false)) {
        assertTrue(java.readsSstFiles(), cp + " qualifies for the Java reader");
        List<SnapshotReaderTest.Read> expected = readAll(rocks, null, NOW);
        assertTrue(expected.size() > 100, cp + " has rows");
        assertEquals(expected, readAll(java, null, NOW), cp + ": full read");
        for (int i = 0; i < expected.size(); i += 37) {
          byte[] from = expected.get(i).key();
          assertEquals(readAll(rocks, from, NOW), readAll(java, from, NOW), cp + ": resume at row " + i);
        }
      }
    }
  }

  private static void write(DiskTableWriter w, TableSchema schema, Random rnd, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      Object[] v = SnapshotReaderTest.wideRow(rnd, i);
      w.put(v, NOW + i, RowCodec.encode(schema, schema.latestVersion(), v));
    }
  }

  /** Tablet deletes (range deletions): a whole pk of index 0, a ts range of another, a pk of index 1. */
  private static void deletes(DiskTableWriter w, int round) throws Exception {
    w.delete(0, round % 2 == 0 ? "ab" : "k7");
    w.delete(0, "zz", NOW - 5 * 60_000L, NOW - 20 * 60_000L);
    w.delete(1, "n" + round);
  }

  private Path checkpoint(DiskTableWriter w, String name) throws Exception {
    Path cp = dir.resolve(name);
    w.checkpoint(cp);
    return cp;
  }
}
