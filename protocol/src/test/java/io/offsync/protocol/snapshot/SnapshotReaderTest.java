package io.offsync.protocol.snapshot;

import static io.offsync.protocol.snapshot.TestTables.index;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Type;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.xerial.snappy.Snappy;

class SnapshotReaderTest {

  static final long NOW = 1_700_000_000_000L;
  private static final String[] IDS = {"a", "ab", "a|b", "b", "", "\u00e9t\u00e9", "a\u0001", "zz", "k7", "k70"};

  @TempDir
  Path dir;

  /** A row as read: raw key, ts, row bytes. */
  record Read(byte[] key, long ts, byte[] row) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Read r && ts == r.ts && Arrays.equals(key, r.key) && Arrays.equals(row, r.row);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(key);
    }

    @Override
    public String toString() {
      return HexFormat.of().formatHex(key) + "@" + ts;
    }
  }

  /** What the test put: the row's values, put time and bytes. */
  record Put(Object[] values, long time, byte[] row) {}

  // ---- the model: index 0's rows as OpenMLDB defines them, computed without the code under test ----

  /** Unsigned bytewise order of the key minus its ts, then ts descending. */
  private static int keyOrder(byte[] a, byte[] b) {
    int c = Arrays.compareUnsigned(a, 0, a.length - 8, b, 0, b.length - 8);
    if (c != 0) {
      return c;
    }
    return Long.compareUnsigned(tsOf(b), tsOf(a));
  }

  private static long tsOf(byte[] key) {
    long v = 0;
    for (int i = key.length - 1; i >= key.length - 8; i--) {
      v = (v << 8) | (key[i] & 0xff);
    }
    return v;
  }

  private static byte[] modelKey(String pk, Integer tsId, long ts) {
    byte[] p = pk.getBytes(StandardCharsets.UTF_8);
    int extra = tsId == null ? 0 : 4;
    byte[] k = Arrays.copyOf(p, p.length + extra + 8);
    if (tsId != null) {
      for (int i = 0; i < 4; i++) {
        k[p.length + i] = (byte) (tsId >>> (8 * i));
      }
    }
    for (int i = 0; i < 8; i++) {
      k[p.length + extra + i] = (byte) (ts >>> (8 * i));
    }
    return k;
  }

  private static boolean expired(Common.ColumnKey ck, long ts, long rank, long now) {
    if (!ck.hasTtl()) {
      return false;
    }
    long abs = ck.getTtl().getAbsTtl();
    long lat = ck.getTtl().getLatTtl();
    boolean absExp = abs > 0 && ts <= now - abs * 60_000L;
    boolean latExp = lat > 0 && rank > lat;
    return switch (ck.getTtl().getTtlType()) {
      case kAbsoluteTime, kRelativeTime -> absExp;
      case kLatestTime -> latExp;
      case kAbsAndLat -> abs > 0 && lat > 0 && absExp && latExp;
      case kAbsOrLat -> absExp || latExp;
    };
  }

  /** Index 0's visible rows after {@code puts}: last put per (pk, ts) wins, key order, TTL applied. */
  private static List<Read> model(NS.TableInfo table, List<Put> puts, Integer tsId, int pkCol, int tsCol, long now) {
    TreeMap<byte[], byte[]> rows = new TreeMap<>(SnapshotReaderTest::keyOrder);
    for (Put p : puts) {
      Object id = p.values()[pkCol];
      String pk = id == null ? "!N@U#L$L%" : id.toString().isEmpty() ? "!@#$%" : id.toString();
      long ts = tsCol < 0 ? p.time() : (Long) p.values()[tsCol];
      rows.put(modelKey(pk, tsId, ts), p.row());
    }
    List<Read> out = new ArrayList<>();
    byte[] lastPrefix = null;
    long rank = 0;
    for (Map.Entry<byte[], byte[]> e : rows.entrySet()) {
      byte[] k = e.getKey();
      byte[] prefix = Arrays.copyOf(k, k.length - 8);
      rank = Arrays.equals(prefix, lastPrefix) ? rank + 1 : 1;
      lastPrefix = prefix;
      long ts = tsOf(k);
      if (!expired(table.getColumnKey(0), ts, rank, now)) {
        out.add(new Read(k, ts, e.getValue()));
      }
    }
    return out;
  }

  // ---- helpers ----

  static List<Read> readAll(SnapshotReader r, byte[] from, long now) throws IOException {
    List<Read> out = new ArrayList<>();
    try (SnapshotCursor c = r.cursor(from, now)) {
      while (c.next()) {
        out.add(new Read(c.key(), c.ts(), c.row()));
      }
    }
    return out;
  }

  static Object[] wideRow(Random rnd, int seq) {
    String id = IDS[rnd.nextInt(IDS.length)];
    long ts1 = rnd.nextInt(4) == 0 ? NOW - rnd.nextInt(5) * 1000L : NOW - rnd.nextInt(30) * 60_000L;
    return new Object[] {id, "n" + rnd.nextInt(20), (long) seq, ts1, (long) rnd.nextInt(1000),
        LocalDate.of(2020, 1 + rnd.nextInt(12), 1 + rnd.nextInt(28)), rnd.nextBoolean(), (long) rnd.nextInt(50)};
  }


  private List<Put> writeWide(NS.TableInfo table, Path partition, Path checkpoint, int n, long seed)
      throws IOException {
    Random rnd = new Random(seed);
    TableSchema schema = TableSchema.of(table);
    List<Put> puts = new ArrayList<>();
    try (DiskTableWriter w = DiskTableWriter.open(partition, table)) {
      for (int i = 0; i < n; i++) {
        Object[] v = wideRow(rnd, i);
        Put p = new Put(v, NOW + i, RowCodec.encode(schema, schema.latestVersion(), v));
        w.put(p.values(), p.time(), p.row());
        puts.add(p);
      }
      w.checkpoint(checkpoint);
    }
    return puts;
  }

  /** Every raw key of a column family, read without the code under test's reader. */
  private static List<byte[]> rawKeys(Path checkpoint, List<String> families, String family) throws Exception {
    return TestTables.rawEntries(checkpoint, families, family).stream().map(e -> e[0]).toList();
  }

  // ---- tests ----

  @Test
  void readsIndexZeroOfASharedFamilyInKeyOrderWithTheRightRows() throws Exception {
    NS.TableInfo table = TestTables.wide("w").build();
    Path cp = dir.resolve("7_0/snapshot/202401010000");
    Files.createDirectories(cp.getParent());
    List<Put> puts = writeWide(table, dir.resolve("7_0"), cp, 600, 1);

    List<Read> expected = model(table, puts, 3, 0, 3, NOW);
    try (SnapshotReader r = SnapshotReader.open(cp, table)) {
      assertTrue(r.readsSstFiles(), "a checkpoint as a tablet writes it is read without RocksDB");
      List<Read> actual = readAll(r, null, NOW);
      assertEquals(expected.size(), actual.size());
      assertEquals(expected, actual);
      assertTrue(expected.size() < 600, "some (id, ts1) pairs repeat and overwrite");
      TableSchema schema = TableSchema.of(table);
      for (Read x : actual) {
        Object[] v = RowCodec.decode(schema, x.row(), 0);
        assertEquals(x.ts(), v[3], "index 0's ts is the row's ts1");
        String id = (String) v[0];
        assertArrayEquals((id.isEmpty() ? "!@#$%" : id).getBytes(StandardCharsets.UTF_8),
            Arrays.copyOf(x.key(), x.key().length - 12), "the key's pk is the row's id");
      }
      try (SnapshotCursor c = r.cursor(null, NOW)) {
        assertTrue(c.next());
        assertArrayEquals(Arrays.copyOf(expected.get(0).key(), expected.get(0).key().length - 12), c.pk());
      }
    }

    List<String> families = List.of("default", "idx_id", "idx_name", "idx_multi", "idx_del");
    List<byte[]> shared = rawKeys(cp, families, "idx_id");
    long[] perId = new long[8];
    for (byte[] k : shared) {
      perId[DiskKey.parse(k, true).tsColumnId()]++;
    }
    assertEquals(expected.size(), perId[3]);
    assertEquals(model(table, puts, 4, 0, 4, NOW).size(), perId[4], "idx_id2 rows under ts column id 4");
    assertEquals(model(table, puts, 7, 0, 7, NOW).size(), perId[7], "idx_id3 rows under added column id 7");
    assertEquals(model(table, puts, null, 1, 3, NOW).size(), rawKeys(cp, families, "idx_name").size());
    assertEquals(600, rawKeys(cp, families, "idx_multi").size(), "put time as ts: every put is its own key");
    assertEquals(0, rawKeys(cp, families, "idx_del").size(), "deleted index: family exists, no rows");
  }

  @Test
  void resumingFromEveryKthKeyGivesExactlyTheRemainder() throws Exception {
    NS.TableInfo table = TestTables.wide("w").build();
    Path cp = dir.resolve("cp");
    writeWide(table, dir.resolve("7_0"), cp, 300, 2);
    try (SnapshotReader r = SnapshotReader.open(cp, table)) {
      List<Read> full = readAll(r, null, NOW);
      int k = 7;
      for (int i = 0; i < full.size(); i += k) {
        assertEquals(full.subList(i, full.size()), readAll(r, full.get(i).key(), NOW), "resume at row " + i);
      }
      List<Read> chunked = new ArrayList<>();
      byte[] next = null;
      do {
        try (SnapshotCursor c = r.cursor(next, NOW)) {
          next = null;
          for (int n = 0; c.next(); n++) {
            if (n == 13) {
              next = c.key();
              break;
            }
            chunked.add(new Read(c.key(), c.ts(), c.row()));
          }
        }
      } while (next != null);
      assertEquals(full, chunked);
    }
  }

  static Stream<Arguments> ttls() {
    return Stream.of(
        Arguments.of(Type.TTLType.kAbsoluteTime, 10L, 0L),
        Arguments.of(Type.TTLType.kRelativeTime, 10L, 0L),
        Arguments.of(Type.TTLType.kLatestTime, 0L, 2L),
        Arguments.of(Type.TTLType.kLatestTime, 0L, 1L),
        Arguments.of(Type.TTLType.kAbsAndLat, 10L, 2L),
        Arguments.of(Type.TTLType.kAbsAndLat, 0L, 2L),
        Arguments.of(Type.TTLType.kAbsOrLat, 10L, 2L),
        Arguments.of(Type.TTLType.kAbsOrLat, 0L, 3L),
        Arguments.of(Type.TTLType.kAbsOrLat, 15L, 0L),
        Arguments.of(Type.TTLType.kAbsoluteTime, 0L, 0L));
  }

  @ParameterizedTest
  @MethodSource("ttls")
  void indexZeroTtlIsAppliedAndSurvivesResumes(Type.TTLType type, long abs, long lat) throws Exception {
    NS.TableInfo.Builder b = TestTables.wide("w");
    b.setColumnKey(0, index("idx_id", List.of("id"), "ts1", type, abs, lat));
    NS.TableInfo table = b.build();
    Path cp = dir.resolve("cp");
    List<Put> puts = writeWide(table, dir.resolve("7_0"), cp, 400, 3);
    List<Read> expected = model(table, puts, 3, 0, 3, NOW);
    assertTrue(expected.size() > 0);
    for (boolean javaReader : new boolean[] {true, false}) {
      try (SnapshotReader r = SnapshotReader.open(cp, DiskTableLayout.of(table), javaReader)) {
        assertEquals(javaReader, r.readsSstFiles());
        List<Read> full = readAll(r, null, NOW);
        assertEquals(expected, full);
        for (int i = 0; i < full.size(); i += 3) {
          assertEquals(full.subList(i, full.size()), readAll(r, full.get(i).key(), NOW), "resume at row " + i);
        }
      }
    }
  }

  @Test
  void unsharedIndexZeroAndTabletStyleDeletes() throws Exception {
    NS.TableInfo table = TestTables.simple("s", index("idx_k", List.of("k"), "ts")).build();
    Path cp = dir.resolve("cp");
    List<Put> puts = new ArrayList<>();
    TableSchema schema = TableSchema.of(table);
    try (DiskTableWriter w = DiskTableWriter.open(dir.resolve("7_0"), table)) {
      for (int i = 0; i < 50; i++) {
        Object[] v = {"k" + (i % 7), i, (long) (i % 4 == 0 ? 0 : 1000 + i)};
        Put p = new Put(v, NOW, RowCodec.encode(schema, 1, v));
        w.put(p.values(), p.time(), p.row());
        puts.add(p);
      }
      w.delete(0, "k3");
      w.delete(0, "k5", 1030, 1015);
      w.checkpoint(cp);
    }
    List<Put> kept = new ArrayList<>();
    for (Put p : puts) {
      String k = (String) p.values()[0];
      long ts = (Long) p.values()[2];
      boolean deleted = (k.equals("k3") && ts != 0) || (k.equals("k5") && ts > 1015 && ts <= 1030);
      if (!deleted) {
        kept.add(p);
      }
    }
    List<Read> expected = model(table, kept, null, 0, 2, NOW);
    try (SnapshotReader r = SnapshotReader.open(cp, table)) {
      assertTrue(r.readsSstFiles(), "range deletes are read without RocksDB too");
      assertEquals(expected, readAll(r, null, NOW));
      assertTrue(readAll(r, null, NOW).stream().anyMatch(x -> RowCodec.decode(schema, x.row(), 0)[1].equals(24)),
          "a delete without ts keeps the pk's ts-0 row, like the tablet's range delete");
    }
  }

  @Test
  void aReopenedWriterKeepsItsRowsAndPutTimeIndexesShareFamilies() throws Exception {
    NS.TableInfo table = TestTables.table("p")
        .addColumnDesc(TestTables.col("k", Type.DataType.kString))
        .addColumnDesc(TestTables.col("ts", Type.DataType.kBigInt))
        .addColumnKey(index("by_put_time", List.of("k"), null))
        .addColumnKey(index("by_ts", List.of("k"), "ts"))
        .build();
    TableSchema schema = TableSchema.of(table);
    List<Put> puts = new ArrayList<>();
    for (int round = 0; round < 2; round++) {
      try (DiskTableWriter w = DiskTableWriter.open(dir.resolve("7_0"), table)) {
        for (int i = 0; i < 30; i++) {
          Object[] v = {"k" + (i % 4), (long) (i * 7 % 11)};
          Put p = new Put(v, NOW + round * 100 + i, RowCodec.encode(schema, 1, v));
          w.put(p.values(), p.time(), p.row());
          puts.add(p);
        }
        if (round == 1) {
          w.checkpoint(dir.resolve("cp"));
        }
      }
    }
    List<Read> expected = model(table, puts, -1, 0, -1, NOW);
    assertEquals(60, expected.size(), "every put time is distinct");
    try (SnapshotReader r = SnapshotReader.open(dir.resolve("cp"), table)) {
      assertEquals(expected, readAll(r, null, NOW));
    }
  }

  @Test
  void snappyTablesStoreCompressedValuesAndReadBackRows() throws Exception {
    NS.TableInfo table = TestTables.simple("z", index("idx_k", List.of("k"), "ts"))
        .setCompressType(Type.CompressType.kSnappy).build();
    Path cp = dir.resolve("cp");
    List<Put> puts = new ArrayList<>();
    TableSchema schema = TableSchema.of(table);
    try (DiskTableWriter w = DiskTableWriter.open(dir.resolve("7_0"), table)) {
      for (int i = 0; i < 40; i++) {
        Object[] v = {"k" + (i % 5), i, (long) i};
        Put p = new Put(v, NOW, RowCodec.encode(schema, 1, v));
        w.put(p.values(), p.time(), p.row());
        puts.add(p);
      }
      w.checkpoint(cp);
    }
    try (SnapshotReader r = SnapshotReader.open(cp, table)) {
      assertEquals(model(table, puts, null, 0, 2, NOW), readAll(r, null, NOW));
    }
    try (KeyTSComparator cmp = KeyTSComparator.create();
         ColumnFamilyOptions def = new ColumnFamilyOptions();
         ColumnFamilyOptions cfo = new ColumnFamilyOptions().setComparator(cmp);
         DBOptions dbo = new DBOptions()) {
      List<ColumnFamilyHandle> hs = new ArrayList<>();
      try (RocksDB db = RocksDB.openReadOnly(dbo, cp.toString(), List.of(
          new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, def),
          new ColumnFamilyDescriptor("idx_k".getBytes(StandardCharsets.UTF_8), cfo),
          new ColumnFamilyDescriptor("idx_v".getBytes(StandardCharsets.UTF_8), cfo)), hs)) {
        byte[] stored = db.get(hs.get(1), DiskKey.encode("k4".getBytes(StandardCharsets.UTF_8), 39));
        assertArrayEquals(puts.get(39).row(), Snappy.uncompress(stored));
        assertFalse(Arrays.equals(puts.get(39).row(), stored));
        hs.forEach(ColumnFamilyHandle::close);
      }
    }
  }

  @Test
  void readingLeavesTheCheckpointUntouched() throws Exception {
    NS.TableInfo table = TestTables.wide("w").build();
    Path cp = dir.resolve("cp");
    writeWide(table, dir.resolve("7_0"), cp, 50, 4);
    Map<String, Long> before = listing(cp);
    try (SnapshotReader r = SnapshotReader.open(cp, table)) {
      assertEquals(readAll(r, null, NOW).size(), readAll(r, null, NOW).size());
      r.cursor(null, NOW).next(); // left open: closing the reader closes it
    }
    assertEquals(before, listing(cp));
  }

  private static Map<String, Long> listing(Path d) throws IOException {
    Map<String, Long> m = new LinkedHashMap<>();
    try (Stream<Path> s = Files.list(d)) {
      for (Path p : s.sorted().toList()) {
        m.put(p.getFileName().toString(), Files.size(p));
      }
    }
    return m;
  }

  @Test
  void mismatchesAreReportedWithTheDirectory() throws Exception {
    NS.TableInfo table = TestTables.wide("w").build();
    Path cp = dir.resolve("cp");
    writeWide(table, dir.resolve("7_0"), cp, 10, 5);

    IOException e = assertThrows(IOException.class, () -> SnapshotReader.open(dir.resolve("7_0"), table));
    assertTrue(e.getMessage().contains("not a RocksDB checkpoint"), e.getMessage());

    NS.TableInfo other = TestTables.simple("s", index("idx_k", List.of("k"), "ts")).build();
    e = assertThrows(IOException.class, () -> SnapshotReader.open(cp, other));
    assertTrue(e.getMessage().contains("idx_k") && e.getMessage().contains(cp.toString()), e.getMessage());

    NS.TableInfo memory = table.toBuilder().setStorageMode(Common.StorageMode.kMemory).build();
    e = assertThrows(IOException.class, () -> SnapshotReader.open(cp, memory));
    assertTrue(e.getMessage().contains("kMemory"), e.getMessage());

    try (SnapshotReader r = SnapshotReader.open(cp, table)) {
      assertThrows(IllegalArgumentException.class, () -> r.cursor(new byte[] {1, 2, 3}, NOW));
    }
  }
}
