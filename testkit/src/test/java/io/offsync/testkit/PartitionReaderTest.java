package io.offsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.binlog.BinlogFiles;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.partition.PartitionRead;
import io.offsync.protocol.partition.PartitionReader;
import io.offsync.protocol.partition.SnapshotChangedException;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import io.offsync.protocol.position.SnapshotPosition;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 2's "Done when": a reader reads back, row for row, every partition a fixture wrote (snapshot through
 * RocksDB, binlog through the log reader), and resuming from arbitrary positions gives no gap and no repeat.
 */
class PartitionReaderTest {

  static final long NOW = 1_790_000_000_000L;

  @TempDir Path root;

  static TabletFixtureBuilder schema(Path root) {
    return TabletFixture.builder(root).db("db1").table("events").tid(7)
        .column("user", Type.DataType.kString)
        .column("item", Type.DataType.kInt)
        .column("price", Type.DataType.kDouble)
        .column("ts", Type.DataType.kTimestamp)
        .column("day", Type.DataType.kDate)
        .column("ok", Type.DataType.kBool)
        .index("by_user", "ts", "user")
        .index("by_item", "ts", "item")
        .index("by_user_item", null, "user", "item")
        .clock(() -> NOW);
  }

  /** One step of a read: the decoded row (or null) and the position after it. */
  record Step(List<Object> row, Position after) {}

  static List<Step> readAll(TabletFixture f, int pid, int mode, long startTs, Position from) throws IOException {
    TableSchema schema = TableSchema.of(f.tableInfo());
    List<Step> steps = new ArrayList<>();
    try (PartitionReader r = PartitionReader.open(f.snapshotDir(pid), f.binlogDir(pid), f.tableInfo(), mode,
        startTs, from, NOW)) {
      while (true) {
        PartitionRead read = r.next();
        if (read instanceof PartitionRead.End) {
          return steps;
        }
        if (read instanceof PartitionRead.CaughtUp) {
          throw new AssertionError("mode " + mode + " caught up instead of ending at " + read.after());
        }
        List<Object> row = read instanceof PartitionRead.Row rr
            ? Arrays.asList(RowCodec.decode(schema, rr.row(), 0)) : null;
        steps.add(new Step(row, read.after()));
        assertEquals(read.after(), r.position());
      }
    }
  }

  static List<List<Object>> rows(List<Step> steps) {
    return steps.stream().filter(s -> s.row() != null).map(Step::row).toList();
  }

  static void assertSameMultiset(List<List<Object>> expected, List<List<Object>> actual) {
    assertEquals(count(expected), count(actual));
    assertEquals(expected.size(), actual.size());
  }

  static Map<List<Object>, Integer> count(List<List<Object>> rows) {
    Map<List<Object>, Integer> m = new HashMap<>();
    rows.forEach(r -> m.merge(r, 1, Integer::sum));
    return m;
  }

  static Object[] row(Random rnd, int i) {
    return new Object[] {"u" + rnd.nextInt(40), rnd.nextInt(25), i * 0.5, NOW - 10_000_000L + i * 1000L,
        LocalDate.of(2024, 1 + i % 12, 1 + i % 28), i % 3 == 0 ? null : i % 2 == 0};
  }

  @Test
  void readsEveryPartitionBackAndResumesAnywhere() throws IOException {
    Random rnd = new Random(42);
    try (TabletFixture f = schema(root).partitions(3).compressType(Type.CompressType.kSnappy).build()) {
      int i = 0;
      for (; i < 300; i++) {
        f.put(row(rnd, i));
      }
      f.delete(0, "u3");
      f.delete(1, "7");
      for (int pid = 0; pid < 3; pid++) {
        f.rollBinlog(pid);
      }
      for (; i < 450; i++) {
        f.put(row(rnd, i));
      }
      for (int pid = 0; pid < 3; pid++) {
        f.snapshot(pid);
        f.rollBinlog(pid);
      }
      for (; i < 600; i++) {
        f.put(row(rnd, i));
        if (i % 50 == 0) {
          f.delete(0, "u" + rnd.nextInt(40));
        }
      }
      for (int pid = 0; pid < 3; pid++) {
        assertTrue(f.purgeBinlogsBefore(pid) >= 1, "the binlog before the snapshot is purged");
        f.rollBinlog(pid);
      }
      for (; i < 700; i++) {
        f.put(row(rnd, i));
      }

      int total = 0;
      for (int pid = 0; pid < 3; pid++) {
        List<Step> full = readAll(f, pid, 0, 0, Position.start());
        List<List<Object>> expected = f.expectedRows(pid, 0, 0, NOW);
        assertSameMultiset(expected, rows(full));
        total += expected.size();
        assertInstanceOf(SnapshotPosition.class, full.get(0).after());
        assertEquals(new BinlogPosition(f.lastLogIndex(pid) + 1), full.get(full.size() - 1).after());

        // resume from every k-th position: the rest of the read is exactly the suffix
        for (int k = 0; k < full.size(); k += 7) {
          List<Step> rest = readAll(f, pid, 0, 0, full.get(k).after());
          assertEquals(full.subList(k + 1, full.size()), rest, "resume at step " + k + " " + full.get(k).after());
        }
      }
      assertTrue(total > 500, "rows read: " + total);
    }
  }

