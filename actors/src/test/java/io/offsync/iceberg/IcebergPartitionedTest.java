package io.offsync.iceberg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.sink.Fixtures;
import io.offsync.sink.PartitionBy;
import java.nio.file.Files;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.Test;

/**
 * A table partitioned by {@code day(at)} on the local file system: a roll's rows, in an order that keeps switching
 * days (and nulls), go to one data file per day through {@link IcebergPartWriter}'s fanout with at most 3 files
 * open, and become one append. Each data file, read on its own with Iceberg's Parquet reader, holds only rows of
 * its partition value; the table read with IcebergGenerics holds every row once.
 */
class IcebergPartitionedTest {

  private static final int ROWS = 300;

  @Test
  void oneAppendPerRollWithOneDataFilePerDayAndTheOpenFilesBounded() throws Exception {
    Configuration conf = new Configuration();
    String warehouse = Files.createTempDirectory("iceberg-partitioned").toUri().toString();
    FileSystem fs = FileSystem.get(java.net.URI.create(warehouse), conf);
    Catalog catalog = IcebergTables.catalog(IcebergSettings.DEFAULT, warehouse, conf);
    PartitionBy by = PartitionBy.parse("at:day");
    Table table = IcebergTables.open(catalog, IcebergTables.identifier("db1", "t1"),
        TableSchema.of("db1.t1", Fixtures.ALL_TYPES), s -> IcebergTables.partitionSpec(s, by), IcebergSettings.DEFAULT);
    assertEquals("[\n  1000: at_day: day(9)\n]", table.spec().toString());
    IcebergCommitter committer = new IcebergCommitter(table, 5);

    // roll 0: the writer describes its files; roll 1: committed from the files found (as after a restart)
    IcebergPartWriter first = roll(table, fs, 0, 0, ROWS / 2);
    committer.commit(mark(first, 0, 0, ROWS / 2), null, first.dataFiles());
    IcebergPartWriter second = roll(table, fs, 1, ROWS / 2, ROWS / 2);
    committer.commit(mark(second, 1, ROWS / 2, ROWS / 2));
    IcebergPartWriter uncommitted = roll(table, fs, 2, ROWS, 50);
    List<Path> deleted = committer.deleteStray(fs, "db1.t1|1|0", 1, 0, 1, Set.of());
    assertEquals(uncommitted.dataFiles().size(), deleted.size(), "only the uncommitted roll's files are stray");

    table.refresh();
    assertEquals(2, IcebergCommitter.history(table).size(), "one append per roll");
    Set<Integer> days = IcebergTestRows.assertOneDayPerFile(table, "at");
    int files = 0;
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      for (FileScanTask ignored : tasks) {
        files++;
      }
    }
    assertTrue(files > days.size(), "with 3 files open at most, the rolls split some days into several files: "
        + files + " files for " + days.size() + " days");
    assertTrue(days.contains(null) && days.size() > 3, "days: " + days);

    List<List<Object>> read = IcebergTestRows.read(table, Fixtures.ALL_TYPES);
    read.sort(Comparator.comparing(r -> (Long) r.get(0)));
    assertEquals(IcebergTestRows.expected(0, ROWS, 10), read);
  }

  /** Roll {@code seq}: rows [from, from + count) (count a multiple of 10, not of 7), 3 files open at most. */
  private static IcebergPartWriter roll(Table table, FileSystem fs, long seq, long from, long count)
      throws Exception {
    Path path = new Path(table.locationProvider().newDataLocation(IcebergCommitter.fileName(1, 0, 1, seq, "a" + seq)));
    IcebergPartWriter w = new IcebergPartWriter(table, fs, path, Fixtures.ALL_TYPES, 3);
    long blocks = count / 10; // blocks of 10 consecutive ids (about 3 h), in an order that keeps switching days
    for (long k = 0; k < count; k++) {
      w.write(Fixtures.row(from + (k / 10 * 7 % blocks) * 10 + k % 10));
    }
    w.close(null);
    return w;
  }

  private static CommitMark mark(IcebergPartWriter w, long seq, long from, long count) {
    long bytes = w.dataFiles().stream().mapToLong(DataFile::fileSizeInBytes).sum();
    String roll = new Path(w.dataFiles().get(0).location()).getParent().getParent() + "/"
        + IcebergCommitter.fileName(1, 0, 1, seq, "a" + seq);
    return new CommitMark("db1.t1|1|0", 1, 0, seq, from == 0 ? null : new BinlogPosition(from + 1),
        new BinlogPosition(from + count + 1), count, bytes, roll);
  }
}
