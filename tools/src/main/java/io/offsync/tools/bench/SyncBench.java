package io.offsync.tools.bench;

import com.typesafe.config.ConfigFactory;
import io.offsync.collector.HardLinker;
import io.offsync.collector.node.CollectorNode;
import io.offsync.collector.node.DataCollectorFlags;
import io.offsync.synctool.EngineTaskAdmin;
import io.offsync.synctool.SyncToolNode;
import io.offsync.synctool.SyncToolSettings;
import io.offsync.synctool.cli.SyncToolHelper;
import io.offsync.testkit.DemoTablet;
import io.offsync.testkit.EmbeddedZooKeeper;
import io.offsync.testkit.MiniHdfs;
import io.offsync.testkit.TabletFixture;
import io.offsync.tools.OutputFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * End-to-end benchmark (not a test): generates a demo OpenMLDB table (N rows, 4 partitions, 90% in the RocksDB
 * snapshot, 10% in the binlog), runs a collector and a synctool node in this JVM on an embedded ZooKeeper and an
 * H2 journal, and syncs the table in mode 0 into (a) a local directory and (b) a MiniDFSCluster. For each target
 * it prints rows/s, MB/s (of the table's bytes on the tablet: snapshot SST files + binlog files), peak heap, the
 * committed file count, and the time to copy those same snapshot + binlog bytes raw into the same target, with
 * the ratio offsync rate / raw rate. Then it measures continuous-mode latency: a mode-2 task on a small second
 * table, single rows appended to its binlog, time until the row is in a committed file.
 *
 * <p>Run with {@code bin/bench [--rows N] [--dir D] [--no-hdfs] [--latency-samples K]}; {@code bin/bench} runs the
 * JVM with {@code -Xmx512m}, so finishing at all shows the heap bound.
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

  @Option(names = "--latency-samples", defaultValue = "5", description = "appends timed in continuous mode")
  int latencySamples;

  @Option(names = "--roll-idle", defaultValue = "1", description = "continuous mode: roll after this many idle "
      + "seconds (default ${DEFAULT-VALUE})")
  int rollIdle;

  private final AtomicLong peakHeap = new AtomicLong();
  private final AtomicLong peakLive = new AtomicLong();
  private volatile boolean sampling = true;

  public static void main(String[] args) {
    System.exit(new CommandLine(new SyncBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    dir = dir.toAbsolutePath();
    Thread sampler = new Thread(this::sampleHeap, "heap-sampler");
    sampler.setDaemon(true);
    sampler.start();
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start()) {
      Path tablet = dir.resolve("tablet-" + rows + "x" + partitions);
      generate(tablet, zk.connectString(), 1, rows, Files.isDirectory(tablet.resolve("1_0")));
      long sourceBytes = 0;
      List<Path> sourceFiles = new ArrayList<>();
      for (int pid = 0; pid < partitions; pid++) {
        Path p = tablet.resolve("1_" + pid);
        try (Stream<Path> s = Files.walk(p.resolve("snapshot"))) {
          s.filter(Files::isRegularFile).forEach(sourceFiles::add);
        }
        try (Stream<Path> s = Files.walk(p.resolve("binlog"))) {
          s.filter(Files::isRegularFile).forEach(sourceFiles::add);
        }
      }
      for (Path f : sourceFiles) {
        sourceBytes += Files.size(f);
      }
      System.out.printf("table: %,d rows, %d partitions, %,d bytes on the tablet (snapshot + binlog, %d files),"
          + " %.0f bytes/row%n", rows, partitions, sourceBytes, sourceFiles.size(), (double) sourceBytes / rows);
      Path small = tablet; // the same tablet root: the collector finds partitions as <root>/<tid>_<pid>
      deleteRecursively(small.resolve("2_0"));
      generate(small, zk.connectString(), 2, 1000, false);

      Path hadoopConf = dir.resolve("hadoop-conf");
      Files.createDirectories(hadoopConf);
      Files.writeString(hadoopConf.resolve("hdfs-site.xml"), "<configuration><property><name>dfs.replication"
          + "</name><value>1</value></property></configuration>\n");
      int serverPort = freePort();
      int clusterPort = freePort();
      Path run = dir.resolve("run-" + System.currentTimeMillis());
      Properties props = new Properties();
      props.putAll(Map.of("server.host", "127.0.0.1", "server.port", String.valueOf(serverPort),
          "zookeeper.cluster", zk.connectString(), "zookeeper.root_path", "/openmldb",
          "sync_task.progress_path", run.resolve("progress").toString(), "hadoop.conf.dir", hadoopConf.toString(),
          "cluster.host", "127.0.0.1", "cluster.port", String.valueOf(clusterPort),
          "management.port", String.valueOf(freePort())));
      SyncToolNode synctool = SyncToolNode.start(SyncToolSettings.parse(props, null), ConfigFactory.load(),
          EngineTaskAdmin.engine());
      CollectorNode collector = CollectorNode.start(DataCollectorFlags.of(Map.of(
          "endpoint", "127.0.0.1:" + freePort(), "management_port", "0", "zk_cluster", zk.connectString(),
          "collector_datadir", run.resolve("collector").toString(),
          "ssd_root_path", tablet.toString(), "cluster_port", String.valueOf(freePort()),
          "cluster_seed_nodes", "127.0.0.1:" + clusterPort)), HardLinker.FILES);
      try {
        String server = "127.0.0.1:" + serverPort;
        Configuration conf = new Configuration();
        FileSystem local = FileSystem.getLocal(conf);
        // the first run includes JIT warm-up of every stage; the last local run is the warm figure
        target("local (cold JVM)", local, new org.apache.hadoop.fs.Path(run.resolve("out-local-1").toUri()), server,
            sourceFiles, sourceBytes);
        if (!noHdfs) {
          try (MiniHdfs hdfs = MiniHdfs.start(1, run.resolve("minidfs"))) {
            FileSystem fs = hdfs.fileSystem();
            target("hdfs (MiniDFSCluster)", fs, new org.apache.hadoop.fs.Path(hdfs.uri().toString() + "/bench/out"),
                server, sourceFiles, sourceBytes);
          }
        }
        target("local (warm JVM)", local, new org.apache.hadoop.fs.Path(run.resolve("out-local-2").toUri()), server,
            sourceFiles, sourceBytes);
        latency(small, local, new org.apache.hadoop.fs.Path(run.resolve("out-latency").toUri()), server);
      } finally {
        quietShutdown();
        collector.close();
        synctool.close();
        sampling = false;
      }
    }
    return 0;
  }

  /**
   * The two nodes of this JVM leave and tear their connections down; Pekko logs each aborted connection at WARN
   * ("Upstream failed ... The connection has been aborted"). That is the bench ending, not a finding: its output
   * holds only its figures.
   */
  private static void quietShutdown() {
    if (org.slf4j.LoggerFactory.getLogger("org.apache.pekko") instanceof ch.qos.logback.classic.Logger l) {
      l.setLevel(ch.qos.logback.classic.Level.ERROR);
    }
  }

  private void target(String name, FileSystem fs, org.apache.hadoop.fs.Path dest, String server,
      List<Path> sourceFiles, long sourceBytes) throws Exception {
    System.gc();
    peakHeap.set(0);
    peakLive.set(0);
    long cpu0;
    long t0;
    for (int attempt = 1; ; attempt++) {
      cpu0 = processCpuNanos();
      t0 = System.nanoTime();
      try {
        helper(server, "create", "-t", "demo_db.demo_table", "-m", "0", "-d", dest.toString());
        break;
      } catch (IllegalStateException e) {
        // the collector started just before may not have registered yet: nothing was created, try again
        if (attempt == 150 || !e.getMessage().contains("no live collector")) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
    long committed = 0;
    while (committed < rows) {
      Thread.sleep(100);
      committed = OutputFiles.totalRows(fs, dest);
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    double cpuSecs = (processCpuNanos() - cpu0) / 1e9;
    if (committed != rows) {
      throw new IllegalStateException(name + ": " + committed + " rows committed, " + rows + " expected");
    }
    int files = OutputFiles.committed(fs, dest).size();
    long outBytes = OutputFiles.committed(fs, dest).stream().mapToLong(s -> s.getLen()).sum();
    long heap = peakHeap.get();
    long live = peakLive.get();
    waitTaskGone(server);

    org.apache.hadoop.fs.Path rawDest = new org.apache.hadoop.fs.Path(dest.getParent(), dest.getName() + "-raw");
    long r0 = System.nanoTime();
    int i = 0;
    for (Path f : sourceFiles) {
      fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(f.toUri()),
          new org.apache.hadoop.fs.Path(rawDest, (i++) + "-" + f.getFileName()));
    }
    double rawSecs = (System.nanoTime() - r0) / 1e9;
    double mbps = sourceBytes / 1e6 / secs;
    double rawMbps = sourceBytes / 1e6 / rawSecs;
    System.out.printf("%s%n  mode 0: %,d rows in %.1f s = %,.0f rows/s, %.1f MB/s of table bytes; %d files, %,d"
            + " bytes of Parquet; peak heap %d MB used"
            + " (incl. garbage; -Xmx caps it), %d MB live after GC; %.1f s of CPU (all threads of this JVM, %d cores)%n",
        name, rows, secs, rows / secs, mbps, files, outBytes, heap >> 20, live >> 20, cpuSecs,
        Runtime.getRuntime().availableProcessors());
    System.out.printf("  raw copy of the same %,d bytes into the same file system: %.1f s = %.1f MB/s;"
        + " offsync/raw = %.2f%n", sourceBytes, rawSecs, rawMbps, mbps / rawMbps);
  }

  private void latency(Path tablet, FileSystem fs, org.apache.hadoop.fs.Path dest, String server)
      throws Exception {
    helper(server, "create", "-t", "demo_db.latency_table", "-m", "2", "-d", dest.toString(), "--roll-idle",
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
    helper(server, "delete", "-t", "demo_db.latency_table");
    samples.sort(Double::compare);
    System.out.printf("continuous mode: append -> committed file latency over %d appends: min %.2f s, median %.2f"
            + " s, max %.2f s (roll idle %d s; target <= roll interval + 2 s)%n", samples.size(), samples.get(0),
        samples.get(samples.size() / 2), samples.get(samples.size() - 1), rollIdle);
  }

  private void generate(Path root, String zk, int tid, long n, boolean reuse) throws Exception {
    String table = tid == 1 ? "demo_table" : "latency_table";
    List<String> args = new ArrayList<>(List.of("--root", root.toString(), "--zk", zk, "--tid",
        String.valueOf(tid), "--table", table, "--partitions", String.valueOf(tid == 1 ? partitions : 1)));
    if (reuse) {
      // re-register the metadata only: append nothing
      args.addAll(List.of("--append", "--rows", "0"));
    } else {
      args.addAll(List.of("--rows", String.valueOf(n)));
    }
    StringWriter out = new StringWriter();
    CommandLine cl = new CommandLine(new DemoTablet());
    cl.setOut(new PrintWriter(out));
    int code = cl.execute(args.toArray(String[]::new));
    if (code != 0) {
      throw new IllegalStateException("DemoTablet " + args + " exited " + code);
    }
  }

  private static void helper(String server, String... args) {
    List<String> all = new ArrayList<>(List.of("-s", server, "--timeout", "30"));
    all.addAll(List.of(args));
    StringWriter out = new StringWriter();
    int code = SyncToolHelper.run(all.toArray(String[]::new), new PrintWriter(out), new PrintWriter(out));
    if (code != 0) {
      throw new IllegalStateException("synctool-helper " + all + ": " + out);
    }
  }

  private static void waitTaskGone(String server) throws InterruptedException {
    for (int i = 0; i < 600; i++) {
      StringWriter out = new StringWriter();
      SyncToolHelper.run(new String[] {"-s", server, "status"}, new PrintWriter(out), new PrintWriter(out));
      if (out.toString().contains("no task")) {
        return;
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("mode-0 task did not finish");
  }

  private void sampleHeap() {
    List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP).toList();
    while (sampling) {
      long used = 0;
      for (MemoryPoolMXBean p : heapPools) {
        used += p.getUsage().getUsed();
      }
      peakHeap.accumulateAndGet(used, Math::max);
      long live = 0;
      for (MemoryPoolMXBean p : heapPools) {
        if (p.isCollectionUsageThresholdSupported() && p.getCollectionUsage() != null) {
          live += p.getCollectionUsage().getUsed();
        }
      }
      peakLive.accumulateAndGet(live, Math::max);
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime() : 0;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }
}
