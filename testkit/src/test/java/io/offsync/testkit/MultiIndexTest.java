package io.offsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.binlog.BinlogRead;
import io.offsync.protocol.binlog.BinlogReader;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.RowCompression;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.Tablet;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.partition.PartitionRead;
import io.offsync.protocol.partition.PartitionReader;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import io.offsync.protocol.snapshot.DiskTableLayout;
import io.offsync.protocol.snapshot.SnapshotReader;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tables with several indexes, written as an OpenMLDB cluster writes them (a row put into every partition one of its
 * index keys hashes to, with that partition's dimensions only; deletes fanned out by the tablet's
 * {@code DeleteAllIndex}), read partition by partition as a sync reads them: every row exactly once over all
 * partitions, checked by unique id and content against what the test wrote, each row decoded by OpenMLDB's own
 * {@code RowView}; in mode 0, mode 1 and mode 2 with appends, over snapshots whose checkpoints hold 0, 1, 37 and 90
 * entries past their offset, resumed from a position every few steps; puts for another index leave the overlap
 * alone; {@code CREATE INDEX} on a live table copies rows into other partitions' binlogs that are not sent. Before
 * the binlog rule (only puts carrying index 0 are rows) the binlog phase sent a row once per partition it was put
 * into, and every test here failed.
 */
class MultiIndexTest {

  static final long BASE = 1_700_000_000_000L;
  static final int PARTITIONS = 4;
  static final long[] OVERLAP = {0, 1, 37, 90};
  static final String[] CITIES = {"beijing", "shanghai", "lima", "osaka", "paris", "berlin", "lagos", "toronto",
      "wuhan", "chengdu", "hangzhou", "sydney"};

  @TempDir Path root;

  /** A table under test: the fixture, the row of an id, the index-1 key deleted and which ids it deletes. */
  record Case(TabletFixture f, LongFunction<Object[]> row, String deletedKey, LongPredicate deleted, int idColumn) {}

  static String city(long id) {
    return id % 23 == 5 ? null : CITIES[(int) (id * 31 % CITIES.length)];
  }

  /** (id, user, city, amount, ts); index 0 by_user(user; ts), index 1 by_city(city; ts); snappy. */
  Case twoIndexes() {
    TabletFixture f = TabletFixture.builder(root.resolve("two")).db("db").table("two").tid(21).partitions(PARTITIONS)
        .compressType(Type.CompressType.kSnappy)
        .column("id", Type.DataType.kBigInt).column("user", Type.DataType.kString)
        .column("city", Type.DataType.kString).column("amount", Type.DataType.kDouble)
        .column("ts", Type.DataType.kTimestamp)
        .index("by_user", "ts", "user").index("by_city", "ts", "city").build();
    return new Case(f, id -> new Object[] {id, "u" + (id * 7919 % 97), city(id), id / 4.0, BASE + id * 1000},
        "lima", id -> "lima".equals(city(id)), 0);
  }

  /**
   * (user, id, city, vip, day, ts); index 0 by_user_city(user, city; ts), index 1 by_city_vip(city, vip; ts), index 2
   * by_id(id; put time): multi-column keys, and an index whose ts is the put time.
   */
  Case threeIndexes() {
    TabletFixture f = TabletFixture.builder(root.resolve("three")).db("db").table("three").tid(22)
        .partitions(PARTITIONS)
        .column("user", Type.DataType.kString).column("id", Type.DataType.kBigInt)
        .column("city", Type.DataType.kString).column("vip", Type.DataType.kBool)
        .column("day", Type.DataType.kDate).column("ts", Type.DataType.kTimestamp)
        .index("by_user_city", "ts", "user", "city").index("by_city_vip", "ts", "city", "vip")
        .index("by_id", null, "id").build();
    return new Case(f, id -> new Object[] {id % 11 == 0 ? "" : "u" + (id * 13 % 41), id, city(id), id % 2 == 0,
        LocalDate.ofEpochDay(19_000 + id % 40), BASE + id * 1000},
        "lima|true", id -> "lima".equals(city(id)) && id % 2 == 0, 1);
  }

  /** 600 rows, a delete by index 1's key, 200 rows, snapshots with overlaps; returns the ids a sync must send. */
  static List<Long> writeAndSnapshot(Case c) {
    List<Long> expected = new ArrayList<>();
    for (long id = 0; id < 800; id++) {
      if (id == 600) {
        c.f().delete(1, c.deletedKey());
      }
      c.f().putAt(BASE + id * 1000, c.row().apply(id));
      if (id >= 600 || !c.deleted().test(id)) {
        expected.add(id);
      }
    }
    for (int pid = 0; pid < PARTITIONS; pid++) {
      c.f().snapshot(pid, OVERLAP[pid]);
    }
    return expected;
  }

