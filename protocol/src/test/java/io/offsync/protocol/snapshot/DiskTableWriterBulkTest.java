package io.offsync.protocol.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bulk writer ({@link DiskTableWriter#openBulk}) leaves exactly the keys and values that one RocksDB write per put
 * leaves, in every column family, in the checkpoints and in the live database: shared families (keys with a ts
 * column id), a deleted index, repeated keys (the last put wins, within a buffer, across spilled runs and across
 * loads), range deletes between puts, snappy values, and buffers small enough to spill many sorted runs.
 */
class DiskTableWriterBulkTest {

  private static final long NOW = 1_700_000_000_000L;
  private static final String[] IDS = {"a", "ab", "a|b", "b", "", "\u00e9t\u00e9", "a\u0001", "zz", "k7", "k70",
      "a-very-long-key-of-more-than-sixteen-bytes-1", "a-very-long-key-of-more-than-sixteen-bytes-2"};

  @TempDir
  Path dir;

  @Test
  void bulkWritesLeaveTheSameKeysAndValuesAsOneWritePerPut() throws Exception {
    NS.TableInfo table = TestTables.wide("w").setCompressType(Type.CompressType.kSnappy).build();
    DiskTableLayout layout = DiskTableLayout.of(table);
    for (long buffer : new long[] {8 << 10, 64 << 20}) {
      Path slow = dir.resolve("slow-" + buffer);
      Path fast = dir.resolve("fast-" + buffer);
      try (DiskTableWriter a = DiskTableWriter.open(slow, layout);
           DiskTableWriter b = DiskTableWriter.openBulk(fast, layout, buffer)) {
        writeBoth(table, a, b, 1);
        a.checkpoint(slow.resolve("cp1"));
        b.checkpoint(fast.resolve("cp1"));
        writeBoth(table, a, b, 2);
      }
      for (String family : layout.columnFamilies()) {
        List<String> expected = entries(slow.resolve("cp1"), layout, family);
        assertSame(expected, entries(fast.resolve("cp1"), layout, family), "checkpoint, family " + family);
        List<String> live = entries(slow.resolve("data"), layout, family);
        assertSame(live, entries(fast.resolve("data"), layout, family), "live db, family " + family);
        assertTrue(family.equals("default") || family.equals("idx_del") || live.size() > expected.size(),
            "family " + family + " has rows, more after the checkpoint");
      }
      assertFalse(Files.exists(fast.resolve("data.bulk")), "the work directory is gone");
    }
  }

  private static void assertSame(List<String> expected, List<String> actual, String what) {
    for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
      assertEquals(expected.get(i), actual.get(i), what + ": entry " + i + " differs");
    }
    assertEquals(expected.size(), actual.size(), what + ": entry count");
  }

  /** The same puts and deletes into both writers: repeated (id, ts) pairs, and a range delete halfway. */
  private static void writeBoth(NS.TableInfo table, DiskTableWriter a, DiskTableWriter b, long seed)
      throws Exception {
    Random rnd = new Random(seed);
    TableSchema schema = TableSchema.of(table);
    for (int i = 0; i < 1200; i++) {
      Object[] v = {IDS[rnd.nextInt(IDS.length)], "n" + rnd.nextInt(20), (long) i, NOW - rnd.nextInt(400) * 1000L,
          (long) rnd.nextInt(1000), LocalDate.of(2020, 1 + rnd.nextInt(12), 1 + rnd.nextInt(28)), rnd.nextBoolean(),
          (long) rnd.nextInt(50)};
      byte[] row = RowCodec.encode(schema, schema.latestVersion(), v);
      long time = NOW + rnd.nextInt(300);
      a.put(v, time, row);
      b.put(v, time, row);
      if (i == 600) {
        a.delete(0, "ab");
        b.delete(0, "ab");
        a.delete(1, "n3", NOW - 100_000, NOW - 200_000);
        b.delete(1, "n3", NOW - 100_000, NOW - 200_000);
      }
    }
  }

  /** Every key and value of a family in iteration order, hex. */
  private static List<String> entries(Path db, DiskTableLayout layout, String family) throws Exception {
    List<String> out = new ArrayList<>();
    for (byte[][] e : TestTables.rawEntries(db, layout.columnFamilies(), family)) {
      out.add(HexFormat.of().formatHex(e[0]) + "=" + HexFormat.of().formatHex(e[1]));
    }
    return out;
  }
}
