package io.offsync.sync;

import static io.offsync.sync.EndToEndTest.assertExactlyOnce;
import static io.offsync.sync.EndToEndTest.await;
import static io.offsync.sync.EndToEndTest.awaitStatus;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.RollPolicy;
import io.offsync.testkit.TabletFixture;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.protocol.LocatedBlocks;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * HDFS faults under a continuous (mode 2) sync into a MiniDFSCluster with a single DataNode, so that every fault
 * breaks every write in flight: the DataNode and then the NameNode are restarted while rows are appended and a part
 * file is open. The subtasks fail their streams, reopen from their journaled positions, and the committed files
 * hold every row exactly once with no tmp file left.
 */
@ExtendWith(LogCapturingExtension.class)
class HdfsFaultTest {

  private static final int PARTITIONS = 2;
  private static final int MODE = TaskSpec.MODE_FULL_AND_CONTINUOUS;

  @TempDir static Path work;
  private static SyncCluster sync;

  @BeforeAll
  static void start() {
    // a restart takes seconds on a loaded machine: the retry budget must outlast it (the default's does)
    sync = SyncCluster.start("HdfsFaultTest", work, EndToEndTest.nodeConfig(work).withFallback(
        ConfigFactory.parseString("offsync.sync.retry.max-retries = 100")), new Configuration(false), env -> env);
  }

  @AfterAll
  static void stop() {
    if (sync != null) {
      sync.close();
    }
  }

  private static List<SubtaskStatus> awaitCaughtUp(TabletFixture f) throws Exception {
    return awaitStatus(sync.tasks, f.tableInfo().getName(), s -> s.size() == f.partitionCount() && s.stream().allMatch(
        x -> x.state() == SubtaskState.RUNNING && x.rows() == f.expectedRows(x.pid(), MODE, 0).size()));
  }

  /**
   * Appends rows from id {@code first} on until a part file being written has a block on the DataNode (the writer
   * buffers 64 KiB before it sends anything, and only then opens a pipeline); returns the next free id.
   */
  private static long writeUntilPipelineOpen(TabletFixture f, long first) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    long id = first;
    while (!pipelineOpen(sync.dest(f))) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no part file being written ever had a block in " + sync.dest(f));
      }
      Tablets.write(f, id, 300, Tablets.T0 + 10_000);
      id += 300;
      Thread.sleep(50);
    }
    return id;
  }

  private static boolean pipelineOpen(org.apache.hadoop.fs.Path dest) throws IOException {
    DistributedFileSystem dfs = (DistributedFileSystem) sync.hdfs.fileSystem();
    for (org.apache.hadoop.fs.Path tmp : DestFiles.tmpFiles(dfs, dest)) {
      try {
        LocatedBlocks blocks = dfs.getClient().getLocatedBlocks(tmp.toUri().getPath(), 0);
        if (blocks != null && blocks.isUnderConstruction() && blocks.getLastLocatedBlock() != null) {
          return true;
        }
      } catch (FileNotFoundException e) {
        // rolled meanwhile
      }
    }
    return false;
  }

  @Test
  void dataNodeAndNameNodeRestartsLoseAndDuplicateNothing() throws Exception {
    try (TabletFixture f = Tablets.table(work.resolve("tablets"), "hdfs_restarts", 230, PARTITIONS, sync.zk.client())) {
      Tablets.write(f, 0, 500, Tablets.T0);
      Tablets.snapshot(f);
      Tablets.write(f, 500, 100, Tablets.T0 + 1_000);
      await(sync.tasks.create(new TaskSpec("db1", "hdfs_restarts", MODE, 0, sync.dest(f).toString(), OutputFormat.CSV,
          new RollPolicy(8 * 1024 * 1024, Duration.ofSeconds(30), Duration.ofSeconds(1)))));
      awaitCaughtUp(f);

      // a part file has an open pipeline when the DataNode goes away: it breaks, the stream must fail and reopen
      long id = writeUntilPipelineOpen(f, 1_000);
      sync.hdfs.cluster().restartDataNode(0, true);
      Tablets.write(f, id, 200, Tablets.T0 + 20_000);
      sync.hdfs.cluster().waitActive();
      Tablets.write(f, id + 200, 200, Tablets.T0 + 30_000);
      List<SubtaskStatus> after = awaitCaughtUp(f);
      assertTrue(after.stream().mapToLong(SubtaskStatus::streamFailures).sum() > 0,
          "the DataNode restart broke no stream, so it tested nothing: " + after);

      id = writeUntilPipelineOpen(f, id + 400);
      sync.hdfs.cluster().restartNameNode(true);
      Tablets.write(f, id, 200, Tablets.T0 + 50_000);
      sync.hdfs.cluster().waitActive();
      Tablets.write(f, id + 200, 200, Tablets.T0 + 60_000);
      awaitCaughtUp(f);

      await(sync.tasks.delete("db1", "hdfs_restarts"));
      awaitStatus(sync.tasks, "hdfs_restarts", List::isEmpty);
      assertExactlyOnce(sync.hdfs.fileSystem(), sync.dest(f), f, MODE, 0);
    }
  }
}
