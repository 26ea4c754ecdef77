package io.offsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com._4paradigm.openmldb.common.codec.RowView;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.partition.PartitionRead;
import io.offsync.protocol.partition.PartitionReader;
import io.offsync.protocol.partition.SnapshotChangedException;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import io.offsync.protocol.position.SnapshotPosition;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.sql.Date;
import java.sql.Timestamp;
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
 * Issue 9: a live tablet's checkpoint holds entries past {@code MANIFEST.offset} (TabletFixture.snapshot(pid, K)),
 * and every row still comes out exactly once: overlaps of 0, 1 and many entries, different per partition, with
 * deletes, overwrites and snappy values inside the overlap, a shared column family and a latest-N TTL, in modes 0, 1
 * and 2, resumed from every position in and around the overlap. Rows are checked value by value against the
 * fixture's model, decoded by OpenMLDB's own {@code RowView} (openmldb-common) as well as offsync's codec.
 */
class SnapshotOverlapTest {

  static final long NOW = 1_790_000_000_000L;

  @TempDir Path root;

  record Step(List<Object> row, Position after) {}

  /** Table A: snappy, three indexes in three column families. */
  static TabletFixture snappyTable(Path root) {
    return TabletFixture.builder(root).db("db1").table("events").tid(31).partitions(4)
        .compressType(Type.CompressType.kSnappy)
        .column("id", Type.DataType.kBigInt).column("user", Type.DataType.kString)
        .column("item", Type.DataType.kInt).column("price", Type.DataType.kDouble)
        .column("ts", Type.DataType.kTimestamp).column("day", Type.DataType.kDate).column("ok", Type.DataType.kBool)
        .index("by_user", "ts", "user").index("by_item", "ts", "item").index("by_user_item", null, "user", "item")
        .clock(() -> NOW).build();
  }

  /** Table B: index 0 with a latest-2 TTL sharing its column family with an index on the put time. */
  static TabletFixture sharedFamilyTable(Path root) {
    Common.TTLSt latest2 = Common.TTLSt.newBuilder().setTtlType(Type.TTLType.kLatestTime).setLatTtl(2).build();
    return TabletFixture.builder(root).db("db1").table("shared").tid(32).partitions(3)
        .column("id", Type.DataType.kBigInt).column("user", Type.DataType.kString)
        .column("item", Type.DataType.kInt).column("price", Type.DataType.kDouble)
        .column("ts", Type.DataType.kTimestamp).column("day", Type.DataType.kDate).column("ok", Type.DataType.kBool)
        .index("by_user", "ts", latest2, "user").index("by_user_put", null, "user")
        .clock(() -> NOW).build();
  }

  static Object[] row(Random rnd, long id, int users) {
    return new Object[] {id, "u" + rnd.nextInt(users), rnd.nextInt(25), id * 0.25,
        NOW - 10_000_000L + id * 1000L + rnd.nextInt(1000), LocalDate.of(2024, 1 + (int) (id % 12), 1),
        id % 3 == 0 ? null : id % 2 == 0};
  }

  /**
   * Writes a table as a tablet under load leaves it: rows and deletes, a snapshot per partition whose checkpoint
   * holds {@code overlaps[pid]} entries past its offset (deletes and an overwrite among them), then the binlog
   * after it.
   */
  static void write(TabletFixture f, long[] overlaps, int users) {
    Random rnd = new Random(9);
    long id = 0;
    for (; id < 600; id++) {
      f.put(row(rnd, id, users));
    }
    for (int pid = 0; pid < f.partitionCount(); pid++) {
      f.rollBinlog(pid);
    }
    // the last entries before the snapshot: puts, deletes of index 0 and index 1, an overwrite of (key, ts)
    for (; id < 900; id++) {
      Object[] v = row(rnd, id, users);
      f.put(v);
      if (id % 40 == 0) {
        f.delete(0, "u" + rnd.nextInt(users));
      }
      if (id % 97 == 0) {
        f.delete(1, Integer.toString(rnd.nextInt(25)));
      }
      if (id % 33 == 0) {
        Object[] overwrite = v.clone();
        overwrite[3] = -1.0 * id; // same key and ts, another value
        f.put(overwrite);
      }
    }
    for (int pid = 0; pid < f.partitionCount(); pid++) {
      f.snapshot(pid, overlaps[pid]);
    }
    for (; id < 1100; id++) {
      f.put(row(rnd, id, users));
      if (id % 45 == 0) {
        f.delete(0, "u" + rnd.nextInt(users));
      }
    }
  }

