package io.offsync.sink;

import io.offsync.collector.RowPack;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.testkit.MiniHdfs;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Throughput of the commit sink alone: {@code rows} pre-encoded rows (both schema versions) in 1 MiB packs through
 * {@link CommitSink#flow} into a MiniDFSCluster ({@code hdfs}) or a local directory ({@code local}), for Parquet
 * and CSV. Run: {@code java -cp <test classpath> io.offsync.sink.CommitSinkBench [rows] [hdfs|local]}.
 */
public final class CommitSinkBench {

  public static void main(String[] args) throws Exception {
    long rows = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
    boolean hdfs = args.length < 2 || args[1].equals("hdfs");
    // one pack stream reused for every run: generated once (a repeating block of 10k distinct rows)
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    for (int i = 0; i < 10_000; i++) {
      block.writeBytes(Streams.encoded(i));
    }
    byte[] blockBytes = block.toByteArray();
    MiniHdfs cluster = null;
    FileSystem fs;
    Path root;
    if (hdfs) {
      cluster = MiniHdfs.start(1, Files.createTempDirectory("bench-dfs"));
      fs = cluster.fileSystem();
      root = new Path(cluster.uri().toString() + "/bench");
    } else {
      File dir = Files.createTempDirectory("bench-local").toFile();
      fs = FileSystem.get(dir.toURI(), new Configuration());
      root = new Path(dir.toURI());
    }
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "bench");
    try {
      for (OutputFormat format : List.of(OutputFormat.PARQUET, OutputFormat.CSV, OutputFormat.PARQUET,
          OutputFormat.CSV)) {
        Path dest = new Path(root, format + "-" + System.nanoTime());
        long blocks = rows / 10_000;
        long t0 = System.nanoTime();
        List<RolledFile> files = Source.range(1, (int) blocks)
            .map(b -> new RowPack(blockBytes, new BinlogPosition(b * 10_000L + 1)))
            .via(CommitSink.flow(fs, dest, 1, 0, Streams.schema(), format,
                new RollPolicy(128L << 20, Duration.ofSeconds(60), Duration.ofSeconds(10)), 0))
            .runWith(Sink.seq(), system).toCompletableFuture().get(30, TimeUnit.MINUTES);
        double s = (System.nanoTime() - t0) / 1e9;
        long n = files.stream().mapToLong(RolledFile::rows).sum();
        long bytes = files.stream().mapToLong(RolledFile::bytes).sum();
        double inMb = blocks * (double) blockBytes.length / (1 << 20);
        System.out.printf("%s %s: %d rows in %.1f s = %.0f rows/s; input %.1f MiB (%.1f MiB/s); %d files, %.1f MiB"
                + " out%n", hdfs ? "hdfs" : "local", format, n, s, n / s, inMb, inMb / s, files.size(),
            bytes / (double) (1 << 20));
      }
    } finally {
      system.terminate();
      if (cluster != null) {
        cluster.close();
      }
    }
  }
}
