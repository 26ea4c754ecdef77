package io.offsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com._4paradigm.openmldb.common.codec.RowView;
import com.google.protobuf.TextFormat;
import io.offsync.protocol.binlog.BinlogFile;
import io.offsync.protocol.binlog.BinlogFiles;
import io.offsync.protocol.binlog.BinlogRead;
import io.offsync.protocol.binlog.BinlogReader;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Tablet;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.partition.PartitionRead;
import io.offsync.protocol.partition.PartitionReader;
import io.offsync.protocol.position.Position;
import io.offsync.protocol.snapshot.Manifest;
import io.offsync.protocol.snapshot.SnapshotCursor;
import io.offsync.protocol.snapshot.SnapshotReader;
import io.offsync.protocol.zk.TableMetadata;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Date;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DemoTabletTest {

  @TempDir Path root;

  static long countRows(Path root, NS.TableInfo t, int pid) throws IOException {
    Path dir = root.resolve(t.getTid() + "_" + pid);
    long n = 0;
    try (PartitionReader r = PartitionReader.open(dir.resolve("snapshot"), dir.resolve("binlog"), t, 0, 0,
        Position.start(), System.currentTimeMillis())) {
      PartitionRead read;
      while (!((read = r.next()) instanceof PartitionRead.End)) {
        if (read instanceof PartitionRead.Row) {
          n++;
        }
      }
    }
    return n;
  }

  @Test
  void generatesAppendsAndRegisters() throws Exception {
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start()) {
      int rc = new CommandLine(new DemoTablet()).execute("--root", root.toString(), "--zk", zk.connectString(),
          "--zk-root", "/demo", "--db", "d", "--table", "t", "--tid", "3", "--rows", "3000", "--binlog-rows", "500",
          "--partitions", "2", "--compress", "snappy", "--endpoint", "127.0.0.1:10921");
      assertEquals(0, rc);
      NS.TableInfo t = new TableMetadata(zk.client(), "/demo").find("d", "t").orElseThrow();
      assertEquals(Type.CompressType.kSnappy, t.getCompressType());
      assertEquals("127.0.0.1:10921", TableMetadata.leaderEndpoint(t, 1));
      long snapshotRows = 0;
      long total = 0;
      for (int pid = 0; pid < 2; pid++) {
        snapshotRows += Manifest.read(root.resolve("3_" + pid).resolve("snapshot").resolve("MANIFEST")).count();
        total += countRows(root, t, pid);
      }
      assertEquals(2500, snapshotRows);
      assertEquals(3000, total);

      rc = new CommandLine(new DemoTablet()).execute("--root", root.toString(), "--tid", "3", "--rows", "700",
          "--append");
      assertEquals(0, rc);
      long after = countRows(root, t, 0) + countRows(root, t, 1);
      assertEquals(3700, after);
      assertTrue(rc == 0);
    }
  }

  /**
   * The bulk path (rows sorted in Java and ingested as SST files) leaves the table the put path leaves (one RocksDB
   * write per row, as a tablet): per partition the same MANIFEST, binlog files and entries (but for LogEntry.ts, the
   * put time), and the same index-0 keys and rows in the snapshot and in the live DB; every row decodes alike with
   * offsync's codec and OpenMLDB's RowView.
   */
  @Test
  void bulkGenerationLeavesTheTableThatPutGenerationLeaves() throws Exception {
    Path put = root.resolve("put");
    Path bulk = root.resolve("bulk");
    for (Path r : List.of(put, bulk)) {
      int rc = new CommandLine(new DemoTablet()).execute("--root", r.toString(), "--rows", "2500", "--binlog-rows",
          "400", "--partitions", "2", "--compress", "snappy", "--seed", "9", "--live-writes",
          r == put ? "put" : "bulk");
      assertEquals(0, rc);
    }
    {
      NS.TableInfo table = tableInfo(bulk.resolve("1_0"));
      TableSchema schema = TableSchema.of(table);
      List<com._4paradigm.openmldb.proto.Common.ColumnDesc> descs = new ArrayList<>();
      for (Common.ColumnDesc d : table.getColumnDescList()) {
        descs.add(com._4paradigm.openmldb.proto.Common.ColumnDesc.parseFrom(d.toByteArray()));
      }
      long rows = 0;
      for (int pid = 0; pid < 2; pid++) {
        Path a = put.resolve("1_" + pid);
        Path b = bulk.resolve("1_" + pid);
        Manifest ma = Manifest.read(a.resolve("snapshot").resolve(Manifest.FILE_NAME));
        Manifest mb = Manifest.read(b.resolve("snapshot").resolve(Manifest.FILE_NAME));
        assertEquals(List.of(ma.offset(), ma.count(), ma.term()), List.of(mb.offset(), mb.count(), mb.term()));
        assertEquals(binlogFiles(a), binlogFiles(b));
        assertEquals(binlogEntries(a), binlogEntries(b));
        List<String> snapshot = index0(a.resolve("snapshot").resolve(ma.name()), table);
        assertEquals(snapshot, index0(b.resolve("snapshot").resolve(mb.name()), table));
        assertEquals(ma.count(), snapshot.size());
        assertEquals(index0(a.resolve("data"), table), index0(b.resolve("data"), table));
        try (SnapshotReader r = SnapshotReader.open(b.resolve("snapshot").resolve(mb.name()), table);
             SnapshotCursor c = r.cursor(null, System.currentTimeMillis())) {
          RowView view = new RowView(descs);
          while (c.next()) {
            byte[] row = c.row();
            view.reset(ByteBuffer.wrap(row).order(ByteOrder.LITTLE_ENDIAN), row.length);
            Object[] ours = RowCodec.decode(schema, row, 0);
            for (int i = 0; i < descs.size(); i++) {
              Object theirs = view.getValue(i, descs.get(i).getDataType());
              Object expected = theirs instanceof Timestamp t ? (Object) t.getTime()
                  : theirs instanceof Date d ? d.toLocalDate() : theirs;
              assertEquals(expected, ours[i], "column " + i + " of row " + Arrays.toString(ours));
            }
            rows++;
          }
        }
      }
      assertEquals(2100, rows, "snapshot rows of both partitions");
    }
  }

  private static NS.TableInfo tableInfo(Path partition) throws IOException {
    Tablet.TableMeta.Builder m = Tablet.TableMeta.newBuilder();
    TextFormat.getParser().merge(Files.readString(partition.resolve("table_meta.txt")), m);
    return NS.TableInfo.newBuilder().setTid(m.getTid()).setName(m.getName()).setDb(m.getDb())
        .setCompressType(m.getCompressType()).setStorageMode(m.getStorageMode()).addAllColumnDesc(m.getColumnDescList())
        .addAllColumnKey(m.getColumnKeyList()).build();
  }

  private static List<String> binlogFiles(Path partition) throws IOException {
    List<String> names = new ArrayList<>();
    for (BinlogFile f : BinlogFiles.scan(partition.resolve("binlog"))) {
      names.add(f.path().getFileName() + "@" + f.firstLogIndex() + ":" + Files.size(f.path()));
    }
    return names;
  }

  /** Every binlog entry from log index 1 on, without its ts (the put time, from the clock). */
  private static List<Tablet.LogEntry> binlogEntries(Path partition) throws IOException {
    List<Tablet.LogEntry> entries = new ArrayList<>();
    try (BinlogReader r = BinlogReader.open(partition.resolve("binlog"), 1, true)) {
      BinlogRead read;
      while ((read = r.next()) instanceof BinlogRead.Entry e) {
        entries.add(e.entry().toBuilder().clearTs().build());
      }
    }
    return entries;
  }

  /** Index 0's keys and rows of a checkpoint or live DB, in key order, hex. */
  private static List<String> index0(Path db, NS.TableInfo table) throws IOException {
    List<String> out = new ArrayList<>();
    try (SnapshotReader r = SnapshotReader.open(db, table);
         SnapshotCursor c = r.cursor(null, System.currentTimeMillis())) {
      while (c.next()) {
        out.add(HexFormat.of().formatHex(c.key()) + "=" + HexFormat.of().formatHex(c.row()));
      }
    }
    return out;
  }
}