  @Test
  void twoIndexesEveryRowOnceInModes0And1() throws Exception {
    everyRowOnceInModes0And1(twoIndexes());
  }

  @Test
  void threeIndexesWithMultiColumnKeysEveryRowOnceInModes0And1() throws Exception {
    everyRowOnceInModes0And1(threeIndexes());
  }

  @Test
  void twoIndexesModeTwoWithAppendsEveryRowOnce() throws Exception {
    modeTwoWithAppends(twoIndexes());
  }

  @Test
  void threeIndexesModeTwoWithAppendsEveryRowOnce() throws Exception {
    modeTwoWithAppends(threeIndexes());
  }

  private void everyRowOnceInModes0And1(Case c) throws Exception {
    try (TabletFixture f = c.f()) {
      List<Long> expected = new ArrayList<>(writeAndSnapshot(c));
      assertWrittenAsACluster(c);
      for (long id = 800; id < 900; id++) { // the binlog after the overlap
        f.putAt(BASE + id * 1000, c.row().apply(id));
        expected.add(id);
      }
      long now = BASE + 10_000_000;
      assertRowsById(c, expected, readAll(f, 0, 0, now, 13));
      long startTs = BASE + 300 * 1000;
      assertRowsById(c, expected.stream().filter(id -> id >= 300).toList(), readAll(f, 1, startTs, now, 31));
      for (int pid = 0; pid < PARTITIONS; pid++) {
        List<byte[]> read = readAll(f, pid, 0, 0, now, Integer.MAX_VALUE);
        assertEquals(sorted(f.expectedRows(pid, 0, 0, now)), sorted(decoded(f, read)),
            "partition " + pid + " agrees with the fixture's model");
      }
    }
  }

  private void modeTwoWithAppends(Case c) throws Exception {
    try (TabletFixture f = c.f()) {
      List<Long> expected = new ArrayList<>(writeAndSnapshot(c));
      long now = BASE + 10_000_000;
      Map<Integer, Position> at = new HashMap<>();
      Map<Integer, List<byte[]>> got = new HashMap<>();
      for (int pid = 0; pid < PARTITIONS; pid++) {
        got.put(pid, new ArrayList<>());
        at.put(pid, read(f, pid, 2, 0, now, Position.start(), 11, 120, got.get(pid)));
      }
      for (long id = 800; id < 950; id++) {
        if (id == 900) {
          c.f().delete(1, c.deletedKey()); // after the snapshot: not propagated, the rows stay sent
        }
        f.putAt(BASE + id * 1000, c.row().apply(id));
        expected.add(id);
      }
      List<byte[]> all = new ArrayList<>();
      for (int pid = 0; pid < PARTITIONS; pid++) {
        Position end = read(f, pid, 2, 0, now, at.get(pid), 11, Long.MAX_VALUE, got.get(pid));
        assertTrue(end instanceof BinlogPosition b && b.nextLogIndex() == f.lastLogIndex(pid) + 1,
            "partition " + pid + " caught up at " + end);
        all.addAll(got.get(pid));
      }
      assertRowsById(c, expected, all);
    }
  }

  /**
   * A partition's puts for another index are not its rows and count for nothing in the overlap: after 100 of them
   * the overlap is still open with no miss (with them counted as misses the window of 64 would have closed it),
   * and the next index-0 put is the first miss.
   */
  @Test
  void putsForAnotherIndexNeitherEndNorConfuseTheOverlap() throws Exception {
    try (TabletFixture f = TabletFixture.builder(root.resolve("window")).db("db").table("window").tid(23)
        .partitions(2).column("id", Type.DataType.kBigInt).column("user", Type.DataType.kString)
        .column("city", Type.DataType.kString).column("ts", Type.DataType.kTimestamp)
        .index("by_user", "ts", "user").index("by_city", "ts", "city").build()) {
      String user0 = key("u", 0);
      String user1 = key("u", 1);
      String city0 = key("c", 0);
      long id = 0;
      for (; id < 30; id++) {
        f.putAt(BASE + id, id, user0, city0, BASE + id);
      }
      f.snapshot(0, 10);
      for (; id < 130; id++) {
        f.putAt(BASE + id, id, user1, city0, BASE + id); // partition 0 gets only the by_city put
      }
      long now = BASE + 1_000_000;
      List<byte[]> rows = new ArrayList<>();
      Position at = read(f, 0, 2, 0, now, Position.start(), 1000, Long.MAX_VALUE, rows);
      assertEquals(30, rows.size(), "partition 0's rows, the 10 of the overlap once");
      BinlogPosition b = (BinlogPosition) at;
      assertEquals(f.lastLogIndex(0) + 1, b.nextLogIndex());
      assertTrue(b.inOverlap() && b.overlap().misses() == 0, "overlap open, no miss: " + b);
      f.putAt(BASE + id, id, user0, city0, BASE + id);
      at = read(f, 0, 2, 0, now, at, 1000, Long.MAX_VALUE, rows);
      assertEquals(31, rows.size());
      assertEquals(1, ((BinlogPosition) at).overlap().misses());
    }
  }

