package io.offsync.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.iceberg.CommitMark;
import io.offsync.iceberg.IcebergCommitter;
import io.offsync.iceberg.IcebergPartWriter;
import io.offsync.iceberg.IcebergSettings;
import io.offsync.iceberg.IcebergTables;
import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.ColumnType;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.position.BinlogPosition;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Table;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code bin/offsync-read} on a warehouse and on a table directory of format iceberg. */
class ReadOutputIcebergTest {

  @TempDir Path tmp;

  @Test
  void listsTheTablesOfAWarehouseWithTheirCommitsAndRows() throws Exception {
    String warehouse = tmp.toUri().toString();
    Configuration conf = new Configuration();
    List<Column> cols = List.of(new Column("id", ColumnType.BIGINT, true), Column.of("at", ColumnType.TIMESTAMP));
    Table table = IcebergTables.open(
        IcebergTables.catalog(IcebergSettings.DEFAULT, warehouse, conf),
        IcebergTables.identifier("db1", "t1"), TableSchema.of("db1.t1", cols),
        s -> PartitionSpec.unpartitioned(), IcebergSettings.DEFAULT);
    IcebergCommitter committer = new IcebergCommitter(table, 3);
    FileSystem fs = FileSystem.getLocal(conf);
    for (int pid = 0; pid < 2; pid++) {
      org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(table.locationProvider().newDataLocation(
          IcebergCommitter.fileName(1, pid, 1, 0, "r")));
      IcebergPartWriter w = new IcebergPartWriter(table, fs, path, cols);
      for (long i = 0; i < 3 + pid; i++) {
        w.write(new Object[] {pid * 100 + i, 1_700_000_000_000L + i});
      }
      long bytes = w.close(null);
      committer.commit(new CommitMark("db1.t1|1|" + pid, 1, pid, 0, null, new BinlogPosition(4 + pid), 3 + pid,
          bytes, path.toString()));
    }

    String out = run(warehouse, "-n", "2");
    assertTrue(out.contains("Iceberg table " + warehouse + "db1/t1"), out);
    assertTrue(out.contains("7 rows, 2 data files"), out);
    assertTrue(out.contains("pid 0: 1 commits with 3 rows"), out);
    assertTrue(out.contains("pid 1: 1 commits with 4 rows"), out);
    assertTrue(out.contains("id | at"), out);
    assertTrue(out.contains("2023-11-14T22:13:20"), out);
    assertEquals("7\n", run(warehouse, "--count"));
    assertEquals("7\n", run(table.location(), "--count"));
  }

  /** Runs {@code bin/offsync-read} with {@code args}, expecting exit code 0; returns what it printed. */
  static String run(String... args) {
    PrintStream saved = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, new CommandLine(new ReadOutput()).execute(args));
    } finally {
      System.setOut(saved);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }
}