  @Test
  void modeOneFiltersSnapshotByIndexZeroTsAndBinlogByEntryTs() throws IOException {
    Random rnd = new Random(7);
    long[] clock = {NOW - 100_000};
    try (TabletFixture f = schema(root).partitions(2).clock(() -> clock[0]).build()) {
      for (int i = 0; i < 200; i++) {
        clock[0] += 1000;
        f.put(row(rnd, i));
      }
      f.snapshot(0);
      f.snapshot(1);
      for (int i = 200; i < 300; i++) {
        clock[0] += 1000;
        f.put(row(rnd, i));
      }
      long startTs = NOW - 10_000_000L + 120 * 1000L;
      long binlogStart = NOW - 100_000 + 250 * 1000L;
      for (int pid = 0; pid < 2; pid++) {
        for (long ts : new long[] {startTs, binlogStart}) {
          List<Step> steps = readMode1UntilCaughtUp(f, pid, ts);
          assertSameMultiset(f.expectedRows(pid, 1, ts, NOW), rows(steps));
          assertTrue(steps.stream().anyMatch(s -> s.row() == null), "some rows are skipped");
        }
      }
    }
  }

  static List<Step> readMode1UntilCaughtUp(TabletFixture f, int pid, long startTs) throws IOException {
    TableSchema schema = TableSchema.of(f.tableInfo());
    List<Step> steps = new ArrayList<>();
    try (PartitionReader r = PartitionReader.open(f.snapshotDir(pid), f.binlogDir(pid), f.tableInfo(), 1, startTs,
        Position.start(), NOW)) {
      PartitionRead read;
      while (!((read = r.next()) instanceof PartitionRead.CaughtUp)) {
        steps.add(new Step(read instanceof PartitionRead.Row rr
            ? Arrays.asList(RowCodec.decode(schema, rr.row(), 0)) : null, read.after()));
      }
    }
    return steps;
  }

  @Test
  void modeTwoTailsTheBinlogAcrossRolls() throws IOException {
    try (TabletFixture f = schema(root).partitions(1).build()) {
      Random rnd = new Random(1);
      for (int i = 0; i < 20; i++) {
        f.put(row(rnd, i));
      }
      f.snapshot(0);
      TableSchema schema = TableSchema.of(f.tableInfo());
      List<List<Object>> got = new ArrayList<>();
      try (PartitionReader r = PartitionReader.open(f.snapshotDir(0), f.binlogDir(0), f.tableInfo(), 2, 0,
          Position.start(), NOW)) {
        drain(r, schema, got);
        String snapshot = f.manifest(0).name();
        assertEquals(new BinlogPosition(21, new BinlogPosition.Overlap(snapshot, 20, 0)), r.position());
        for (int round = 0; round < 3; round++) {
          for (int i = 0; i < 10; i++) {
            f.put(row(rnd, 100 + round * 10 + i));
          }
          f.rollBinlog(0);
          drain(r, schema, got);
        }
        // 30 puts the checkpoint does not hold, fewer than the overlap window: still compared
        assertEquals(new BinlogPosition(51, new BinlogPosition.Overlap(snapshot, 20, 30)), r.position());
      }
      assertSameMultiset(f.expectedRows(0, 2, 0, NOW), got);
    }
  }

  static void drain(PartitionReader r, TableSchema schema, List<List<Object>> into) throws IOException {
    PartitionRead read;
    while (!((read = r.next()) instanceof PartitionRead.CaughtUp)) {
      if (read instanceof PartitionRead.Row rr) {
        into.add(Arrays.asList(RowCodec.decode(schema, rr.row(), 0)));
      }
    }
  }

  @Test
  void withoutSnapshotTheReadStartsAtLogIndexOne() throws IOException {
    try (TabletFixture f = schema(root).partitions(1).build()) {
      Random rnd = new Random(3);
      for (int i = 0; i < 30; i++) {
        f.put(row(rnd, i));
      }
      List<Step> steps = readAll(f, 0, 0, 0, Position.start());
      assertEquals(new BinlogPosition(1), steps.get(0).after(), "hand-over of an absent snapshot");
      assertEquals(null, steps.get(0).row());
      assertSameMultiset(f.expectedRows(0, 0, 0, NOW), rows(steps));
      assertEquals(30, rows(steps).size());
    }
  }

