package io.offsync.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.offsync.collector.RowPack;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.zk.TableMetadata;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.PartitionBy;
import io.offsync.sink.RollPolicy;
import io.offsync.testkit.LocalCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.TestingServer;
import org.apache.hadoop.conf.Configuration;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Table tasks through the {@link SyncTasks} facade on a real one-node Pekko cluster (role synctool) with the
 * H2 file journal, real ZooKeeper metadata and a local file system destination; rows come from {@link RowFeed}.
 * One node serves the tests that need no crash; each crash test runs its own nodes on its own journal.
 * Covers the refusals, mode 0 completion, delete and recreate, pause and resume, and crash recovery: the whole
 * ActorSystem terminated at each step of the commit protocol and started again on the same H2 file.
 */
@ExtendWith(LogCapturingExtension.class)
class SyncTasksTest {

  private static final int ROWS = 400;

  private static TestingServer zkServer;
  private static CuratorFramework zk;
  private static TableMetadata metadata;
  private static final AtomicInteger tids = new AtomicInteger(100);

  @TempDir Path tmp;
  @TempDir static Path shared;
  private final List<ActorSystem<Void>> systems = new ArrayList<>();

  /** Row feeds of the shared node's tables, by tid. */
  private static final Map<Integer, RowSource> feeds = new ConcurrentHashMap<>();
  private static ActorSystem<Void> sharedNode;
  private static SyncTasks sharedTasks;

  @BeforeAll
  static void startZooKeeper() throws Exception {
    zkServer = new TestingServer(true);
    zk = CuratorFrameworkFactory.newClient(zkServer.getConnectString(), new ExponentialBackoffRetry(100, 3));
    zk.start();
    metadata = new TableMetadata(zk, "/openmldb");
    sharedNode = node(shared, "SyncTasksTest");
    RowSource byTable = new RowSource() {
      @Override
      public CompletionStage<Source<RowPack, NotUsed>> open(OpenRequest request) {
        return feeds.get(request.tid()).open(request);
      }

      @Override
      public Optional<String> unavailable(String host) {
        return host.equals("10.9.9.9") ? Optional.of("no live collector on host " + host) : Optional.empty();
      }
    };
    sharedTasks = SyncTasks.start(sharedNode, SyncEnvironment.of(metadata, new Configuration(), s -> byTable));
  }

  @AfterAll
  static void stopZooKeeper() throws Exception {
    sharedNode.terminate();
    sharedNode.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    metadata.close();
    zk.close();
    zkServer.close();
  }

  @AfterEach
  void stopSystems() throws Exception {
    for (ActorSystem<Void> s : systems) {
      s.terminate();
      s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static NS.TableInfo register(String table, int partitions, Common.StorageMode storage) throws Exception {
    return register(RowFeed.table("db1", table, tids.incrementAndGet(), partitions, storage));
  }

  private static NS.TableInfo register(NS.TableInfo info) throws Exception {
    zk.create().creatingParentsIfNeeded().forPath(metadata.layout().tableInfo(info.getTid()), info.toByteArray());
    return info;
  }

  /**
   * A node of its own one-node cluster on this test's journal. Its system name differs from the shared node's,
   * so that their leases (named after the system) do not collide in the shared ZooKeeper.
   */
  private ActorSystem<Void> node() {
    ActorSystem<Void> system = node(tmp, "SyncTasksTestNode");
    systems.add(system);
    return system;
  }

  private static ActorSystem<Void> node(Path dir, String name) {
    Config config = JournalConfig.h2(dir.resolve("journal"))
        .withFallback(ConfigFactory.parseString("""
            pekko {
              actor.provider = cluster
              remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
              cluster.roles = [synctool]
              cluster.jmx.multi-mbeans-in-same-jvm = on
              coordinated-shutdown.exit-jvm = off
            }
            offsync.sync {
              init-timeout = 2 s
              retry { min-backoff = 20 ms, max-backoff = 200 ms, max-retries = 5 }
              restart { min-backoff = 20 ms, max-backoff = 200 ms }
            }
            """))
        .withFallback(ConfigFactory.load());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), name, config);
    LocalCluster.joinAndAwaitUp(system, Cluster.get(system).selfMember().address(), Duration.ofSeconds(20));
    return system;
  }

  /** Starts tasks on a node of its own, with a ZooKeeper session of its own that ends with the node. */
  private SyncTasks start(ActorSystem<Void> system, RowSource rows, CommitFaults faults) {
    SyncEnvironment env = SyncEnvironment.of(NodeSessions.metadata(zkServer.getConnectString(), system),
        new Configuration(), s -> rows).withFaults(faults);
    return SyncTasks.start(system, env);
  }