  /**
   * {@code CREATE INDEX} on a live table puts the existing rows again, with only the new index's dimension, into the
   * binlogs of the partitions their new keys hash to: those copies are not rows, and a mode-2 sync running across
   * it sends every row once.
   */
  @Test
  void createIndexCopiesAreNotRows() throws Exception {
    Case c = twoIndexes();
    try (TabletFixture f = c.f()) {
      List<Long> expected = new ArrayList<>();
      for (long id = 0; id < 400; id++) {
        f.putAt(BASE + id * 1000, c.row().apply(id));
        expected.add(id);
      }
      for (int pid = 0; pid < PARTITIONS; pid++) {
        f.snapshot(pid, OVERLAP[pid]);
      }
      for (long id = 400; id < 450; id++) {
        f.putAt(BASE + id * 1000, c.row().apply(id));
        expected.add(id);
      }
      long now = BASE + 10_000_000;
      Map<Integer, Position> at = new HashMap<>();
      List<byte[]> all = new ArrayList<>();
      for (int pid = 0; pid < PARTITIONS; pid++) {
        at.put(pid, read(f, pid, 2, 0, now, Position.start(), 11, 60, all));
      }
      long before = f.lastLogIndex(0) + f.lastLogIndex(1) + f.lastLogIndex(2) + f.lastLogIndex(3);
      f.addIndex("by_id", "ts", "id");
      long copies = f.lastLogIndex(0) + f.lastLogIndex(1) + f.lastLogIndex(2) + f.lastLogIndex(3) - before;
      assertTrue(copies > 200, "rows copied into other partitions' binlogs for the new index: " + copies);
      for (long id = 450; id < 500; id++) {
        f.putAt(BASE + id * 1000, c.row().apply(id));
        expected.add(id);
      }
      for (int pid = 0; pid < PARTITIONS; pid++) {
        read(f, pid, 2, 0, now, at.get(pid), 11, Long.MAX_VALUE, all);
      }
      assertRowsById(c, expected, all);
    }
  }

  /** A key {@code prefix + n} that hashes to partition {@code pid} of 2. */
  private static String key(String prefix, int pid) {
    for (int n = 0; ; n++) {
      if (PartitionRouting.putPartition(prefix + n, 2) == pid) {
        return prefix + n;
      }
    }
  }

  /** The rows of a read of every partition. */
  private static List<byte[]> readAll(TabletFixture f, int mode, long startTs, long now, int resumeEvery)
      throws IOException {
    List<byte[]> rows = new ArrayList<>();
    for (int pid = 0; pid < PARTITIONS; pid++) {
      rows.addAll(readAll(f, pid, mode, startTs, now, resumeEvery));
    }
    return rows;
  }

  private static List<byte[]> readAll(TabletFixture f, int pid, int mode, long startTs, long now, int resumeEvery)
      throws IOException {
    List<byte[]> rows = new ArrayList<>();
    read(f, pid, mode, startTs, now, Position.start(), resumeEvery, Long.MAX_VALUE, rows);
    return rows;
  }

  /**
   * Reads partition {@code pid} from {@code from} until End or CaughtUp or {@code maxSteps}, reopening the reader at
   * the last position every {@code resumeEvery} steps; returns the position reached.
   */
  private static Position read(TabletFixture f, int pid, int mode, long startTs, long now, Position from,
                               int resumeEvery, long maxSteps, List<byte[]> rows) throws IOException {
    Position at = from;
    long steps = 0;
    while (steps < maxSteps) {
      try (PartitionReader r = PartitionReader.open(f.snapshotDir(pid), f.binlogDir(pid), f.tableInfo(), mode,
          startTs, at, now)) {
        for (int i = 0; i < resumeEvery && steps < maxSteps; i++, steps++) {
          PartitionRead read = r.next();
          at = read.after();
          if (read instanceof PartitionRead.Row row) {
            rows.add(row.row());
          } else if (read instanceof PartitionRead.End || read instanceof PartitionRead.CaughtUp) {
            return at;
          }
        }
      }
    }
    return at;
  }

