package io.offsync.tools.bench;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * {@code bin/bench --sweep}: one mode-0 sync into a local directory per table size, tables of
 * {@code --sweep-partitions} partitions at {@code --rows} rows and of {@code --sweep-rows} rows at
 * {@code --partitions} partitions (each generated once under {@code <dir>/sweep/}, reused later), with fresh nodes per
 * table in this JVM; the first table is synced twice and its first (cold JVM) sync is left out. Prints one table
 * line per size as it is measured: rows/s, seconds per million rows (flat = time linear in rows), peak heap in use
 * (garbage included) and the live heap: the same table synced once more, untimed, with {@link HeapProbe}'s full GC
 * every 300 ms (flat = memory independent of the table's size).
 */
final class Sweep {

  private final SyncBench bench;
  private final String zk;

  Sweep(SyncBench bench, String zk) {
    this.bench = bench;
    this.zk = zk;
  }

  void run() throws Exception {
    Set<List<Long>> points = new LinkedHashSet<>();
    for (int p : bench.sweepPartitions) {
      points.add(List.of(bench.rows, (long) p));
    }
    for (long r : bench.sweepRows) {
      points.add(List.of(r, (long) bench.partitions));
    }
    System.out.printf("sweep: mode-0 sync into a local directory, warm JVM, -Xmx %d MB, %d cores, one sync per"
        + " table%n", Runtime.getRuntime().maxMemory() >> 20, Runtime.getRuntime().availableProcessors());
    System.out.printf("%12s %10s %10s %12s %11s %14s %13s %s%n", "rows", "partitions", "seconds", "rows/s",
        "s/M rows", "peak heap MB", "live MB", "load (generation)");
    System.out.println("(peak heap: in use, garbage included, sampled every 100 ms; live: the most after a full GC,"
        + " forced every 300 ms during a second, untimed sync of the same table)");
    FileSystem local = FileSystem.getLocal(new Configuration());
    boolean warmedUp = false;
    for (List<Long> point : points) {
      long rows = point.get(0);
      int partitions = point.get(1).intValue();
      Path tablet = bench.dir.resolve("sweep").resolve("tablet-" + rows + "x" + partitions);
      BenchTable table = BenchTable.generate(tablet, zk, 1, "demo_table", rows, partitions);
      Path run = bench.dir.resolve("sweep").resolve("run-" + System.currentTimeMillis());
      try (BenchNodes nodes = BenchNodes.start(zk, tablet, run, false)) {
        if (!warmedUp) {
          bench.sync(nodes, local, new org.apache.hadoop.fs.Path(run.resolve("warm-up").toUri()),
              "demo_db.demo_table", rows, false);
          BenchTable.deleteRecursively(run.resolve("warm-up"));
          warmedUp = true;
        }
        SyncBench.Sync s = bench.sync(nodes, local, new org.apache.hadoop.fs.Path(run.resolve("out").toUri()),
            "demo_db.demo_table", rows, false);
        BenchTable.deleteRecursively(run.resolve("out"));
        SyncBench.Sync live = bench.sync(nodes, local,
            new org.apache.hadoop.fs.Path(run.resolve("out-live").toUri()), "demo_db.demo_table", rows, true);
        System.out.printf("%,12d %10d %10.1f %,12.0f %11.2f %14d %13s %s (%s)%n", rows, partitions, s.seconds(),
            s.rowsPerSecond(), s.seconds() / (rows / 1e6), s.peakHeap() >> 20,
            live.peakLive() < 0 ? "n/a" : String.valueOf(live.peakLive() >> 20),
            SyncBench.load(), table.generation());
      } finally {
        BenchTable.deleteRecursively(run);
      }
    }
  }
}
