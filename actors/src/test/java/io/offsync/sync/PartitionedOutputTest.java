package io.offsync.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.offsync.collector.Collector;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.zk.TableMetadata;
import io.offsync.sink.CommitRecord;
import io.offsync.sink.CommittedFile;
import io.offsync.sink.FileNames;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.PartitionBy;
import io.offsync.sink.PartitionedFiles;
import io.offsync.sink.RollPolicy;
import io.offsync.testkit.EmbeddedZooKeeper;
import io.offsync.testkit.LocalCluster;
import io.offsync.testkit.TabletFixture;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Time-partitioned Parquet and CSV output end to end (issue 12): a real collector node and synctool node sync a
 * multi-partition table whose partitioning column holds values on both sides of day and hour boundaries and NULLs.
 * The files are read back by readers that are not offsync's (parquet-hadoop's example Group reader; the CSV text
 * split by hand): every row is in exactly one file, in the directory of its own UTC day or hour (NULL in
 * {@code __HIVE_DEFAULT_PARTITION__}), no file outside the partition directories, no group holds more files than
 * the bound ({@code max-open-partition-files = 3}, plus what one small pack adds), and verify finds the output
 * consistent, then names the file of a group that is deleted. The crash test kills the synctool between the
 * renames of a group, with and without the journal losing the group's FileCommitting.
 */
@ExtendWith(LogCapturingExtension.class)
class PartitionedOutputTest {

  /** 2026-12-05T00:00:00Z. */
  private static final long MIDNIGHT = 1_796_428_800_000L;
  private static final long DAY = 86_400_000L;
  private static final int BOUND = 3;
  private static final int ROWS = 600;

  @TempDir static Path work;
  private static Config config;
  private static EmbeddedZooKeeper zk;
  private static TableMetadata metadata;
  private static LocalCluster collectors;

  @BeforeAll
  static void start() {
    config = ConfigFactory.parseString("offsync.collector.max-pack-size = 200 B\n"
        + "offsync.sync.max-open-partition-files = " + BOUND).withFallback(EndToEndTest.nodeConfig(work));
    zk = EmbeddedZooKeeper.start();
    metadata = new TableMetadata(zk.client(), "/openmldb");
    collectors = LocalCluster.start("PartitionedOutputTest", config, List.of(EndToEndTest.COLLECTOR_ROLES));
    Collector.init(collectors.system(0));
  }

  @AfterAll
  static void stop() throws Exception {
    collectors.close();
    metadata.close();
    zk.close();
  }

  private static ActorSystem<Void> synctoolNode() {
    return EndToEndCrashTest.synctoolNode("PartitionedOutputTest", config, collectors);
  }

  /** A synctool node with the default bound: fewer, larger groups (the crash test needs no bound). */
  private static ActorSystem<Void> unboundedNode() {
    return EndToEndCrashTest.synctoolNode("PartitionedOutputTest", ConfigFactory.parseString(
        "offsync.sync.max-open-partition-files = 32").withFallback(config), collectors);
  }

  /**
   * The partitioning column's value of row {@code id}: runs of 100 ids around one of six midnights (alternately the
   * last millisecond of the day before and the first of the day), NULL for every 97th row.
   */
  private static Long eventTime(long id) {
    return id % 97 == 0 ? null : MIDNIGHT + ((id / 100) % 6) * DAY - (id % 2);
  }

  private static TabletFixture table(String name, int tid) {
    TabletFixture f = TabletFixture.builder(work.resolve("tablets")).db("db1").table(name).tid(tid).partitions(2)
        .column("id", Type.DataType.kBigInt)
        .column("user", Type.DataType.kString)
        .column("ts", Type.DataType.kTimestamp)
        .column("event_time", Type.DataType.kTimestamp)
        .column("event_ms", Type.DataType.kBigInt)
        .index("by_user", "ts", "user")
        .build();
    f.register(zk.client(), "/openmldb");
    for (long id = 0; id < ROWS; id++) {
      Long event = eventTime(id);
      f.putAt(Tablets.T0 + id, id, "user_" + (id % 17), Tablets.T0 + id, event, event);
      if (id == ROWS / 2) {
        f.flush();
        Tablets.snapshot(f); // half in the snapshot, half in the binlog
      }
    }
    f.flush();
    return f;
  }

  /** Every row's partition directory as Hive and Spark name it, computed here with java.time. */
  private static String expectedDirectory(String field, long id, DateTimeFormatter unit) {
    Long v = eventTime(id);
    return field + "=" + (v == null ? "__HIVE_DEFAULT_PARTITION__"
        : unit.format(Instant.ofEpochMilli(v).atOffset(ZoneOffset.UTC)));
  }