  static List<Step> read(TabletFixture f, int pid, int mode, long startTs, Position from) throws IOException {
    TableSchema schema = TableSchema.of(f.tableInfo());
    List<Step> steps = new ArrayList<>();
    try (PartitionReader r = PartitionReader.open(f.snapshotDir(pid), f.binlogDir(pid), f.tableInfo(), mode,
        startTs, from, NOW)) {
      while (true) {
        PartitionRead read = r.next();
        if (read instanceof PartitionRead.End || read instanceof PartitionRead.CaughtUp) {
          assertEquals(mode == 0, read instanceof PartitionRead.End, "mode " + mode + " stops with " + read);
          return steps;
        }
        List<Object> row = null;
        if (read instanceof PartitionRead.Row rr) {
          row = Arrays.asList(RowCodec.decode(schema, rr.row(), 0));
          assertEquals(row, official(f.tableInfo(), rr.row()), "OpenMLDB's RowView reads the same row");
        }
        steps.add(new Step(row, read.after()));
      }
    }
  }

  /** The row as OpenMLDB's published Java codec decodes it, in offsync's Java types. */
  static List<Object> official(NS.TableInfo table, byte[] row) {
    List<com._4paradigm.openmldb.proto.Common.ColumnDesc> descs = new ArrayList<>();
    for (Common.ColumnDesc c : table.getColumnDescList()) {
      descs.add(com._4paradigm.openmldb.proto.Common.ColumnDesc.newBuilder().setName(c.getName())
          .setDataType(com._4paradigm.openmldb.proto.Type.DataType.valueOf(c.getDataType().name())).build());
    }
    try {
      Object[] raw = new RowView(descs).read(ByteBuffer.wrap(row).order(ByteOrder.LITTLE_ENDIAN));
      List<Object> out = new ArrayList<>();
      for (Object v : raw) {
        out.add(v instanceof Timestamp t ? (Object) t.getTime() : v instanceof Date d ? d.toLocalDate() : v);
      }
      return out;
    } catch (Exception e) {
      throw new AssertionError("RowView cannot read the row: " + e, e);
    }
  }

  static List<List<Object>> rows(List<Step> steps) {
    return steps.stream().filter(s -> s.row() != null).map(Step::row).toList();
  }

  static Map<List<Object>, Integer> multiset(List<List<Object>> rows) {
    Map<List<Object>, Integer> m = new HashMap<>();
    rows.forEach(r -> m.merge(r, 1, Integer::sum));
    return m;
  }

  static void assertExactlyOnce(List<List<Object>> expected, List<List<Object>> got, String what) {
    assertEquals(multiset(expected), multiset(got), what);
    assertEquals(expected.size(), got.size(), what);
    assertEquals(got.size(), multiset(got).size(), what + ": every written row is unique, so none may repeat");
  }

  /** Steps from the hand-over (3 before) to 3 after the overlap closed: every one is resumed from. */
  static int[] aroundOverlap(List<Step> steps) {
    int handOver = -1;
    int closed = steps.size() - 1;
    for (int k = 0; k < steps.size(); k++) {
      Position p = steps.get(k).after();
      if (handOver < 0 && p instanceof BinlogPosition) {
        handOver = k;
      }
      if (handOver >= 0 && p instanceof BinlogPosition b && !b.inOverlap()) {
        closed = k;
        break;
      }
    }
    assertTrue(handOver >= 0, "the read reaches the binlog");
    return new int[] {Math.max(0, handOver - 3), Math.min(steps.size() - 1, closed + 3)};
  }

  void checkEveryPartition(TabletFixture f, long[] overlaps) throws IOException {
    long startTs = NOW - 10_000_000L + 700 * 1000L; // mode 1: keeps part of the snapshot and the overlap
    for (int pid = 0; pid < f.partitionCount(); pid++) {
      for (int mode = 0; mode <= 2; mode++) {
        long ts = mode == 1 ? startTs : 0;
        String what = "partition " + pid + " (overlap " + overlaps[pid] + ") mode " + mode;
        List<Step> full = read(f, pid, mode, ts, Position.start());
        assertExactlyOnce(f.expectedRows(pid, mode, ts, NOW), rows(full), what);
        if (mode == 2) {
          continue; // mode 2 reads exactly what mode 0 reads here (the binlog is not written on)
        }
        int[] range = aroundOverlap(full);
        for (int k = range[0]; k <= range[1]; k++) {
          List<Step> rest = read(f, pid, mode, ts, full.get(k).after());
          assertEquals(full.subList(k + 1, full.size()), rest, what + ": resumed at step " + k + " "
              + full.get(k).after());
        }
      }
    }
  }

