package io.offsync.tools.bench;

import io.offsync.testkit.EmbeddedZooKeeper;
import io.offsync.testkit.MiniHdfs;
import io.offsync.testkit.TabletFixture;
import io.offsync.tools.OutputFiles;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * End-to-end benchmark (not a test): generates a demo OpenMLDB table (N rows, 90% in the RocksDB snapshot, 10% in
 * the binlog) in a child JVM, runs a collector and a synctool node in this JVM on an embedded ZooKeeper and an H2
 * journal, and syncs the table in mode 0 (journaled commits, exactly once, default roll settings) into a local
 * directory, first in this cold JVM, then into a MiniDFSCluster, then {@code --warm-runs} times locally in the warm
 * JVM; after the first warm run the same table goes into an Iceberg table ({@link IcebergBench}: rows/s, commit
 * cost per roll, {@code iceberg/parquet = 0.NN}). Next to each sync it measures, in the same run, the floors of {@link Floors}: DuckDB writing the same rows as
 * Parquet, the read floor (our readers, no decode, no write), and the raw copy of the table's files into the same
 * file system; it prints each as a ratio {@code offsync/duckdb = 0.NN}, {@code offsync/read-floor = 0.NN},
 * {@code offsync/raw = 0.NN}, then the medians of the warm runs and {@code cold/warm = 0.NN}. Then continuous-mode
 * latency: a mode-2 task on a small second table, single rows appended to its binlog, time until the row is in a
 * committed file. Each figure line carries the machine's load average: absolute figures on a shared machine are noisy,
 * ratios measured side by side less so.
 *
 * <p>{@code --sweep} instead syncs tables of 1, 2, 4, 8, 16 partitions (at {@code --rows}) and of 1 M, 5 M, 10 M rows
 * (at {@code --partitions}) once each in the warm JVM and prints rows/s and peak heap as a table.
 *
 * <p>{@code bin/bench} runs the JVM with {@code -Xmx512m}, so finishing at all shows the heap bound.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "offsync end-to-end benchmark")
public final class SyncBench implements Callable<Integer> {

  @Option(names = "--rows", defaultValue = "2000000", description = "rows of the table (default ${DEFAULT-VALUE})")
  long rows;

  @Option(names = "--partitions", defaultValue = "4", description = "partitions (default ${DEFAULT-VALUE})")
  int partitions;

  @Option(names = "--dir", defaultValue = "target/bench", description = "work directory (default ${DEFAULT-VALUE});"
      + " a table generated there before with the same --rows/--partitions is reused")
  Path dir;

  @Option(names = "--no-hdfs", description = "skip the MiniDFSCluster target")
  boolean noHdfs;

  @Option(names = "--tls", description = "TLS between the collector and the synctool (Artery tls-tcp, as"
      + " cluster.tls.* sets it; key and trust stores made with keytool under --dir)")
  boolean tls;

  @Option(names = "--warm-runs", defaultValue = "3", description = "warm local syncs, each with its floors; medians "
      + "are reported (default ${DEFAULT-VALUE})")
  int warmRuns;

  @Option(names = "--latency-samples", defaultValue = "5", description = "appends timed in continuous mode")
  int latencySamples;

  @Option(names = "--roll-idle", defaultValue = "1", description = "continuous mode: roll after this many idle "
      + "seconds (default ${DEFAULT-VALUE})")
  int rollIdle;

  @Option(names = "--sweep", description = "rows/s and peak heap over partitions and table sizes, as a table")
  boolean sweep;

  @Option(names = "--sweep-partitions", split = ",", defaultValue = "1,2,4,8,16",
      description = "--sweep: partition counts, at --rows rows (default ${DEFAULT-VALUE})")
  List<Integer> sweepPartitions;

  @Option(names = "--sweep-rows", split = ",", defaultValue = "1000000,5000000,10000000",
      description = "--sweep: table sizes, at --partitions partitions (default ${DEFAULT-VALUE})")
  List<Long> sweepRows;

  private HeapProbe heap;

