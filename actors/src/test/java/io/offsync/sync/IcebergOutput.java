package io.offsync.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.iceberg.CommitMark;
import io.offsync.iceberg.IcebergCommitter;
import io.offsync.testkit.TabletFixture;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.io.CloseableIterable;

/** An end-to-end test's Iceberg table, read back with Iceberg's own catalog and reader (IcebergGenerics). */
final class IcebergOutput {

  private IcebergOutput() {}

  /** Table {@code db1.<name>} of the Hadoop catalog at {@code warehouse}. */
  static Table table(Configuration conf, String warehouse, String name) {
    HadoopCatalog catalog = new HadoopCatalog(conf, warehouse);
    return catalog.loadTable(TableIdentifier.of("db1", name));
  }

  /** The ids (column {@code id}) of every row in the table's current snapshot. */
  static List<Long> ids(Table table) throws Exception {
    table.refresh();
    List<Long> ids = new ArrayList<>();
    try (CloseableIterable<Record> rows = IcebergGenerics.read(table).select("id").build()) {
      for (Record r : rows) {
        ids.add((Long) r.getField("id"));
      }
    }
    return ids;
  }

  /**
   * The table holds exactly the rows a sync of every partition of {@code f} must produce (multiset of ids), each
   * offsync commit appears once per (subtask, seq), and the rows the commits of each partition record add up to
   * that partition's expected count.
   */
  static void assertExactlyOnce(Configuration conf, String warehouse, TabletFixture f, int mode, long startTs)
      throws Exception {
    assertExactlyOnce(table(conf, warehouse, f.tableInfo().getName()), f, mode, startTs);
  }

  /** {@link #assertExactlyOnce(Configuration, String, TabletFixture, int, long)} of a table however loaded. */
  static void assertExactlyOnce(Table table, TabletFixture f, int mode, long startTs) throws Exception {
    List<Long> expected = new ArrayList<>();
    Map<Integer, Long> expectedPerPid = new HashMap<>();
    for (int pid = 0; pid < f.partitionCount(); pid++) {
      List<Long> ids = Tablets.expectedIds(f, pid, mode, startTs);
      expected.addAll(ids);
      expectedPerPid.put(pid, (long) ids.size());
    }
    List<Long> actual = ids(table);
    assertEquals(expected.stream().sorted().toList(), actual.stream().sorted().toList(),
        "rows of Iceberg table " + table.name());
    Set<String> seen = new HashSet<>();
    Map<Integer, Long> rowsPerPid = new HashMap<>();
    for (CommitMark m : IcebergCommitter.history(table)) {
      assertTrue(seen.add(m.subtask() + "#" + m.seq()), "committed twice: " + m);
      rowsPerPid.merge(m.pid(), m.rows(), Long::sum);
    }
    expectedPerPid.values().removeIf(n -> n == 0);
    assertEquals(expectedPerPid, rowsPerPid, "rows per partition recorded in the snapshot summaries");
  }

  /** How many offsync commits of partition {@code pid} the table's history holds. */
  static long commits(Configuration conf, String warehouse, String name, int pid) {
    return IcebergCommitter.history(table(conf, warehouse, name)).stream().filter(m -> m.pid() == pid).count();
  }

  /** Files under the table's data directory that its current snapshot does not reference. */
  static List<String> unreferencedDataFiles(Configuration conf, String warehouse, String name) throws Exception {
    Table table = table(conf, warehouse, name);
    Set<String> referenced = new HashSet<>();
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      for (FileScanTask t : tasks) {
        referenced.add(new Path(t.file().location()).toUri().getPath());
      }
    }
    Path data = new Path(table.location(), "data");
    FileSystem fs = data.getFileSystem(conf);
    List<String> stray = new ArrayList<>();
    if (fs.exists(data)) {
      RemoteIterator<LocatedFileStatus> files = fs.listFiles(data, true);
      while (files.hasNext()) {
        String p = files.next().getPath().toUri().getPath();
        if (!referenced.contains(p) && !p.endsWith(".crc")) {
          stray.add(p);
        }
      }
    }
    return stray;
  }
}