  private static TaskSpec spec(NS.TableInfo t, int mode, OutputFormat format) {
    return new TaskSpec(t.getDb(), t.getName(), mode, 0, dest(t).toUri().toString(), format,
        new RollPolicy(3_000, Duration.ofSeconds(60), Duration.ofMillis(300)));
  }

  private static Path dest(NS.TableInfo t) {
    return shared.resolve("dest-" + t.getName());
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static String refusal(java.util.concurrent.CompletionStage<?> stage) {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> stage.toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof SyncTaskException, "refusals are SyncTaskExceptions: " + e.getCause());
    return e.getCause().getMessage();
  }

  /** Polls status until {@code done} holds for the subtasks of {@code table}. */
  private static List<SubtaskStatus> awaitStatus(SyncTasks tasks, String table,
      java.util.function.Predicate<List<SubtaskStatus>> done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    List<SubtaskStatus> last = List.of();
    while (System.nanoTime() < deadline) {
      try {
        last = await(tasks.status()).stream().filter(s -> s.table().equals(table)).toList();
        if (done.test(last)) {
          return last;
        }
      } catch (ExecutionException e) {
        // the registry or an entity is still starting
      }
      sleep(100);
    }
    throw new AssertionError("status of " + table + " never reached the expected state; last: " + last);
  }

  private static void assertExactlyOnce(NS.TableInfo t, int partitions, int copies) throws Exception {
    for (int pid = 0; pid < partitions; pid++) {
      List<Long> want = new ArrayList<>();
      for (int c = 0; c < copies; c++) {
        want.addAll(RowFeed.ids(pid, ROWS));
      }
      DestFiles.assertExactlyOnce(dest(t), t.getTid(), pid, want);
    }
  }

  @Test
  void createRefusesWhatCannotBeSynced() throws Exception {
    NS.TableInfo memory = register("mem", 1, Common.StorageMode.kMemory);
    NS.TableInfo disk = register("disk", 1, Common.StorageMode.kHDD);
    feeds.put(disk.getTid(), new RowFeed(ROWS, 10, false));
    SyncTasks tasks = sharedTasks;

    assertTrue(refusal(tasks.create(new TaskSpec("db1", "nope", 0, 0, tmp.toUri().toString(), OutputFormat.CSV,
        RollPolicy.DEFAULT))).contains("table db1.nope does not exist"));
    assertTrue(refusal(tasks.create(spec(memory, 0, OutputFormat.CSV)))
        .contains("only SSD and HDD tables can be synced"));
    assertTrue(refusal(tasks.create(spec(disk, 3, OutputFormat.CSV))).contains("mode must be 0"));
    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    assertTrue(refusal(tasks.create(new TaskSpec("db1", "disk", 0, 0, file.toUri().toString(), OutputFormat.CSV,
        RollPolicy.DEFAULT))).contains("is a file, not a directory"));
    NS.TableInfo far = register(RowFeed.table("db1", "far", tids.incrementAndGet(), 2, Common.StorageMode.kSSD,
        "10.9.9.9"));
    assertTrue(refusal(tasks.create(spec(far, 0, OutputFormat.CSV)))
        .contains("no live collector on host 10.9.9.9"));

    assertTrue(refusal(tasks.create(spec(disk, 0, OutputFormat.CSV).withPartitionBy(PartitionBy.parse("name:day"))))
        .contains("cannot partition db1.disk by name:day: column 'name' is string"));
    assertTrue(refusal(tasks.create(spec(disk, 0, OutputFormat.CSV).withPartitionBy(PartitionBy.parse("ts"))))
        .contains("cannot partition db1.disk by 'ts': no such column (columns: [id, name"));
    assertTrue(refusal(tasks.create(spec(disk, 0, OutputFormat.ICEBERG).withPartitionBy(PartitionBy.parse("id"))))
        .contains("Iceberg's hour, day and month transforms take a timestamp or date column, and 'id' is long"));

    await(tasks.create(spec(disk, 2, OutputFormat.CSV)));
    assertTrue(refusal(tasks.create(spec(disk, 2, OutputFormat.CSV))).contains("already exists"));
    assertTrue(refusal(tasks.delete("db1", "nope")).contains("no sync task for db1.nope"));
    await(tasks.delete("db1", "disk"));
  }

  @Test
  void fullSyncCommitsEveryPartitionExactlyOnceAndThenRemovesTheTask() throws Exception {
    NS.TableInfo t = register("full", 3, Common.StorageMode.kSSD);
    feeds.put(t.getTid(), new RowFeed(ROWS, 9, true));
    SyncTasks tasks = sharedTasks;
    await(tasks.create(spec(t, TaskSpec.MODE_FULL, OutputFormat.PARQUET)));
    EndToEndTest.awaitCompleted(tasks, "db1", "full");
    assertExactlyOnce(t, 3, 1);
    assertEquals(List.of(), await(tasks.tasks()));
  }