  @Test
  void snappyTableWithOverlapsOfZeroOneAndManyEntriesPerPartition() throws IOException {
    try (TabletFixture f = snappyTable(root)) {
      long[] overlaps = {0, 1, 57, 180};
      write(f, overlaps, 40);
      checkEveryPartition(f, overlaps);
    }
  }

  @Test
  void sharedColumnFamilyAndLatestTtlWithOverlaps() throws IOException {
    try (TabletFixture f = sharedFamilyTable(root)) {
      long[] overlaps = {3, 64, 150};
      write(f, overlaps, 30);
      checkEveryPartition(f, overlaps);
    }
  }

  @Test
  void withoutTheOverlapCheckTheHeldRowsComeTwice() throws IOException {
    try (TabletFixture f = snappyTable(root)) {
      long[] overlaps = {40, 40, 40, 40};
      write(f, overlaps, 40);
      for (int pid = 0; pid < 4; pid++) {
        List<List<Object>> expected = f.expectedRows(pid, 0, 0, NOW);
        List<List<Object>> got = new ArrayList<>();
        TableSchema schema = TableSchema.of(f.tableInfo());
        try (PartitionReader r = PartitionReader.open(f.snapshotDir(pid), f.binlogDir(pid), f.tableInfo(), 0, 0,
            Position.start(), NOW, true, 0)) {
          PartitionRead read;
          while (!((read = r.next()) instanceof PartitionRead.End)) {
            if (read instanceof PartitionRead.Row rr) {
              got.add(Arrays.asList(RowCodec.decode(schema, rr.row(), 0)));
            }
          }
        }
        assertTrue(got.size() > expected.size(), "window 0 repeats the overlap's rows (the original's duplicate)");
        assertEquals(multiset(expected).keySet(), multiset(got).keySet());
      }
    }
  }

  @Test
  void anIdenticalPutInsideTheOverlapIsSentOnce() throws IOException {
    try (TabletFixture f = TabletFixture.builder(root).tid(33).column("user", Type.DataType.kString)
        .column("v", Type.DataType.kInt).column("ts", Type.DataType.kTimestamp).index("by_user", "ts", "user")
        .clock(() -> NOW).build()) {
      for (int i = 0; i < 10; i++) {
        if (i != 3) {
          f.put("u" + i, i, NOW + i);
        }
      }
      f.put("u3", 3, NOW + 3);
      f.put("u3", 3, NOW + 3); // the same row again: an overwrite that leaves the table unchanged
      f.put("u10", 10, NOW + 10);
      f.snapshot(0, 3);
      f.put("u11", 11, NOW + 11);
      List<List<Object>> got = rows(read(f, 0, 0, 0, Position.start()));
      // the table holds u0..u11 once each; the model counts the repeated put as a binlog row as well
      assertEquals(12, got.size());
      assertEquals(12, multiset(got).size());
      assertEquals(13, f.expectedRows(0, 0, 0, NOW).size());
    }
  }

  @Test
  void aPositionInsideAnOverlapNeedsItsCheckpoint() throws IOException {
    try (TabletFixture f = snappyTable(root)) {
      long[] overlaps = {20, 20, 20, 20};
      write(f, overlaps, 40);
      List<Step> full = read(f, 1, 0, 0, Position.start());
      BinlogPosition inside = full.stream().map(Step::after).filter(p -> p instanceof BinlogPosition b
          && b.inOverlap()).map(BinlogPosition.class::cast).findFirst().orElseThrow();
      assertEquals(f.manifest(1).name(), inside.overlap().manifestName());
      assertEquals(f.manifest(1).offset(), inside.overlap().manifestOffset());
      f.put(row(new Random(1), 5000, 40));
      f.snapshot(1);
      SnapshotChangedException e = assertThrows(SnapshotChangedException.class, () -> PartitionReader.open(
          f.snapshotDir(1), f.binlogDir(1), f.tableInfo(), 0, 0, inside, NOW).close());
      assertEquals(inside.overlap().manifestName(), e.expected());
      // a plain binlog position of the same index opens (and compares nothing)
      PartitionReader.open(f.snapshotDir(1), f.binlogDir(1), f.tableInfo(), 0, 0,
          new BinlogPosition(inside.nextLogIndex()), NOW).close();
      assertInstanceOf(SnapshotPosition.class, full.get(0).after());
    }
  }
}
