package io.offsync.iceberg;

import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.sink.Fixtures;
import io.offsync.testkit.MiniHdfs;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Table;

/**
 * What an Iceberg commit per roll costs as a table's history grows, and what snapshot expiry does about it:
 * {@code partitions} threads (subtasks) each commit {@code commits / partitions} small data files (100 rows) into
 * one table, as mode 2 does once per roll and partition. Printed per window of commits: mean and max commit time
 * (the data file is written before, not timed), live snapshots, manifests of the current snapshot, size of the
 * current metadata.json, and the manifest and manifest-list files in the metadata directory. Run twice: without expiry, then keeping the newest {@code retain} snapshots (an hour of
 * 4 partitions at the default 60 s roll = 240). Run: {@code java -cp <test classpath>
 * io.offsync.iceberg.IcebergCommitBench [commits] [partitions] [local|hdfs] [retain]}.
 */
public final class IcebergCommitBench {

  public static void main(String[] args) throws Exception {
    int commits = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    boolean hdfs = args.length > 2 && args[2].equals("hdfs");
    int retain = args.length > 3 ? Integer.parseInt(args[3]) : 240;
    MiniHdfs cluster = null;
    Configuration conf = new Configuration();
    String root;
    if (hdfs) {
      cluster = MiniHdfs.start(1, Files.createTempDirectory("iceberg-bench-dfs"));
      conf = cluster.configuration();
      root = cluster.uri() + "/bench";
    } else {
      root = Files.createTempDirectory("iceberg-bench").toUri().toString();
    }
    try {
      run(conf, root + "/no-expiry", commits, partitions, Duration.ZERO, 1);
      run(conf, root + "/expiry", commits, partitions, Duration.ofSeconds(2), retain);
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  private static void run(Configuration conf, String warehouse, int commits, int partitions, Duration expireAfter,
      int retain) throws Exception {
    TableSchema schema = TableSchema.of("bench.t", Fixtures.ALL_TYPES);
    int window = Math.max(1, commits / 8);
    long[] nanos = new long[commits];
    AtomicLong done = new AtomicLong();
    System.out.printf(Locale.ROOT, "%n%s, %d partitions, %s%n", warehouse.startsWith("hdfs") ? "HDFS" : "local FS",
        partitions, expireAfter.isZero() ? "no expiry" : "expiry keeping the newest " + retain + " snapshots");
    System.out.println("commits  mean-ms  max-ms  snapshots  manifests  metadata.json-KiB  manifest-files"
        + "  manifest-lists");
    ExecutorService pool = Executors.newFixedThreadPool(partitions);
    try {
      List<Future<?>> all = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        int pid = p;
        all.add(pool.submit(() -> {
          Table table = IcebergTables.open(IcebergTables.catalog(IcebergSettings.DEFAULT, warehouse, conf),
              IcebergTables.identifier("bench", "t"), schema, s -> PartitionSpec.unpartitioned(),
              IcebergSettings.DEFAULT);
          IcebergCommitter committer = new IcebergCommitter(table, 100, expireAfter, retain);
          FileSystem fs = new Path(table.location()).getFileSystem(conf);
          for (long seq = 0; ; seq++) {
            long slot = done.getAndIncrement();
            if (slot >= commits) {
              return null;
            }
            Path path = new Path(table.locationProvider().newDataLocation(
                IcebergCommitter.fileName(1, pid, 1, seq, "b")));
            IcebergPartWriter w = new IcebergPartWriter(table, fs, path, Fixtures.ALL_TYPES);
            for (int i = 0; i < 100; i++) {
              w.write(Fixtures.row(slot * 100 + i));
            }
            long bytes = w.close(null);
            CommitMark m = new CommitMark("bench.t|1|" + pid, 1, pid, seq, null, new BinlogPosition(seq + 2), 100,
                bytes, path.toString());
            long t0 = System.nanoTime();
            committer.commit(m);
            nanos[(int) slot] = System.nanoTime() - t0;
            if ((slot + 1) % window == 0) {
              report(conf, warehouse, slot + 1, Arrays.copyOfRange(nanos, (int) (slot + 1 - window), (int) slot + 1));
            }
          }
        }));
      }
      for (Future<?> f : all) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static synchronized void report(Configuration conf, String warehouse, long n, long[] window)
      throws Exception {
    Table t = IcebergTables.catalog(IcebergSettings.DEFAULT, warehouse, conf)
        .loadTable(IcebergTables.identifier("bench", "t"));
    int snapshots = 0;
    for (var ignored : t.snapshots()) {
      snapshots++;
    }
    int manifests = t.currentSnapshot().allManifests(t.io()).size();
    String metadata = ((org.apache.iceberg.HasTableOperations) t).operations().current().metadataFileLocation();
    Path mp = new Path(metadata);
    FileStatus st = mp.getFileSystem(conf).getFileStatus(mp);
    int lists = 0;
    int manifestFiles = 0;
    for (FileStatus f : mp.getFileSystem(conf).listStatus(mp.getParent())) {
      String name = f.getPath().getName();
      if (name.startsWith("snap-") && name.endsWith(".avro")) {
        lists++;
      } else if (name.endsWith(".avro")) {
        manifestFiles++;
      }
    }
    double mean = Arrays.stream(window).filter(x -> x > 0).average().orElse(0) / 1e6;
    double max = Arrays.stream(window).max().orElse(0) / 1e6;
    System.out.printf(Locale.ROOT, "%7d  %7.1f  %6.0f  %9d  %9d  %17.0f  %14d  %14d%n", n, mean, max, snapshots,
        manifests, st.getLen() / 1024.0, manifestFiles, lists);
  }
}