  @Test
  void deleteKeepsCommittedFilesAndARecreatedTaskStartsFreshWithoutOverwriting() throws Exception {
    NS.TableInfo t = register("again", 2, Common.StorageMode.kSSD);
    feeds.put(t.getTid(), new RowFeed(ROWS, 9, false));
    SyncTasks tasks = sharedTasks;
    await(tasks.create(spec(t, TaskSpec.MODE_FULL_AND_CONTINUOUS, OutputFormat.CSV)));
    awaitStatus(tasks, "again", s -> s.size() == 2 && s.stream().allMatch(x -> x.rows() == ROWS));
    await(tasks.delete("db1", "again"));
    awaitStatus(tasks, "again", List::isEmpty);
    assertExactlyOnce(t, 2, 1);

    await(tasks.create(spec(t, TaskSpec.MODE_FULL_AND_CONTINUOUS, OutputFormat.CSV)));
    List<SubtaskStatus> second = awaitStatus(tasks, "again",
        s -> s.size() == 2 && s.stream().allMatch(x -> x.rows() == ROWS && x.state() == SubtaskState.RUNNING));
    assertTrue(second.stream().allMatch(s -> s.incarnation() == 2), "second incarnation: " + second);
    await(tasks.pause("db1", "again"));
    awaitStatus(tasks, "again", s -> s.stream().allMatch(x -> x.state() == SubtaskState.PAUSED));
    await(tasks.resume("db1", "again"));
    awaitStatus(tasks, "again", s -> s.stream().allMatch(x -> x.state() == SubtaskState.RUNNING));
    await(tasks.delete("db1", "again"));
    awaitStatus(tasks, "again", List::isEmpty);
    assertExactlyOnce(t, 2, 2);
  }

  @Test
  void aNodeKilledRightAfterCreateListsTheTaskInItsFirstStatusAfterRestart() throws Exception {
    NS.TableInfo t = register("listed", 2, Common.StorageMode.kSSD);
    RowFeed feed = new RowFeed(ROWS, 9, false);
    ActorSystem<Void> first = node();
    SyncTasks tasks = start(first, feed, CommitFaults.NONE);
    await(tasks.create(spec(t, TaskSpec.MODE_FULL_AND_CONTINUOUS, OutputFormat.CSV)));
    first.terminate();
    first.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);

    SyncTasks again = start(node(), feed, CommitFaults.NONE);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    List<String> listed = null;
    while (listed == null && System.nanoTime() < deadline) {
      try {
        listed = await(again.tasks());
      } catch (ExecutionException e) {
        sleep(100); // the registry singleton is still starting
      }
    }
    assertEquals(List.of("db1.listed"), listed, "the registry's first answer lists the task");
    awaitStatus(again, "listed", s -> s.size() == 2);
  }

  @ParameterizedTest
  // MEMBER_RENAMED is a step of groups of time-partitioned files only: PartitionedOutputTest
  @EnumSource(value = CommitFaults.Step.class, names = "MEMBER_RENAMED", mode = EnumSource.Mode.EXCLUDE)
  void aNodeKilledAtAnyCommitStepRestartsOnTheSameJournalWithExactlyOnceOutput(CommitFaults.Step step)
      throws Exception {
    NS.TableInfo t = register("crash" + step.name().toLowerCase(), 3, Common.StorageMode.kSSD);
    RowFeed feed = new RowFeed(ROWS, 9, true);
    ActorSystem<Void> first = node();
    CompletableFuture<Void> crashed = new CompletableFuture<>();
    CommitFaults crash = (at, tid, pid, seq) -> {
      if (at == step && pid == 1 && seq == 2) {
        crashed.complete(null);
        CompletableFuture.runAsync(first::terminate);
        throw new CommitFaults.Halt("node killed at " + at);
      }
    };
    SyncTasks tasks = start(first, feed, crash);
    await(tasks.create(spec(t, TaskSpec.MODE_FULL, OutputFormat.CSV)));
    crashed.get(30, TimeUnit.SECONDS);
    first.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertTrue(DestFiles.committed(org.apache.hadoop.fs.FileSystem.getLocal(new Configuration()),
        new org.apache.hadoop.fs.Path(dest(t).toUri()), t.getTid(), 1).size() <= 3, "the crash stopped partition 1");

    ActorSystem<Void> second = node();
    SyncTasks again = start(second, feed, CommitFaults.NONE);
    EndToEndTest.awaitCompleted(again, "db1", t.getName());
    assertExactlyOnce(t, 3, 1);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