  /**
   * One mode-0 sync as measured; heap figures as {@link HeapProbe} takes them ({@code peakLive} -1 unless probed),
   * {@code threads} its CPU time by kind of thread ({@link ThreadCpu}).
   */
  record Sync(long rows, double seconds, double cpuSeconds, int files, long outBytes, long peakHeap, long peakAfterGc,
      long peakLive, String threads) {
    double rowsPerSecond() {
      return rows / seconds;
    }
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new SyncBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    dir = dir.toAbsolutePath();
    heap = new HeapProbe();
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start()) {
      if (sweep) {
        new Sweep(this, zk.connectString()).run();
        return 0;
      }
      Path tablet = dir.resolve("tablet-" + rows + "x" + partitions);
      BenchTable table = BenchTable.generate(tablet, zk.connectString(), 1, "demo_table", rows, partitions);
      System.out.println("between the nodes: " + (tls ? "TLS (Artery tls-tcp)" : "plain TCP"));
      System.out.printf("table: %,d rows, %d partitions, %,d bytes on the tablet (snapshot + binlog, %d files),"
              + " %.0f bytes/row; generation: %s%n", rows, partitions, table.bytes(), table.files().size(),
          (double) table.bytes() / rows, table.generation());
      BenchTable.deleteRecursively(tablet.resolve("2_0"));
      Files.deleteIfExists(tablet.resolve("generated-2"));
      BenchTable.generate(tablet, zk.connectString(), 2, "latency_table", 1000, 1);
      Path run = dir.resolve("run-" + System.currentTimeMillis());
      long start0 = System.nanoTime();
      ThreadCpu startCpu0 = ThreadCpu.now();
      try (BenchNodes nodes = BenchNodes.start(zk.connectString(), tablet, run, tls)) {
        ThreadCpu startCpu = ThreadCpu.now();
        System.out.printf("nodes started and ready in %.2f s (as bin/start.sh waits for them; not in the cold"
            + " figure), %.1f s of CPU (%s)%n", (System.nanoTime() - start0) / 1e9,
            startCpu.totalNanos(startCpu0) / 1e9, startCpu.describe(startCpu0));
        FileSystem local = FileSystem.getLocal(new Configuration());
        org.apache.hadoop.fs.Path coldOut = new org.apache.hadoop.fs.Path(run.resolve("out-cold").toUri());
        Sync cold = sync(nodes, local, coldOut);
        print("local (cold JVM)", cold, table);
        try (Floors floors = Floors.load(run.resolve("out-cold").toString() + "/*.parquet")) {
          if (floors.rows() != rows) {
            throw new IllegalStateException("DuckDB read " + floors.rows() + " rows of the output, " + rows
                + " expected");
          }
          measured(floors, table, local, run, "out-cold", cold);
          if (!noHdfs) {
            try (MiniHdfs hdfs = MiniHdfs.start(1, run.resolve("minidfs"))) {
              FileSystem fs = hdfs.fileSystem();
              org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(hdfs.uri().toString() + "/bench/out");
              Sync s = sync(nodes, fs, out);
              print("hdfs (MiniDFSCluster)", s, table);
              Floors.Run raw = Floors.rawCopy(table.files(), fs, new org.apache.hadoop.fs.Path(out + "-raw"));
              printRaw(s, raw);
            }
          }
          List<Sync> warm = new ArrayList<>();
          List<Floors.Run[]> warmFloors = new ArrayList<>();
          for (int i = 1; i <= warmRuns; i++) {
            String name = "out-warm-" + i;
            Sync s = sync(nodes, local, new org.apache.hadoop.fs.Path(run.resolve(name).toUri()));
            print("local (warm JVM) run " + i + "/" + warmRuns, s, table);
            warm.add(s);
            warmFloors.add(measured(floors, table, local, run, name, s));
            BenchTable.deleteRecursively(run.resolve(name));
            if (i == 1) {
              IcebergBench.run(nodes, run.resolve("out-iceberg"), "demo_db.demo_table", rows, s);
              BenchTable.deleteRecursively(run.resolve("out-iceberg"));
              partitioned(nodes, local, run.resolve("out-partitioned"), s, table);
            }
          }
          if (!warm.isEmpty()) {
            summary(cold, warm, warmFloors, table);
          }
        }
        latency(nodes, tablet, local, new org.apache.hadoop.fs.Path(run.resolve("out-latency").toUri()));
      }
    } finally {
      heap.close();
    }
    return 0;
  }

  /** The floors right after sync {@code s} into {@code run/<name>}, each printed with its ratio. */
  private Floors.Run[] measured(Floors floors, BenchTable table, FileSystem local, Path run, String name, Sync s)
      throws Exception {
    Floors.Run duck = floors.duckDb(run.resolve(name + "-duckdb.parquet"));
    System.out.printf("  DuckDB COPY to Parquet (%d threads): %,.0f rows/s (%.2f s, %.2f CPU us/row);"
            + " offsync/duckdb = %.2f%n", Runtime.getRuntime().availableProcessors(), duck.perSecond(), duck.seconds(),
        duck.cpuMicros(), s.rowsPerSecond() / duck.perSecond());
    Floors.Run read = floors.readFloor(table.root(), table.tid(), table.partitions());
    if (read.count() != rows) {
      throw new IllegalStateException("read floor read " + read.count() + " rows, " + rows + " expected");
    }
    System.out.printf("  read floor (PartitionReader, no decode, %d partitions in parallel): %,.0f rows/s (%.2f s,"
            + " %.2f CPU us/row); offsync/read-floor = %.2f%n", table.partitions(), read.perSecond(), read.seconds(),
        read.cpuMicros(), s.rowsPerSecond() / read.perSecond());
    Floors.Run raw = Floors.rawCopy(table.files(), local,
        new org.apache.hadoop.fs.Path(run.resolve(name + "-raw").toUri()));
    printRaw(s, raw);
    BenchTable.deleteRecursively(run.resolve(name + "-raw"));
    return new Floors.Run[] {duck, read, raw};
  }

  private static void printRaw(Sync s, Floors.Run raw) {
    System.out.printf("  raw copy of the table's %,d bytes into the same file system: %.1f MB/s (%.2f s);"
        + " offsync/raw = %.2f%n", raw.count(), raw.count() / 1e6 / raw.seconds(), raw.seconds(),
        raw.seconds() / s.seconds());
  }

  private void summary(Sync cold, List<Sync> warm, List<Floors.Run[]> floors, BenchTable table) {
    double offsync = median(warm, Sync::rowsPerSecond);
    double duck = median(floors, f -> f[0].perSecond());
    double read = median(floors, f -> f[1].perSecond());
    double rawSecs = median(floors, f -> f[2].seconds());
    double syncSecs = median(warm, Sync::seconds);
    double syncCpu = median(warm, w -> w.cpuSeconds() * 1e6 / w.rows());
    double duckCpu = median(floors, f -> f[0].cpuMicros());
    double readCpu = median(floors, f -> f[1].cpuMicros());
    System.out.printf("summary, medians of %d warm local runs (load %s): offsync %,.0f rows/s, DuckDB %,.0f rows/s,"
            + " read floor %,.0f rows/s, raw copy %.1f MB/s; cold JVM %,.0f rows/s%n", warm.size(), load(), offsync,
        duck, read, table.bytes() / 1e6 / rawSecs, cold.rowsPerSecond());
    System.out.printf("  offsync/duckdb = %.2f%n  offsync/read-floor = %.2f%n  offsync/raw = %.2f%n"
        + "  cold/warm = %.2f%n", offsync / duck, offsync / read, rawSecs / syncSecs, cold.rowsPerSecond() / offsync);
    System.out.printf("  CPU per row (less sensitive to the load than wall time): offsync %.2f us (all threads: read,"
            + " transport, decode, encode, write, commit), DuckDB %.2f us, read floor %.2f us; duckdb-cpu/offsync-cpu"
            + " = %.2f, read-floor-cpu/offsync-cpu = %.2f%n", syncCpu, duckCpu, readCpu, duckCpu / syncCpu,
        readCpu / syncCpu);
  }

  private static <T> double median(List<T> xs, ToDoubleFunction<T> f) {
    double[] v = xs.stream().mapToDouble(f).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** A mode-0 sync of table 1 into {@code dest}, timed from the create until every row is committed. */
  Sync sync(BenchNodes nodes, FileSystem fs, org.apache.hadoop.fs.Path dest) throws Exception {
    return sync(nodes, fs, dest, "demo_db.demo_table", rows, false);
  }

  /**
   * The same table into Parquet files partitioned by day of {@code ts} (the demo table's ts spans a second per
   * id: 2 M rows are 24 days), next to unpartitioned run {@code flat}: rows/s, files and groups.
   */
  private void partitioned(BenchNodes nodes, FileSystem local, Path out, Sync flat, BenchTable table)
      throws Exception {
    Sync p = sync(nodes, local, new org.apache.hadoop.fs.Path(out.toUri()), "demo_db.demo_table", rows, false,
        "--partition-by", "ts:day");
    print("local (warm JVM), --partition-by ts:day", p, table);
    long groups;
    try (var markers = Files.list(out.resolve(io.offsync.sink.FileNames.GROUPS_DIR))) {
      groups = markers.count();
    }
    long dirs;
    try (var days = Files.list(out)) {
      dirs = days.filter(d -> d.getFileName().toString().startsWith("ts_day=")).count();
    }
    System.out.printf("  %d day directories, %d files in %d group commits (%.1f files per commit);"
        + " partitioned/parquet = %.2f%n", dirs, p.files(), groups, (double) p.files() / groups,
        p.rowsPerSecond() / flat.rowsPerSecond());
    BenchTable.deleteRecursively(out);
  }

  /** @param probeLive also measure the live heap ({@link HeapProbe}: full GCs, so the time is not comparable) */
  Sync sync(BenchNodes nodes, FileSystem fs, org.apache.hadoop.fs.Path dest, String table, long expected,
      boolean probeLive, String... createOptions) throws Exception {
    System.gc();
    heap.reset(probeLive);
    long cpu0 = Floors.cpuNanos();
    ThreadCpu threads0 = ThreadCpu.now();
    long t0 = System.nanoTime();
    List<String> create = new ArrayList<>(List.of("-t", table, "-m", "0", "-d", dest.toString()));
    create.addAll(List.of(createOptions));
    nodes.create(create.toArray(String[]::new));
    long committed = 0;
    while (committed < expected) {
      Thread.sleep(100);
      committed = OutputFiles.totalRows(fs, dest);
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    double cpuSecs = (Floors.cpuNanos() - cpu0) / 1e9;
    String threads = ThreadCpu.now().describe(threads0);
    if (committed != expected) {
      throw new IllegalStateException(table + ": " + committed + " rows committed, " + expected + " expected");
    }
    List<org.apache.hadoop.fs.FileStatus> files = OutputFiles.committed(fs, dest);
    long outBytes = files.stream().mapToLong(org.apache.hadoop.fs.FileStatus::getLen).sum();
    Sync s = new Sync(expected, secs, cpuSecs, files.size(), outBytes, heap.peak(), heap.peakAfterGc(),
        heap.peakLive(), threads);
    nodes.awaitNoTask();
    return s;
  }

  private static void print(String name, Sync s, BenchTable table) {
    System.out.printf("%s, load %s%n  offsync mode 0: %,d rows in %.2f s = %,.0f rows/s, %.1f MB/s of table bytes;"
            + " %d files, %,d bytes of Parquet; peak heap %d MB used (incl. garbage; -Xmx caps it), at most %d MB"
            + " right after a GC (live plus old garbage); %.1f s of CPU (all threads of this JVM, %d cores) ="
            + " %.2f CPU us/row%n", name, load(), s.rows(),
        s.seconds(), s.rowsPerSecond(), table.bytes() / 1e6 / s.seconds(), s.files(), s.outBytes(),
        s.peakHeap() >> 20, s.peakAfterGc() >> 20, s.cpuSeconds(), Runtime.getRuntime().availableProcessors(),
        s.cpuSeconds() * 1e6 / s.rows());
    if (!s.threads().isEmpty()) {
      System.out.printf("  CPU by thread: %s%n", s.threads());
    }
  }

  /** The 1, 5 and 15 minute load averages. */
  static String load() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return String.format("%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
  }

  private void latency(BenchNodes nodes, Path tablet, FileSystem fs, org.apache.hadoop.fs.Path dest)
      throws Exception {
    nodes.create("-t", "demo_db.latency_table", "-m", "2", "-d", dest.toString(), "--roll-idle",
        String.valueOf(rollIdle), "--roll-time", "60");
    long committed = 0;
    while (committed < 1000) {
      Thread.sleep(200);
      committed = OutputFiles.totalRows(fs, dest);
    }
    List<Double> samples = new ArrayList<>();
    try (TabletFixture f = TabletFixture.reopen(tablet, 2, false)) {
      for (int i = 0; i < latencySamples; i++) {
        Thread.sleep(rollIdle * 1000L + 500);
        long id = 10_000_000L + i;
        long t0 = System.nanoTime();
        f.put(id, "latency_user", 1.0, "paris", 1_800_000_000_000L + i, java.time.LocalDate.of(2027, 1, 15), true);
        f.flush();
        long want = committed + 1;
        while ((committed = OutputFiles.totalRows(fs, dest)) < want) {
          Thread.sleep(20);
        }
        samples.add((System.nanoTime() - t0) / 1e9);
      }
    }
    nodes.helper("delete", "-t", "demo_db.latency_table");
    samples.sort(Double::compare);
    System.out.printf("continuous mode: append -> committed file latency over %d appends: min %.2f s, median %.2f"
            + " s, max %.2f s (roll idle %d s; target <= roll interval + 2 s)%n", samples.size(), samples.get(0),
        samples.get(samples.size() / 2), samples.get(samples.size() - 1), rollIdle);
  }
}
