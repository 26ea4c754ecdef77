package io.offsync.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.offsync.collector.Collector;
import io.offsync.collector.CollectorDirectory;
import io.offsync.iceberg.CommitMark;
import io.offsync.iceberg.IcebergCommitter;
import io.offsync.iceberg.IcebergTestRows;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.PartitionBy;
import io.offsync.sink.RollPolicy;
import io.offsync.testkit.EmbeddedZooKeeper;
import io.offsync.testkit.MiniHdfs;
import io.offsync.testkit.TabletFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.hadoop.fs.FileSystem;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Table;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Modes 0, 1 and 2 end to end: testkit tablets (RocksDB snapshots + binlogs in the OpenMLDB layout, metadata in a
 * real ZooKeeper), a real collector node and a synctool node in one Pekko cluster on 127.0.0.1, the H2 file
 * journal, and a MiniDFSCluster as destination. For every partition the committed files hold exactly the rows the
 * fixture says a sync must produce (as a multiset of ids), Parquet, CSV and an Iceberg table in HDFS (read back
 * with Iceberg's own reader); in modes 1 and 2 rows are appended to
 * the binlog (and a binlog file rolled) while the task runs.
 */
@ExtendWith(LogCapturingExtension.class)
class EndToEndTest {

  private static final int PARTITIONS = 3;

  @TempDir static Path work;
  private static SyncCluster sync;
  private static EmbeddedZooKeeper zk;
  private static MiniHdfs hdfs;
  private static SyncTasks tasks;

  /** Config of a collector node of host 127.0.0.1 reading the tablets under {@code tablets}. */
  static Config nodeConfig(Path work) {
    return JournalConfig.h2(work.resolve("journal")).withFallback(ConfigFactory.parseString("""
        offsync.collector {
          datadir = "%s"
          ssd-root-path = "%s"
          hdd-root-path = "%s"
          tail-poll-interval = 50 ms
          max-pack-size = 64 KiB
        }
        offsync.sync {
          init-timeout = 10 s
          retry { min-backoff = 100 ms, max-backoff = 1 s }
        }
        """.formatted(work.resolve("collector"), work.resolve("tablets"), work.resolve("tablets"))));
  }

  static final Set<String> COLLECTOR_ROLES = Set.of(Collector.ROLE, CollectorDirectory.hostRole("127.0.0.1"));

  @BeforeAll
  static void start() {
    sync = SyncCluster.start("EndToEndTest", work);
    zk = sync.zk;
    hdfs = sync.hdfs;
    tasks = sync.tasks;
  }

  @AfterAll
  static void stop() {
    if (sync != null) {
      sync.close();
    }
  }

  private static TaskSpec spec(TabletFixture f, int mode, long startTs, OutputFormat format) {
    return new TaskSpec("db1", f.tableInfo().getName(), mode, startTs, dest(f).toString(), format,
        new RollPolicy(16 * 1024, Duration.ofSeconds(30), Duration.ofMillis(300)));
  }

  private static org.apache.hadoop.fs.Path dest(TabletFixture f) {
    return sync.dest(f);
  }

  static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  static List<SubtaskStatus> awaitStatus(SyncTasks tasks, String table, Predicate<List<SubtaskStatus>> done)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    List<SubtaskStatus> last = List.of();
    while (System.nanoTime() < deadline) {
      try {
        last = await(tasks.status()).stream().filter(s -> s.table().equals(table)).toList();
        if (done.test(last)) {
          return last;
        }
      } catch (ExecutionException e) {
        // a singleton or shard is (re)starting
      }
      Thread.sleep(100);
    }
    throw new AssertionError("status of " + table + " never reached the expected state; last: " + last);
  }

  /**
   * Mode 0: waits until the task itself says it is gone (every subtask succeeded). Asked directly, not through the
   * registry: a task missing from the overall status could also be one that never started.
   */
  static void awaitCompleted(SyncTasks tasks, String db, String table) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    TaskStatus last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = await(tasks.status(db, table));
        if (last.subtasks().isEmpty()) {
          return;
        }
      } catch (ExecutionException e) {
        // the entity is (re)starting
      }
      Thread.sleep(100);
    }
    throw new AssertionError("task " + db + "." + table + " never completed; last: " + last);
  }

  /** Every partition's committed rows are exactly what the fixture says mode {@code mode} must produce. */
  static void assertExactlyOnce(FileSystem fs, org.apache.hadoop.fs.Path dest, TabletFixture f, int mode,
      long startTs) throws Exception {
    for (int pid = 0; pid < f.partitionCount(); pid++) {
      DestFiles.assertExactlyOnce(fs, dest, f.tid(), pid, Tablets.expectedIds(f, pid, mode, startTs));
    }
  }

  /** Waits until every partition has committed as many rows as the fixture expects. */
  private static void awaitCaughtUp(TabletFixture f, int mode, long startTs) throws Exception {
    awaitStatus(tasks, f.tableInfo().getName(), s -> s.size() == f.partitionCount() && s.stream().allMatch(
        x -> x.rows() == f.expectedRows(x.pid(), mode, startTs).size()));
  }

  @ParameterizedTest
  @EnumSource(OutputFormat.class)
  void fullSyncCommitsSnapshotAndBinlogExactlyOnce(OutputFormat format) throws Exception {
    int tid = 200 + format.ordinal();
    try (TabletFixture f = Tablets.table(work.resolve("tablets"), "full_" + format.extension(), tid, PARTITIONS,
        zk.client())) {
      Tablets.write(f, 0, 900, Tablets.T0);
      Tablets.snapshot(f);
      Tablets.write(f, 900, 150, Tablets.T0 + 60_000);
      await(tasks.create(spec(f, TaskSpec.MODE_FULL, 0, format)));
      // a small mode-0 task may finish within one status poll, so the test does not insist on seeing it run
      awaitCompleted(tasks, "db1", f.tableInfo().getName());
      awaitStatus(tasks, f.tableInfo().getName(), List::isEmpty); // mode 0: the task removes itself when done
      if (format == OutputFormat.ICEBERG) {
        IcebergOutput.assertExactlyOnce(hdfs.configuration(), dest(f).toString(), f, TaskSpec.MODE_FULL, 0);
      } else {
        assertExactlyOnce(hdfs.fileSystem(), dest(f), f, TaskSpec.MODE_FULL, 0);
      }
    }
  }

  @Test
  void incrementalSyncSkipsOlderRowsAndFollowsTheBinlog() throws Exception {
    long startTs = Tablets.T0 + 30 * 60_000;
    try (TabletFixture f = Tablets.table(work.resolve("tablets"), "incremental", 210, PARTITIONS, zk.client())) {
      Tablets.write(f, 0, 400, Tablets.T0);
      Tablets.write(f, 400, 200, Tablets.T0 + 3_600_000);
      Tablets.snapshot(f);
      Tablets.write(f, 600, 100, Tablets.T0 - 60_000); // older than startTs: skipped
      Tablets.write(f, 700, 100, Tablets.T0 + 7_200_000);
      await(tasks.create(spec(f, TaskSpec.MODE_INCREMENTAL_BY_TIMESTAMP, startTs, OutputFormat.PARQUET)));
      awaitCaughtUp(f, TaskSpec.MODE_INCREMENTAL_BY_TIMESTAMP, startTs);
      Tablets.write(f, 800, 150, Tablets.T0 + 7_300_000);
      Tablets.write(f, 950, 50, Tablets.T0 - 120_000);
      awaitCaughtUp(f, TaskSpec.MODE_INCREMENTAL_BY_TIMESTAMP, startTs);
      await(tasks.delete("db1", "incremental"));
      awaitStatus(tasks, "incremental", List::isEmpty);
      assertExactlyOnce(hdfs.fileSystem(), dest(f), f, TaskSpec.MODE_INCREMENTAL_BY_TIMESTAMP, startTs);
    }
  }

  /**
   * Four partitions commit into one Iceberg table in HDFS at once: a 300 ms roll interval while rows keep arriving,
   * so the subtasks' optimistic commits conflict and are retried. Every row once, every (subtask, seq) once, and
   * the commits of different partitions interleave in the table's history.
   */
  @Test
  void fourPartitionsCommitConcurrentlyIntoOneIcebergTable() throws Exception {
    int partitions = 4;
    try (TabletFixture f = Tablets.table(work.resolve("tablets"), "concurrent_iceberg", 230, partitions,
        zk.client())) {
      Tablets.write(f, 0, 400, Tablets.T0);
      Tablets.snapshot(f);
      TaskSpec spec = new TaskSpec("db1", "concurrent_iceberg", TaskSpec.MODE_FULL_AND_CONTINUOUS, 0,
          dest(f).toString(), OutputFormat.ICEBERG,
          new RollPolicy(1 << 20, Duration.ofMillis(300), Duration.ofMillis(100)));
      await(tasks.create(spec));
      for (int batch = 0; batch < 12; batch++) {
        Tablets.write(f, 1_000 + batch * 40L, 40, Tablets.T0 + 10_000 + batch);
        Thread.sleep(150);
      }
      awaitCaughtUp(f, TaskSpec.MODE_FULL_AND_CONTINUOUS, 0);
      await(tasks.delete("db1", "concurrent_iceberg"));
      awaitStatus(tasks, "concurrent_iceberg", List::isEmpty);
      IcebergOutput.assertExactlyOnce(hdfs.configuration(), dest(f).toString(), f, TaskSpec.MODE_FULL_AND_CONTINUOUS,
          0);
      List<Integer> pids = IcebergCommitter.history(IcebergOutput.table(hdfs.configuration(), dest(f).toString(),
          "concurrent_iceberg")).stream().map(CommitMark::pid).toList();
      assertEquals(partitions, Set.copyOf(pids).size(), "every partition committed: " + pids);
      long switches = java.util.stream.IntStream.range(1, pids.size()).filter(i -> !pids.get(i).equals(pids.get(i - 1)))
          .count();
      assertTrue(switches >= partitions, "commits of the partitions interleave: " + pids);
    }
  }

  /**
   * Mode 2 into an Iceberg table partitioned by {@code day(ts)} in HDFS: rows of five days, three in the snapshot
   * and two appended while the task runs; every row once, each data file of one day only, in its day's directory.
   */
  @Test
  void modeTwoIntoAnIcebergTablePartitionedByDay() throws Exception {
    int mode = TaskSpec.MODE_FULL_AND_CONTINUOUS;
    try (TabletFixture f = Tablets.table(work.resolve("tablets"), "iceberg_by_day", 240, PARTITIONS, zk.client())) {
      for (int day = 0; day < 3; day++) {
        Tablets.write(f, day * 100L, 100, Tablets.T0 + day * 86_400_000L);
      }
      Tablets.snapshot(f);
      await(tasks.create(spec(f, mode, 0, OutputFormat.ICEBERG).withPartitionBy(PartitionBy.parse("ts:day"))));
      for (int day = 3; day < 5; day++) {
        Tablets.write(f, day * 100L, 100, Tablets.T0 + day * 86_400_000L);
      }
      awaitCaughtUp(f, mode, 0);
      await(tasks.delete("db1", "iceberg_by_day"));
      awaitStatus(tasks, "iceberg_by_day", List::isEmpty);
      IcebergOutput.assertExactlyOnce(hdfs.configuration(), dest(f).toString(), f, mode, 0);
      Table table = IcebergOutput.table(hdfs.configuration(), dest(f).toString(), "iceberg_by_day");
      assertEquals("ts_day", table.spec().fields().get(0).name());
      assertEquals(5, IcebergTestRows.assertOneDayPerFile(table, "ts").size());

      TaskVerifier.Report ok = await(tasks.verify("db1", "iceberg_by_day"));
      assertTrue(ok.ok(), String.join("\n", ok.lines()) + "\n" + ok.problems());
      DataFile file;
      try (CloseableIterable<FileScanTask> files = table.newScan().planFiles()) {
        file = files.iterator().next().file();
      }
      table.newAppend().appendFile(file).commit(); // a data file appended twice: its rows count twice
      assertTrue(await(tasks.verify("db1", "iceberg_by_day")).problems().toString().contains("more than once"));
      table.newDelete().deleteFile(file.location()).commit(); // and then lost
      List<String> lost = await(tasks.verify("db1", "iceberg_by_day")).problems();
      assertTrue(lost.toString().contains("rows missing") || lost.toString().contains("HOLE"), lost.toString());
    }
  }

  @Test
  void continuousSyncTailsTheBinlogAcrossFileRolls() throws Exception {
    try (TabletFixture f = Tablets.table(work.resolve("tablets"), "continuous", 220, PARTITIONS, zk.client())) {
      Tablets.write(f, 0, 600, Tablets.T0);
      Tablets.snapshot(f);
      Tablets.write(f, 600, 90, Tablets.T0 + 1_000);
      await(tasks.create(spec(f, TaskSpec.MODE_FULL_AND_CONTINUOUS, 0, OutputFormat.CSV)));
      awaitCaughtUp(f, TaskSpec.MODE_FULL_AND_CONTINUOUS, 0);
      for (int batch = 0; batch < 4; batch++) {
        Tablets.write(f, 1_000 + batch * 100L, 100, Tablets.T0 + 10_000 + batch);
        if (batch == 1) {
          for (int pid = 0; pid < PARTITIONS; pid++) {
            f.rollBinlog(pid);
          }
        }
        Thread.sleep(150);
      }
      awaitCaughtUp(f, TaskSpec.MODE_FULL_AND_CONTINUOUS, 0);
      List<SubtaskStatus> running = awaitStatus(tasks, "continuous",
          s -> s.stream().allMatch(x -> x.state() == SubtaskState.RUNNING));
      assertTrue(running.stream().allMatch(s -> s.collectorHost().equals("127.0.0.1")), running.toString());
      await(tasks.delete("db1", "continuous"));
      awaitStatus(tasks, "continuous", List::isEmpty);
      assertExactlyOnce(hdfs.fileSystem(), dest(f), f, TaskSpec.MODE_FULL_AND_CONTINUOUS, 0);
    }
  }
}