  @ParameterizedTest(name = "{0} by {1}")
  @CsvSource({"PARQUET, event_time:day, uuuu-MM-dd", "CSV, event_ms:hour, uuuu-MM-dd-HH"})
  void partitionedFilesHoldEveryRowOnceInItsOwnPartition(OutputFormat format, String by, String unit)
      throws Exception {
    String name = "parts_" + format.extension();
    PartitionBy partitionBy = PartitionBy.parse(by);
    try (TabletFixture f = table(name, 700 + format.ordinal())) {
      Path dest = work.resolve("dest-" + name);
      TaskSpec spec = new TaskSpec("db1", name, TaskSpec.MODE_FULL, 0, dest.toUri().toString(), format,
          new RollPolicy(1 << 20, Duration.ofSeconds(30), Duration.ofMillis(300)), partitionBy);
      ActorSystem<Void> node = synctoolNode();
      try {
        SyncTasks tasks = SyncTasks.start(node,
            SyncEnvironment.of(NodeSessions.metadata(zk.connectString(), node), new Configuration()));
        EndToEndTest.await(tasks.create(spec));
        EndToEndTest.awaitCompleted(tasks, "db1", name);
        Map<Long, String> dirs = readBack(dest, format, partitionBy.field());
        DateTimeFormatter fmt = DateTimeFormatter.ofPattern(unit);
        for (long id = 0; id < ROWS; id++) {
          assertEquals(expectedDirectory(partitionBy.field(), id, fmt), dirs.get(id), "row " + id);
        }
        assertEquals(ROWS, dirs.size(), "every row once");
        assertGroupsWithinTheBound(dest, format);
        TaskVerifier.Report report = EndToEndTest.await(tasks.verify("db1", name));
        assertTrue(report.ok(), String.join("\n", report.lines()) + "\n" + String.join("\n", report.problems()));

        FileSystem fs = FileSystem.getLocal(new Configuration());
        org.apache.hadoop.fs.Path marker = FileNames.groupPath(new org.apache.hadoop.fs.Path(dest.toUri()), f.tid(),
            0, 0, format);
        CommitRecord.GroupPart lost = CommittedFile.read(fs, marker).orElseThrow().record().group().get(0);
        fs.delete(PartitionedFiles.memberFinal(marker, lost.partition()), false);
        report = EndToEndTest.await(tasks.verify("db1", name));
        assertTrue(String.join("\n", report.problems()).contains("HOLE: " + lost.partition() + "/"
            + FileNames.name(f.tid(), 0, 0, format) + " of group 0 (" + lost.rows() + " rows)"),
            String.join("\n", report.problems()));
      } finally {
        node.terminate();
        node.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * @param lost how many of partition 1's last events the journal loses before the restart: 0 = the group's
   *     FileCommitting is journaled (rolled forward from the journal), 1 = it is lost (rolled forward from the
   *     group's marker, then adopted)
   */
  @ParameterizedTest(name = "journal loses {0} events")
  @CsvSource({"0", "1"})
  void aSynctoolKilledBetweenTheRenamesOfAGroupRollsItForward(int lost) throws Exception {
    String name = "parts_crash_" + lost;
    try (TabletFixture f = table(name, 710 + lost)) {
      Path dest = work.resolve("dest-" + name);
      TaskSpec spec = new TaskSpec("db1", name, TaskSpec.MODE_FULL, 0, dest.toUri().toString(),
          OutputFormat.PARQUET, new RollPolicy(1 << 20, Duration.ofSeconds(30), Duration.ofMillis(300)),
          PartitionBy.parse("event_time:day"));
      ActorSystem<Void> first = unboundedNode();
      CompletableFuture<Void> crashed = new CompletableFuture<>();
      CommitFaults killBetweenRenames = (at, tid, pid, seq) -> {
        if (at == CommitFaults.Step.MEMBER_RENAMED && pid == 1 && seq == 1 && crashed.complete(null)) {
          CompletableFuture.runAsync(first::terminate);
          throw new CommitFaults.Halt("synctool killed after the first rename of group " + seq);
        }
      };
      SyncTasks tasks = SyncTasks.start(first,
          SyncEnvironment.of(NodeSessions.metadata(zk.connectString(), first), new Configuration())
              .withFaults(killBetweenRenames));
      EndToEndTest.await(tasks.create(spec));
      crashed.get(60, TimeUnit.SECONDS);
      first.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      FileSystem fs = FileSystem.getLocal(new Configuration());
      org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(dest.toUri());
      org.apache.hadoop.fs.Path marker = FileNames.groupPath(out, f.tid(), 1, 1, OutputFormat.PARQUET);
      CommitRecord group = CommittedFile.read(fs, marker).orElseThrow().record();
      long renamed = group.group().stream().filter(p -> exists(fs, PartitionedFiles.memberFinal(marker,
          p.partition()))).count();
      assertTrue(renamed >= 1 && renamed < group.group().size(), "killed between the renames of " + group);
      String subtask = JournalTail.subtask(spec.key(), 1, 1);
      assertEquals(lost, JournalTail.dropLast(config, subtask, lost));

      ActorSystem<Void> second = unboundedNode();
      try {
        SyncTasks again = SyncTasks.start(second,
            SyncEnvironment.of(NodeSessions.metadata(zk.connectString(), second), new Configuration()));
        EndToEndTest.awaitCompleted(again, "db1", name);
        Map<Long, String> dirs = readBack(dest, OutputFormat.PARQUET, "event_time_day");
        assertEquals(ROWS, dirs.size(), "every row once");
        TaskVerifier.Report report = EndToEndTest.await(again.verify("db1", name));
        assertTrue(report.ok(), String.join("\n", report.lines()) + "\n" + String.join("\n", report.problems()));
      } finally {
        second.terminate();
        second.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
    }
  }

  private static boolean exists(FileSystem fs, org.apache.hadoop.fs.Path p) {
    try {
      return fs.exists(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Reads every part file under {@code dest}'s partition directories with a reader that is not offsync's and
   * returns each row id's directory; fails on a row seen twice and on a part file outside the directories.
   */
  private static Map<Long, String> readBack(Path dest, OutputFormat format, String field) throws Exception {
    Configuration conf = new Configuration();
    FileSystem fs = FileSystem.getLocal(conf);
    Map<Long, String> dirs = new HashMap<>();
    for (FileStatus top : fs.listStatus(new org.apache.hadoop.fs.Path(dest.toUri()))) {
      String dir = top.getPath().getName();
      if (dir.startsWith("_") || dir.startsWith(".")) {
        continue; // _tmp, _groups: hidden from Hive and Spark, as offsync's own
      }
      assertTrue(top.isDirectory() && dir.startsWith(field + "="), "only partition directories in dest: " + dir);
      for (FileStatus file : fs.listStatus(top.getPath())) {
        if (file.getPath().getName().startsWith(".")) {
          continue; // a CSV file's hidden commit record
        }
        for (long id : ids(fs, file.getPath(), format)) {
          String before = dirs.put(id, dir);
          assertEquals(null, before, "row " + id + " in " + dir + "/" + file.getPath().getName() + " and " + before);
        }
      }
    }
    return dirs;
  }

  private static List<Long> ids(FileSystem fs, org.apache.hadoop.fs.Path file, OutputFormat format)
      throws Exception {
    List<Long> ids = new ArrayList<>();
    if (format == OutputFormat.PARQUET) {
      try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), file).withConf(fs.getConf())
          .build()) {
        for (Group g = r.read(); g != null; g = r.read()) {
          ids.add(g.getLong("id", 0));
        }
      }
    } else {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(fs.open(file), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          ids.add(Long.parseLong(line.substring(0, line.indexOf(','))));
        }
      }
    }
    return ids;
  }

  /**
   * The bound rolled groups, and every group's marker names at most the bound's files plus the new partition
   * values of the pack that reached it: a group rolls at the end of that pack, and a 200-byte pack holds at most
   * 4 rows of this table (each row is at least 46 bytes: header, bitmap, four 8-byte fields, a string), so a group
   * holds at most {@code BOUND - 1 + 4} files.
   */
  private static void assertGroupsWithinTheBound(Path dest, OutputFormat format) throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    Map<String, Integer> sizes = new TreeMap<>();
    for (FileStatus st : fs.listStatus(new org.apache.hadoop.fs.Path(dest.toUri().toString(), "_groups"))) {
      CommitRecord r = CommittedFile.read(fs, st.getPath()).orElseThrow().record();
      sizes.put(st.getPath().getName(), r.group().size());
    }
    assertTrue(sizes.values().stream().anyMatch(n -> n >= BOUND), "the bound rolled groups: " + sizes);
    assertTrue(sizes.values().stream().allMatch(n -> n <= BOUND + 3), "groups within the bound: " + sizes);
  }
}
