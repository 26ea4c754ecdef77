package io.offsync.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.offsync.collector.Collector;
import io.offsync.protocol.zk.TableMetadata;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.RollPolicy;
import io.offsync.testkit.EmbeddedZooKeeper;
import io.offsync.testkit.LocalCluster;
import io.offsync.testkit.TabletFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Crash recovery end to end: a real collector node stays up while the synctool node is killed (its ActorSystem
 * terminated from inside the commit protocol, through {@link CommitFaults}) at each step, then a new synctool node
 * starts on the same H2 journal file, which may first lose its last events (deleted from the journal table, as H2
 * lost them after a kill -9 before WRITE_DELAY=0, or a journal restored from an older backup). The mode 0 sync of
 * a multi-partition testkit table still commits exactly the expected rows, and no tmp file is left in the
 * destination. The same for an Iceberg table (Hadoop catalog on the local file system), where RENAMED is the point
 * between the Iceberg commit and its journal event and commits the journal lost are adopted from the snapshot
 * summaries: the table's snapshots hold every row once and no unreferenced data file is left.
 */
@ExtendWith(LogCapturingExtension.class)
class EndToEndCrashTest {

  @TempDir static Path work;
  private static Config JOURNAL;
  private static EmbeddedZooKeeper zk;
  private static TableMetadata metadata;
  private static LocalCluster collectors;

  @BeforeAll
  static void start() {
    JOURNAL = EndToEndTest.nodeConfig(work);
    zk = EmbeddedZooKeeper.start();
    metadata = new TableMetadata(zk.client(), "/openmldb");
    collectors = LocalCluster.start("EndToEndCrashTest", EndToEndTest.nodeConfig(work),
        List.of(EndToEndTest.COLLECTOR_ROLES));
    Collector.init(collectors.system(0));
  }

  @AfterAll
  static void stop() throws Exception {
    collectors.close();
    metadata.close();
    zk.close();
  }

  /** A synctool node joining the collector's cluster, on the shared H2 journal. */
  private static ActorSystem<Void> synctoolNode() {
    return synctoolNode("EndToEndCrashTest", EndToEndTest.nodeConfig(work), collectors);
  }

