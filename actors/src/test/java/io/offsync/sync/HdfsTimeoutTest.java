package io.offsync.sync;

import static io.offsync.sync.EndToEndTest.assertExactlyOnce;
import static io.offsync.sync.EndToEndTest.await;
import static io.offsync.sync.EndToEndTest.awaitStatus;

import com.typesafe.config.ConfigFactory;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.RollPolicy;
import io.offsync.testkit.MiniHdfs;
import io.offsync.testkit.TabletFixture;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.server.datanode.DataNodeFaultInjector;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hung HDFS must not hang a subtask: {@code offsync.sync.fs-call-timeout} (2 s here) bounds every file-system
 * call. The hangs are real: the only DataNode of a MiniDFSCluster stops acknowledging packets (its own fault
 * injection hook blocks the responder), so hflush/hsync wait; or the NameNode's namespace lock is held, so a
 * rename waits. The Hadoop client is configured to wait ten minutes for a DataNode and forever for the NameNode,
 * so only offsync's own bound can fail the stream within the test. Once the hang is over, the sync catches up and
 * every row is committed exactly once.
 */
@ExtendWith(LogCapturingExtension.class)
class HdfsTimeoutTest {

  private static final int MODE = TaskSpec.MODE_FULL_AND_CONTINUOUS;

  @TempDir static Path work;
  private static SyncCluster sync;
  private static MiniHdfs hdfs;
  private static SyncTasks tasks;
  private static final AtomicBoolean hangNameNodeAtNextRename = new AtomicBoolean();
  private static final CountDownLatch nameNodeLocked = new CountDownLatch(1);
  private static final CountDownLatch releaseNameNode = new CountDownLatch(1);

  @BeforeAll
  static void start() {
    Configuration patient = new Configuration(false);
    patient.set("dfs.client.socket-timeout", "600000"); // a DataNode that stops acknowledging: 10 min
    patient.set("ipc.client.rpc-timeout.ms", "0"); // a NameNode that answers pings but not calls: forever
    var config = EndToEndTest.nodeConfig(work).withFallback(ConfigFactory.parseString("""
        offsync.sync {
          fs-call-timeout = 2 s
          retry.max-retries = 1000
        }
        """));
    CommitFaults lockNameNodeBeforeRename = (step, tid, pid, seq) -> {
      if (step == CommitFaults.Step.JOURNALED && hangNameNodeAtNextRename.compareAndSet(true, false)) {
        Thread holder = new Thread(() -> {
          hdfs.cluster().getNamesystem().writeLock();
          try {
            nameNodeLocked.countDown();
            releaseNameNode.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            hdfs.cluster().getNamesystem().writeUnlock();
          }
        }, "namenode-lock-holder");
        holder.setDaemon(true);
        holder.start();
        try {
          nameNodeLocked.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    sync = SyncCluster.start("HdfsTimeoutTest", work, config, patient,
        env -> env.withFaults(lockNameNodeBeforeRename));
    hdfs = sync.hdfs;
    tasks = sync.tasks;
  }

  @AfterAll
  static void stop() {
    releaseNameNode.countDown();
    if (sync != null) {
      sync.close();
    }
  }

  /** A DataNode fault injection that holds every acknowledgement while hung. */
  private static final class HeldAcks extends DataNodeFaultInjector {
    private boolean hung = true;

    synchronized void release() {
      hung = false;
      notifyAll();
    }

    @Override
    public synchronized void delaySendingAckToUpstream(String upstream) throws IOException {
      while (hung) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private static org.apache.hadoop.fs.Path dest(TabletFixture f) {
    return sync.dest(f);
  }

  private static TabletFixture startSync(String name, int tid) throws Exception {
    TabletFixture f = Tablets.table(work.resolve("tablets"), name, tid, 2, sync.zk.client());
    Tablets.write(f, 0, 300, Tablets.T0);
    Tablets.snapshot(f);
    Tablets.write(f, 300, 100, Tablets.T0 + 1_000);
    await(tasks.create(new TaskSpec("db1", name, MODE, 0, dest(f).toString(), OutputFormat.CSV,
        new RollPolicy(16 * 1024, Duration.ofSeconds(30), Duration.ofMillis(300)))));
    awaitCaughtUp(f);
    return f;
  }

  private static List<SubtaskStatus> awaitCaughtUp(TabletFixture f) throws Exception {
    return awaitStatus(tasks, f.tableInfo().getName(), s -> s.size() == f.partitionCount() && s.stream().allMatch(
        x -> x.state() == SubtaskState.RUNNING && x.rows() == f.expectedRows(x.pid(), MODE, 0).size()));
  }

  private static long failures(String table) throws Exception {
    return awaitStatus(tasks, table, s -> s.size() == 2).stream().mapToLong(SubtaskStatus::streamFailures).sum();
  }

  /** Waits until the subtasks of {@code table} counted more stream failures than {@code before}. */
  private static void awaitFailureAfter(String table, long before) throws Exception {
    awaitStatus(tasks, table, s -> s.stream().mapToLong(SubtaskStatus::streamFailures).sum() > before);
  }

  private static void finish(TabletFixture f) throws Exception {
    String name = f.tableInfo().getName();
    await(tasks.delete("db1", name));
    awaitStatus(tasks, name, List::isEmpty);
    assertExactlyOnce(hdfs.fileSystem(), dest(f), f, MODE, 0);
  }

  @Test
  void aDataNodeThatStopsAcknowledgingFailsTheStreamWithinTheBound() throws Exception {
    try (TabletFixture f = startSync("hung_datanode", 250)) {
      long before = failures("hung_datanode");
      DataNodeFaultInjector original = DataNodeFaultInjector.get();
      HeldAcks held = new HeldAcks();
      DataNodeFaultInjector.set(held);
      try {
        Tablets.write(f, 1_000, 200, Tablets.T0 + 10_000);
        awaitFailureAfter("hung_datanode", before);
      } finally {
        held.release();
        DataNodeFaultInjector.set(original);
      }
      Tablets.write(f, 2_000, 200, Tablets.T0 + 20_000);
      awaitCaughtUp(f);
      finish(f);
    }
  }

  @Test
  void aNameNodeThatHangsDuringTheRenameFailsTheCommitWithinTheBound() throws Exception {
    try (TabletFixture f = startSync("hung_namenode", 251)) {
      long before = failures("hung_namenode");
      hangNameNodeAtNextRename.set(true);
      try {
        Tablets.write(f, 1_000, 200, Tablets.T0 + 10_000);
        awaitFailureAfter("hung_namenode", before);
      } finally {
        releaseNameNode.countDown();
      }
      Tablets.write(f, 2_000, 200, Tablets.T0 + 20_000);
      awaitCaughtUp(f);
      finish(f);
    }
  }
}