  /** Every expected id exactly once, each row equal (as OpenMLDB's RowView decodes it) to what was written. */
  private static void assertRowsById(Case c, List<Long> expectedIds, List<byte[]> rows) {
    Map<Long, Integer> seen = new TreeMap<>();
    for (byte[] row : rows) {
      List<Object> values = SnapshotOverlapTest.official(c.f().tableInfo(), row);
      long id = (Long) values.get(c.idColumn());
      seen.merge(id, 1, Integer::sum);
      assertEquals(Arrays.asList(c.f().normalize(c.row().apply(id))), values, "content of row " + id);
    }
    List<Long> twice = seen.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
    assertEquals(List.of(), twice, "rows sent more than once");
    assertEquals(expectedIds.stream().sorted().toList(), List.copyOf(seen.keySet()), "the rows sent");
  }

  /**
   * The files hold what a cluster leaves: every binlog put carries only dimensions whose key hashes to its
   * partition, each row is put with index 0 into exactly one partition, and some rows also into other partitions
   * without index 0; a checkpoint's index-1 column family holds a row's key only in the partition it hashes to.
   */
  private static void assertWrittenAsACluster(Case c) throws IOException {
    TabletFixture f = c.f();
    Map<Long, Integer> index0Puts = new HashMap<>();
    int withoutIndex0 = 0;
    int fannedOutDeletes = 0;
    for (int pid = 0; pid < PARTITIONS; pid++) {
      try (BinlogReader r = BinlogReader.open(f.binlogDir(pid), 1, true)) {
        BinlogRead read;
        while ((read = r.next()) instanceof BinlogRead.Entry e) {
          Tablet.LogEntry entry = e.entry();
          for (Tablet.Dimension d : entry.getDimensionsList()) {
            assertEquals(pid, PartitionRouting.putPartition(d.getKey(), PARTITIONS), "dimension " + d.getIdx()
                + " key " + d.getKey() + " of entry " + entry.getLogIndex() + " in partition " + pid);
          }
          if (entry.getMethodType() == Tablet.MethodType.kDelete) {
            fannedOutDeletes += entry.hasTs() ? 1 : 0;
            continue;
          }
          if (entry.getDimensionsList().stream().anyMatch(d -> d.getIdx() == 0)) {
            byte[] row = RowCompression.decompress(entry.getValue().toByteArray(),
                f.tableInfo().getCompressType());
            index0Puts.merge((Long) SnapshotOverlapTest.official(f.tableInfo(), row).get(c.idColumn()), 1,
                Integer::sum);
          } else {
            withoutIndex0++;
          }
        }
      }
    }
    assertEquals(800, index0Puts.size());
    assertTrue(index0Puts.values().stream().allMatch(n -> n == 1), "one index-0 put per row");
    assertTrue(withoutIndex0 > 100, "rows put into other partitions for their other indexes: " + withoutIndex0);
    assertTrue(fannedOutDeletes > 0, "the delete by index 1 was fanned out to index 0's partitions");

    DiskTableLayout layout = DiskTableLayout.of(f.tableInfo());
    DiskTableLayout.Index index1 = layout.index(1);
    for (int pid = 0; pid < PARTITIONS; pid++) {
      try (SnapshotReader s = SnapshotReader.open(f.snapshotDir(pid).resolve(f.manifest(pid).name()),
          f.tableInfo())) {
        for (long id = 0; id < 800; id += 7) {
          Object[] v = f.normalize(c.row().apply(id));
          String key = layout.pk(index1, v);
          boolean held = pid == PartitionRouting.putPartition(key, PARTITIONS) && !(id < 600 && c.deleted().test(id));
          byte[] stored = s.get(index1, layout.key(index1, key, layout.ts(index1, v, BASE + id * 1000)));
          assertEquals(held, stored != null, "row " + id + " (index-1 key " + key + ") in index 1 of partition "
              + pid);
        }
      }
    }
  }

  private static List<List<Object>> decoded(TabletFixture f, List<byte[]> rows) {
    TableSchema schema = TableSchema.of(f.tableInfo());
    return rows.stream().map(r -> Arrays.asList(RowCodec.decode(schema, r, 0))).toList();
  }

  private static List<String> sorted(List<List<Object>> rows) {
    return rows.stream().map(Object::toString).sorted().toList();
  }
}
