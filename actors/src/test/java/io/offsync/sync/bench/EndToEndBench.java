package io.offsync.sync.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.offsync.collector.Collector;
import io.offsync.collector.CollectorDirectory;
import io.offsync.protocol.zk.TableMetadata;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.RollPolicy;
import io.offsync.sync.JournalConfig;
import io.offsync.sync.SubtaskStatus;
import io.offsync.sync.SyncEnvironment;
import io.offsync.sync.SyncTasks;
import io.offsync.sync.TaskSpec;
import io.offsync.testkit.DemoTablet;
import io.offsync.testkit.EmbeddedZooKeeper;
import io.offsync.testkit.LocalCluster;
import io.offsync.testkit.MiniHdfs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.pekko.actor.typed.ActorSystem;
import picocli.CommandLine;

/**
 * End-to-end throughput of a mode 0 sync: a demo table of {@code rows} rows in {@code partitions} partitions
 * (90% in the RocksDB snapshot, 10% in the binlog after it, written by the testkit's {@link DemoTablet}), one
 * collector node and one synctool node in a Pekko cluster on 127.0.0.1, the H2 file journal, and a
 * MiniDFSCluster as destination, with the default roll policy (128 MiB, 60 s, 10 s idle). Prints the time from
 * create to the task's completion, rows/s, MB/s of committed output, and the part files with their sizes; checks
 * that the committed row count equals the rows written.
 *
 * <p>Run (test classpath): {@code java -cp ... io.offsync.sync.bench.EndToEndBench [rows] [partitions]
 * [parquet|csv]}; defaults 1000000, 4, parquet.
 *
 * <p>Measured 2026-11-24 on the shared 2-core build machine (load average 11-15 from other builds), 1M rows,
 * 4 partitions: Parquet 13.5 s = 74k rows/s, 18.5 MB committed in 8 files (per partition one ~4.2 MB file for the
 * snapshot part and one ~0.42 MB file for the binlog part: the roll at the snapshot → binlog hand-over); CSV
 * 12.1 s = 83k rows/s, 6.3 MB/s, 76.4 MB in 8 files (~17.2 MB + ~1.9 MB per partition). Generating the table
 * takes longer than syncing it (about 225 s here).
 */
public final class EndToEndBench {

  private EndToEndBench() {}

  public static void main(String[] args) throws Exception {
    long rows = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
    int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    OutputFormat format = args.length > 2 ? OutputFormat.parse(args[2]) : OutputFormat.PARQUET;
    Path work = Files.createTempDirectory("offsync-e2e-bench");
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start();
        TableMetadata metadata = new TableMetadata(zk.client(), "/openmldb")) {
      long g0 = System.nanoTime();
      int generated = new CommandLine(new DemoTablet()).execute("--root", work.resolve("tablets").toString(),
          "--zk", zk.connectString(), "--db", "bench", "--table", "events", "--tid", "1",
          "--rows", Long.toString(rows), "--partitions", Integer.toString(partitions));
      if (generated != 0) {
        throw new IllegalStateException("demo table generation failed");
      }
      System.out.printf("fixture: %d rows in %d partitions generated in %.1f s%n", rows, partitions,
          (System.nanoTime() - g0) / 1e9);
      Config config = JournalConfig.h2(work.resolve("journal")).withFallback(ConfigFactory.parseString("""
          offsync.collector {
            datadir = "%s"
            ssd-root-path = "%s"
          }
          """.formatted(work.resolve("collector"), work.resolve("tablets"))));
      try (MiniHdfs hdfs = MiniHdfs.start(1, work.resolve("minidfs"));
          LocalCluster cluster = LocalCluster.start("EndToEndBench", config, List.of(
              Set.of(Collector.ROLE, CollectorDirectory.hostRole("127.0.0.1")), Set.of("synctool")))) {
        Collector.init(cluster.system(0));
        ActorSystem<Void> synctool = cluster.system(1);
        SyncTasks tasks = SyncTasks.start(synctool, SyncEnvironment.of(metadata, hdfs.configuration()));
        String dest = hdfs.uri() + "/warehouse/events";
        long t0 = System.nanoTime();
        tasks.create(new TaskSpec("bench", "events", TaskSpec.MODE_FULL, 0, dest, format, RollPolicy.DEFAULT))
            .toCompletableFuture().get(60, TimeUnit.SECONDS);
        long lastPrint = 0;
        while (true) {
          List<SubtaskStatus> status = tasks.status().toCompletableFuture().get(60, TimeUnit.SECONDS);
          if (status.isEmpty()) {
            break;
          }
          if (System.nanoTime() - lastPrint > 5_000_000_000L) {
            lastPrint = System.nanoTime();
            long done = status.stream().mapToLong(SubtaskStatus::rows).sum();
            System.out.printf("  %.0f s: %d rows committed%n", (lastPrint - t0) / 1e9, done);
          }
          Thread.sleep(200);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        FileSystem fs = hdfs.fileSystem();
        List<FileStatus> files = new ArrayList<>();
        for (FileStatus st : fs.listStatus(new org.apache.hadoop.fs.Path(dest))) {
          if (st.isFile()) {
            files.add(st);
          }
        }
        long bytes = files.stream().mapToLong(FileStatus::getLen).sum();
        long committedRows = 0;
        for (FileStatus st : files) {
          if (format == OutputFormat.PARQUET) {
            try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromStatus(st, fs.getConf()))) {
              committedRows += r.getRecordCount();
            }
          } else {
            try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(fs.open(st.getPath())))) {
              committedRows += in.lines().count();
            }
          }
        }
        System.out.printf("mode 0 sync of %d rows (%d partitions, %s) into MiniDFSCluster: %.1f s%n", rows,
            partitions, format.extension(), secs);
        System.out.printf("  %.0f rows/s, %.1f MB/s of committed %s%n", committedRows / secs, bytes / 1e6 / secs,
            format.extension());
        System.out.printf("  %d files, %.1f MB total, sizes (bytes): %s%n", files.size(), bytes / 1e6,
            files.stream().map(f -> f.getPath().getName() + "=" + f.getLen()).toList());
        if (committedRows != rows) {
          throw new IllegalStateException("committed " + committedRows + " rows, expected " + rows);
        }
        System.out.println("  committed rows = rows written: OK");
      }
    } finally {
      deleteRecursively(work);
    }
    System.exit(0);
  }

  private static void deleteRecursively(Path dir) throws java.io.IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