  /** A synctool node of cluster {@code name} with {@code config}, joined to {@code collectors}. */
  static ActorSystem<Void> synctoolNode(String name, Config config, LocalCluster collectors) {
    ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), name, LocalCluster.nodeConfig(config,
        Set.of("synctool")));
    LocalCluster.joinAndAwaitUp(s, Cluster.get(collectors.system(0)).selfMember().address(), Duration.ofSeconds(30));
    return s;
  }

  /**
   * @param step where the node dies: in the commit of partition 1's second file
   * @param lost how many of partition 1's last events the journal loses before the restart: the commit in
   *     progress, the file before (then adopted from the destination), or both
   */
  @ParameterizedTest(name = "{2}: killed at {0}, journal loses {1} events")
  @CsvSource({"ROLLED, 0, PARQUET", "ROLLED, 2, PARQUET", "JOURNALED, 0, PARQUET", "JOURNALED, 1, PARQUET",
      "RENAMED, 0, PARQUET", "RENAMED, 1, PARQUET", "RENAMED, 3, PARQUET",
      "ROLLED, 0, ICEBERG", "JOURNALED, 1, ICEBERG", "RENAMED, 0, ICEBERG", "RENAMED, 3, ICEBERG"})
  void aSynctoolKilledAtAnyCommitStepRestartsAndCommitsExactlyOnce(CommitFaults.Step step, int lost,
      OutputFormat format) throws Exception {
    String name = "crash_" + step.name().toLowerCase() + "_" + lost + "_" + format.extension();
    int tableId = 300 + step.ordinal() * 10 + lost + (format == OutputFormat.ICEBERG ? 50 : 0);
    try (TabletFixture f = Tablets.table(work.resolve("tablets"), name, tableId, 3, zk.client())) {
      Tablets.write(f, 0, 1_200, Tablets.T0);
      Tablets.snapshot(f);
      Tablets.write(f, 1_200, 300, Tablets.T0 + 60_000);
      Path dest = work.resolve("dest-" + name);
      TaskSpec spec = new TaskSpec("db1", name, TaskSpec.MODE_FULL, 0, dest.toUri().toString(), format,
          new RollPolicy(4 * 1024, Duration.ofSeconds(30), Duration.ofMillis(300)));

      ActorSystem<Void> first = synctoolNode();
      CompletableFuture<Void> crashed = new CompletableFuture<>();
      CommitFaults killAtStep = (at, tid, pid, seq) -> {
        if (at == step && pid == 1 && seq == 1) {
          crashed.complete(null);
          CompletableFuture.runAsync(first::terminate);
          throw new CommitFaults.Halt("synctool killed at " + at);
        }
      };
      SyncTasks tasks = SyncTasks.start(first,
          SyncEnvironment.of(NodeSessions.metadata(zk.connectString(), first), new Configuration())
              .withFaults(killAtStep));
      EndToEndTest.await(tasks.create(spec));
      crashed.get(60, TimeUnit.SECONDS);
      first.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      long committed = format == OutputFormat.ICEBERG
          ? IcebergOutput.commits(new Configuration(), dest.toUri().toString(), name, 1)
          : DestFiles.committed(FileSystem.getLocal(new Configuration()), new org.apache.hadoop.fs.Path(dest.toUri()),
              f.tid(), 1).size();
      assertTrue(committed <= 2, "partition 1 stopped at the crash");
      String subtask = JournalTail.subtask(spec.key(), 1, 1);
      int events = JournalTail.count(JOURNAL, subtask);
      assertEquals(Math.min(lost, events), JournalTail.dropLast(JOURNAL, subtask, lost));

      ActorSystem<Void> second = synctoolNode();
      try {
        SyncTasks again = SyncTasks.start(second,
            SyncEnvironment.of(NodeSessions.metadata(zk.connectString(), second), new Configuration()));
        EndToEndTest.awaitCompleted(again, "db1", name); // mode 0: removed once every partition committed
        if (format == OutputFormat.ICEBERG) {
          IcebergOutput.assertExactlyOnce(new Configuration(), dest.toUri().toString(), f, TaskSpec.MODE_FULL, 0);
          assertEquals(List.of(), IcebergOutput.unreferencedDataFiles(new Configuration(), dest.toUri().toString(),
              name), "no uncommitted data file is left");
          assertVerified(again, name);
        } else {
          EndToEndTest.assertExactlyOnce(FileSystem.getLocal(new Configuration()),
              new org.apache.hadoop.fs.Path(dest.toUri()), f, TaskSpec.MODE_FULL, 0);
          assertVerified(again, name);
        }
      } finally {
        second.terminate();
        second.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
    }
  }

  /** The verify command finds the task's output consistent with its journal. */
  private static void assertVerified(SyncTasks tasks, String table) throws Exception {
    TaskVerifier.Report report = EndToEndTest.await(tasks.verify("db1", table));
    assertTrue(report.ok(), String.join("\n", report.lines()) + "\n" + String.join("\n", report.problems()));
  }

  /**
   * Issue 8, the exact sequence: a binlog file of partition 1 is renamed to its final name, the node dies, the
   * journal loses the commit's events (its tail), new rows arrive, the node restarts and writes the same sequence
   * again from the older journaled position. The committed file must be adopted (journal fast-forwarded to its end)
   * and never be confirmed over with the new attempt's end position: each row once, none missing.
   */
  @Test
  void aCommitTheJournalLostIsAdoptedNotOverwrittenNorSkipped() throws Exception {
    String name = "lost_tail";
    int mode = TaskSpec.MODE_FULL_AND_CONTINUOUS;
    try (TabletFixture f = Tablets.table(work.resolve("tablets"), name, 390, 2, zk.client())) {
      Tablets.write(f, 0, 300, Tablets.T0);
      Tablets.snapshot(f);
      Tablets.write(f, 300, 150, Tablets.T0 + 60_000);
      Path dest = work.resolve("dest-" + name);
      TaskSpec spec = new TaskSpec("db1", name, mode, 0, dest.toUri().toString(), OutputFormat.PARQUET,
          new RollPolicy(1 << 20, Duration.ofSeconds(30), Duration.ofSeconds(1)));

      ActorSystem<Void> first = synctoolNode();
      CompletableFuture<Long> crashed = new CompletableFuture<>();
      CommitFaults killAfterRename = (at, tid, pid, seq) -> {
        if (at == CommitFaults.Step.RENAMED && pid == 1 && seq >= 1 && crashed.complete(seq)) {
          CompletableFuture.runAsync(first::terminate);
          throw new CommitFaults.Halt("synctool killed after renaming file " + seq);
        }
      };
      SyncTasks tasks = SyncTasks.start(first,
          SyncEnvironment.of(NodeSessions.metadata(zk.connectString(), first), new Configuration())
              .withFaults(killAfterRename));
      EndToEndTest.await(tasks.create(spec));
      long seq = crashed.get(60, TimeUnit.SECONDS);
      first.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      FileSystem fs = FileSystem.getLocal(new Configuration());
      org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(dest.toUri());
      assertEquals(seq + 1, DestFiles.committed(fs, out, f.tid(), 1).size(), "the file was renamed");
      assertEquals(1, JournalTail.dropLast(JOURNAL, JournalTail.subtask(spec.key(), 1, 1), 1),
          "the journal loses FileCommitting of file " + seq);
      Tablets.write(f, 450, 150, Tablets.T0 + 120_000); // so the new attempt's file differs from the committed one

      ActorSystem<Void> second = synctoolNode();
      try {
        SyncTasks again = SyncTasks.start(second,
            SyncEnvironment.of(NodeSessions.metadata(zk.connectString(), second), new Configuration()));
        EndToEndTest.awaitStatus(again, name, s -> s.size() == 2 && s.stream().allMatch(
            x -> x.rows() == f.expectedRows(x.pid(), mode, 0).size()));
        EndToEndTest.await(again.delete("db1", name));
        EndToEndTest.awaitStatus(again, name, java.util.List::isEmpty);
        EndToEndTest.assertExactlyOnce(fs, out, f, mode, 0);
        assertVerified(again, name);

        org.apache.hadoop.fs.Path adopted = DestFiles.committed(fs, out, f.tid(), 1).get((int) seq);
        assertTrue(fs.rename(adopted, new org.apache.hadoop.fs.Path(dest.getParent().toUri().toString(),
            "moved-away")));
        TaskVerifier.Report broken = EndToEndTest.await(again.verify("db1", name));
        assertTrue(!broken.ok() && broken.problems().stream().anyMatch(
            p -> p.contains("HOLE") && p.contains(adopted.getName())), broken.toString());
      } finally {
        second.terminate();
        second.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
    }
  }
}
