package io.offsync.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.stream.Stream;
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
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Crash recovery end to end: a real collector node stays up while the synctool node is killed (its ActorSystem
 * terminated from inside the commit protocol, through {@link CommitFaults}) at each step, then a new synctool node
 * starts on the same H2 journal file. The mode 0 sync of a multi-partition testkit table still commits exactly
 * the expected rows, and no tmp file is left in the destination. The same for an Iceberg table (Hadoop catalog on
 * the local file system), where step RENAMED is the point between the Iceberg commit and its journal event: the
 * table's snapshots hold every row once and no uncommitted data file is left.
 */
@ExtendWith(LogCapturingExtension.class)
class EndToEndCrashTest {

  @TempDir static Path work;
  private static EmbeddedZooKeeper zk;
  private static TableMetadata metadata;
  private static LocalCluster collectors;

  @BeforeAll
  static void start() {
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
    ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), "EndToEndCrashTest",
        LocalCluster.nodeConfig(EndToEndTest.nodeConfig(work), Set.of("synctool")));
    LocalCluster.joinAndAwaitUp(s, Cluster.get(collectors.system(0)).selfMember().address(), Duration.ofSeconds(30));
    return s;
  }

  static Stream<Arguments> stepsAndFormats() {
    return Stream.of(OutputFormat.PARQUET, OutputFormat.ICEBERG)
        .flatMap(format -> Stream.of(CommitFaults.Step.values()).map(step -> Arguments.of(step, format)));
  }

  @ParameterizedTest
  @MethodSource("stepsAndFormats")
  void aSynctoolKilledAtAnyCommitStepRestartsAndCommitsExactlyOnce(CommitFaults.Step step, OutputFormat format)
      throws Exception {
    String name = "crash_" + step.name().toLowerCase() + "_" + format.extension();
    int tableId = 300 + step.ordinal() + 10 * format.ordinal();
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

      ActorSystem<Void> second = synctoolNode();
      try {
        SyncTasks again = SyncTasks.start(second,
            SyncEnvironment.of(NodeSessions.metadata(zk.connectString(), second), new Configuration()));
        EndToEndTest.awaitCompleted(again, "db1", name); // mode 0: removed once every partition committed
        if (format == OutputFormat.ICEBERG) {
          IcebergOutput.assertExactlyOnce(new Configuration(), dest.toUri().toString(), f, TaskSpec.MODE_FULL, 0);
          assertEquals(List.of(), IcebergOutput.unreferencedDataFiles(new Configuration(), dest.toUri().toString(), name), "no uncommitted data file is left");
        } else {
          EndToEndTest.assertExactlyOnce(FileSystem.getLocal(new Configuration()),
              new org.apache.hadoop.fs.Path(dest.toUri()), f, TaskSpec.MODE_FULL, 0);
        }
      } finally {
        second.terminate();
        second.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
    }
  }
}
