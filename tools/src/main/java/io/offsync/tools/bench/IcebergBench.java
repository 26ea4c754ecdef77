package io.offsync.tools.bench;

import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.offsync.iceberg.IcebergCommitter;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.io.CloseableIterable;

/**
 * The Iceberg leg of {@code bin/bench}: the same table synced in mode 0 into an Iceberg table (Hadoop catalog on
 * the same local file system, default roll settings), right after a Parquet sync in the same warm JVM, timed the
 * same way (from the create until the table's current snapshot holds every row). Prints rows/s, CPU per row, the
 * commits (one per roll) with their cost as {@link IcebergCommitter}'s commit timer saw it, and
 * {@code iceberg/parquet = 0.NN} against that Parquet sync.
 */
final class IcebergBench {

  private IcebergBench() {}

  static void run(BenchNodes nodes, Path dir, String table, long rows, SyncBench.Sync parquet) throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Metrics.globalRegistry.add(meters);
    try {
      String dest = dir.toUri().toString();
      HadoopCatalog catalog = new HadoopCatalog(new Configuration(), dest);
      String[] dbTable = table.split("\\.");
      TableIdentifier id = TableIdentifier.of(dbTable[0], dbTable[1]);
      System.gc();
      long cpu0 = Floors.cpuNanos();
      long t0 = System.nanoTime();
      nodes.create("-t", table, "-m", "0", "-d", dest, "--format", "iceberg");
      long committed = 0;
      while (committed < rows) {
        Thread.sleep(100);
        committed = totalRecords(catalog, id);
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      double cpuSecs = (Floors.cpuNanos() - cpu0) / 1e9;
      if (committed != rows) {
        throw new IllegalStateException("Iceberg table " + id + ": " + committed + " rows, " + rows + " expected");
      }
      nodes.awaitNoTask();
      Table t = catalog.loadTable(id);
      int snapshots = 0;
      for (Snapshot ignored : t.snapshots()) {
        snapshots++;
      }
      int files = 0;
      long bytes = 0;
      try (CloseableIterable<FileScanTask> tasks = t.newScan().planFiles()) {
        for (FileScanTask task : tasks) {
          files++;
          bytes += task.file().fileSizeInBytes();
        }
      }
      Timer commits = meters.find(IcebergCommitter.COMMIT_TIMER).timer();
      long n = commits == null ? 0 : commits.count();
      System.out.printf("local Iceberg table (Hadoop catalog, warm JVM, same table), load %s%n  offsync mode 0 into"
              + " Iceberg: %,d rows in %.2f s = %,.0f rows/s; %d commits (one per roll, %d snapshots), %d data files,"
              + " %,d bytes; %.1f s of CPU = %.2f CPU us/row%n  commit per roll (Iceberg append with the offsync"
              + " mark, conflicts with the other partitions' commits retried): mean %.0f ms, max %.0f ms; %.2f s"
              + " summed over the partitions, which commit in parallel%n  iceberg/parquet = %.2f (rows/s, against"
              + " the Parquet sync just before)%n",
          SyncBench.load(), rows, secs, rows / secs, n, snapshots, files, bytes, cpuSecs, cpuSecs * 1e6 / rows,
          n == 0 ? 0 : commits.mean(TimeUnit.MILLISECONDS), n == 0 ? 0 : commits.max(TimeUnit.MILLISECONDS),
          n == 0 ? 0 : commits.totalTime(TimeUnit.SECONDS), rows / secs / parquet.rowsPerSecond());
    } finally {
      Metrics.globalRegistry.remove(meters);
    }
  }

  private static long totalRecords(HadoopCatalog catalog, TableIdentifier id) {
    try {
      Snapshot s = catalog.loadTable(id).currentSnapshot();
      return s == null ? 0 : Long.parseLong(s.summary().getOrDefault("total-records", "0"));
    } catch (NoSuchTableException e) {
      return 0;
    }
  }
}
