package io.offsync.tools;

import io.offsync.iceberg.CommitMark;
import io.offsync.iceberg.IcebergCommitter;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.hadoop.HadoopTables;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.types.Types;

/**
 * The Iceberg side of {@code bin/offsync-read}: a destination that is a Hadoop-catalog warehouse
 * ({@code <dest>/<namespace>/<table>/metadata/version-hint.text}) or one table directory. Tables are read with
 * Iceberg's own library: the current snapshot's row count, offsync's commits per partition from the snapshot
 * summaries, and the first rows through IcebergGenerics.
 */
final class IcebergListing {

  private static final String HINT = "metadata/version-hint.text";

  private IcebergListing() {}

  /** The table directories at {@code dir}: itself if it is a table, else the tables of the warehouse it is. */
  static List<Path> find(FileSystem fs, Path dir) throws IOException {
    List<Path> tables = new ArrayList<>();
    if (fs.exists(new Path(dir, HINT))) {
      tables.add(dir);
      return tables;
    }
    FileStatus[] hints = fs.globStatus(new Path(dir, "*/*/" + HINT));
    if (hints != null) {
      for (FileStatus h : hints) {
        tables.add(h.getPath().getParent().getParent());
      }
    }
    return tables;
  }

  static Table load(Configuration conf, Path table) {
    return new HadoopTables(conf).load(table.toString());
  }

  /** Rows in the table's current snapshot (from its summary; 0 for a table without snapshot). */
  static long rows(Table table) {
    Snapshot s = table.currentSnapshot();
    return s == null ? 0 : Long.parseLong(s.summary().getOrDefault("total-records", "0"));
  }

  /** Prints the table: schema, current snapshot, offsync commits per partition, the first {@code show} rows. */
  static void print(Table table, int show, PrintStream out) throws IOException {
    Snapshot current = table.currentSnapshot();
    int snapshots = 0;
    for (Snapshot ignored : table.snapshots()) {
      snapshots++;
    }
    out.printf("Iceberg table %s (%s)%n", table.location(), table.name());
    out.println("  schema: " + table.schema().columns().stream()
        .map(f -> f.name() + " " + f.type() + (f.isRequired() ? " not null" : "")).toList());
    out.println("  partition spec: " + (table.spec().isUnpartitioned() ? "unpartitioned" : table.spec().fields()));
    if (current == null) {
      out.println("  no snapshot yet");
      return;
    }
    out.printf("  %d rows, %s data files, snapshot %d of %s (%d snapshots kept)%n", rows(table),
        current.summary().getOrDefault("total-data-files", "?"), current.snapshotId(),
        Instant.ofEpochMilli(current.timestampMillis()), snapshots);
    Map<Integer, List<CommitMark>> perPid = new TreeMap<>();
    for (CommitMark m : IcebergCommitter.history(table)) {
      perPid.computeIfAbsent(m.pid(), k -> new ArrayList<>()).add(m); // newest first
    }
    perPid.forEach((pid, marks) -> out.printf("  pid %d: %d commits with %d rows in the snapshots kept; last: file %d"
        + " of %s, up to %s%n", pid, marks.size(), marks.stream().mapToLong(CommitMark::rows).sum(),
        marks.get(0).seq(), marks.get(0).subtask(), marks.get(0).next()));
    if (show <= 0) {
      return;
    }
    out.println("first rows:");
    out.println("  " + String.join(" | ", table.schema().columns().stream().map(Types.NestedField::name).toList()));
    try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
      int n = 0;
      for (Record r : records) {
        if (n++ >= show) {
          break;
        }
        List<String> cells = new ArrayList<>();
        for (int i = 0; i < r.size(); i++) {
          Object v = r.get(i);
          cells.add(v == null ? "NULL" : v instanceof OffsetDateTime t ? t.toInstant().toString() : v.toString());
        }
        out.println("  " + String.join(" | ", cells));
      }
    }
  }
}