  @Test
  void aPositionInAReplacedSnapshotFailsClearly() throws IOException {
    try (TabletFixture f = schema(root).partitions(1).build()) {
      Random rnd = new Random(5);
      for (int i = 0; i < 30; i++) {
        f.put(row(rnd, i));
      }
      f.snapshot(0);
      List<Step> steps = readAll(f, 0, 0, 0, Position.start());
      Position inside = steps.get(5).after();
      f.put(row(rnd, 31));
      f.snapshot(0);
      SnapshotChangedException e = assertThrows(SnapshotChangedException.class, () -> PartitionReader.open(
          f.snapshotDir(0), f.binlogDir(0), f.tableInfo(), 0, 0, inside, NOW));
      assertEquals(((SnapshotPosition) inside).manifestName(), e.expected());
      assertEquals(f.manifest(0).name(), e.present());
      assertTrue(e.getMessage().contains("hard-linked"), e.getMessage());
    }
  }

  @Test
  void aPurgedBinlogPositionAndAMemoryTableAreRefused() throws IOException {
    try (TabletFixture f = schema(root).partitions(1).build()) {
      Random rnd = new Random(5);
      for (int i = 0; i < 30; i++) {
        f.put(row(rnd, i));
      }
      f.rollBinlog(0);
      f.put(row(rnd, 30));
      f.snapshot(0);
      f.rollBinlog(0);
      f.put(row(rnd, 31));
      assertEquals(2, f.purgeBinlogsBefore(0));
      assertEquals(1, BinlogFiles.scan(f.binlogDir(0)).size());
      IOException e = assertThrows(IOException.class, () -> PartitionReader.open(f.snapshotDir(0), f.binlogDir(0),
          f.tableInfo(), 2, 0, new BinlogPosition(5), NOW).next());
      assertTrue(e.getMessage().contains("5"), e.getMessage());
    }
    try (TabletFixture m = schema(root.resolve("mem")).tid(8).storageMode(Common.StorageMode.kMemory).build()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PartitionReader.open(
          m.snapshotDir(0), m.binlogDir(0), m.tableInfo(), 0, 0, Position.start(), NOW));
      assertTrue(e.getMessage().contains("kMemory"), e.getMessage());
    }
  }

  @Test
  void rowsOfBothSchemaVersionsAfterAlterAddColumn() throws IOException {
    try (TabletFixture f = schema(root).partitions(1).build()) {
      Random rnd = new Random(9);
      for (int i = 0; i < 10; i++) {
        f.put(row(rnd, i));
      }
      f.snapshot(0);
      f.alterAddColumn("note", Type.DataType.kString);
      for (int i = 10; i < 20; i++) {
        Object[] base = row(rnd, i);
        Object[] v = Arrays.copyOf(base, base.length + 1);
        v[base.length] = i % 2 == 0 ? "n" + i : null;
        f.put(v);
      }
      List<List<Object>> got = rows(readAll(f, 0, 0, 0, Position.start()));
      assertSameMultiset(f.expectedRows(0, 0, 0, NOW), got);
      assertEquals(10, got.stream().filter(r -> r.size() == 6).count());
      assertEquals(10, got.stream().filter(r -> r.size() == 7).count());
    }
  }

  @Test
  void indexZeroTtlAppliesToTheSnapshotOnly() throws IOException {
    Common.TTLSt latest2 = Common.TTLSt.newBuilder().setTtlType(Type.TTLType.kLatestTime).setLatTtl(2).build();
    Common.TTLSt abs60 = Common.TTLSt.newBuilder().setTtlType(Type.TTLType.kAbsoluteTime).setAbsTtl(60).build();
    int tid = 20;
    for (Common.TTLSt ttl : new Common.TTLSt[] {latest2, abs60}) {
      TabletFixtureBuilder b = TabletFixture.builder(root.resolve("ttl" + tid)).db("db1").table("ttl").tid(tid++)
          .column("user", Type.DataType.kString).column("v", Type.DataType.kInt)
          .column("ts", Type.DataType.kTimestamp)
          .index("by_user", "ts", ttl, "user").index("by_v", "ts", "v").clock(() -> NOW);
      try (TabletFixture f = b.partitions(2).build()) {
        for (int i = 0; i < 200; i++) {
          f.put("u" + i % 10, i, NOW - 7_200_000L + i * 36_000L);
        }
        f.snapshot(0);
        f.snapshot(1);
        for (int i = 0; i < 20; i++) {
          f.put("u" + i % 10, i, NOW - 7_200_000L);
        }
        for (int pid = 0; pid < 2; pid++) {
          List<Step> full = readAll(f, pid, 0, 0, Position.start());
          List<List<Object>> expected = f.expectedRows(pid, 0, 0, NOW);
          assertSameMultiset(expected, rows(full));
          assertTrue(expected.size() < 120, "TTL removed snapshot rows: " + expected.size());
          for (int k = 0; k < full.size(); k += 3) {
            assertEquals(full.subList(k + 1, full.size()), readAll(f, pid, 0, 0, full.get(k).after()));
          }
        }
      }
    }
  }
}
