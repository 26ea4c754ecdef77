package io.offsync.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.offsync.collector.RowPack;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.zk.TableMetadata;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.RollPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.TestingServer;
import org.apache.hadoop.conf.Configuration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The subtask state machine and commit protocol against a real local file system, real ZooKeeper metadata and
 * the in-memory journal of the persistence testkit (which also round-trips every event through Jackson CBOR).
 * Rows come from {@link RowFeed}, a source of real OpenMLDB-encoded rows that resumes from any position; the
 * collector itself is exercised by the end-to-end tests.
 */
@ExtendWith(LogCapturingExtension.class)
class SubtaskTest {

  private static final int TID = 7;
  private static final int ROWS = 600;

  private static TestingServer zkServer;
  private static CuratorFramework zk;
  private static TableMetadata metadata;
  private static ActorTestKit kit;
  private static SyncSettings settings;
  private static final AtomicInteger incarnations = new AtomicInteger();

  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    zkServer = new TestingServer(true);
    zk = CuratorFrameworkFactory.newClient(zkServer.getConnectString(), new ExponentialBackoffRetry(100, 3));
    zk.start();
    metadata = new TableMetadata(zk, "/openmldb");
    zk.create().creatingParentsIfNeeded().forPath(metadata.layout().tableInfo(TID), RowFeed.table(TID).toByteArray());
    kit = ActorTestKit.create("SubtaskTest", PersistenceTestKitPlugin.getInstance().config()
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.parseString("""
            offsync.sync {
              init-timeout = 1 s
              leader-check-interval = 200 ms
              retry { min-backoff = 20 ms, max-backoff = 100 ms, max-retries = 3 }
              restart { min-backoff = 20 ms, max-backoff = 100 ms }
            }
            """))
        .withFallback(ConfigFactory.load()));
    settings = SyncSettings.fromConfig(kit.system().settings().config());
  }

  @AfterAll
  static void stop() throws Exception {
    kit.shutdownTestKit();
    metadata.close();
    zk.close();
    zkServer.close();
  }

  private SubtaskSpec spec(int mode, OutputFormat format) {
    TaskSpec task = new TaskSpec("db1", "t1", mode, 0, tmp.resolve("dest").toUri().toString(), format,
        new RollPolicy(2_000, Duration.ofSeconds(60), Duration.ofMillis(300)));
    return new SubtaskSpec(task, incarnations.incrementAndGet(), TID, 0, 0);
  }

  private ActorRef<Subtask.Command> spawn(SubtaskSpec spec, RowSource rows, CommitFaults faults,
      TestProbe<SubtaskStatus> probe) {
    SyncEnvironment env = SyncEnvironment.of(metadata, new Configuration(), s -> rows).withFaults(faults);
    return kit.spawn(Subtask.create(spec, env, settings, rows, probe.getRef()));
  }

  private static SubtaskStatus awaitState(TestProbe<SubtaskStatus> probe, SubtaskState state) {
    return probe.fishForMessage(Duration.ofSeconds(20), s -> s.state() == state
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore())
        .get(0);
  }

  @Test
  void fullModeCommitsEveryRowExactlyOnceAndSucceeds() throws Exception {
    SubtaskSpec spec = spec(TaskSpec.MODE_FULL, OutputFormat.CSV);
    TestProbe<SubtaskStatus> probe = kit.createTestProbe();
    spawn(spec, new RowFeed(ROWS, 7, true), CommitFaults.NONE, probe);
    SubtaskStatus done = awaitState(probe, SubtaskState.SUCCESS);
    assertEquals(ROWS, done.rows());
    assertEquals(new BinlogPosition(ROWS + 1), done.position());
    assertTrue(done.files() > 3, "small roll size makes several files: " + done.files());
    assertEquals(1, done.streamOpens());
    assertEquals(0, done.streamFailures());
    DestFiles.assertExactlyOnce(tmp.resolve("dest"), TID, 0, RowFeed.ids(ROWS));
  }

  @ParameterizedTest
  // MEMBER_RENAMED is a step of groups of time-partitioned files only: PartitionedOutputTest
  @EnumSource(value = CommitFaults.Step.class, names = "MEMBER_RENAMED", mode = EnumSource.Mode.EXCLUDE)
  void aFailedCommitStepIsRetriedWithoutLossOrDuplicates(CommitFaults.Step step) throws Exception {
    SubtaskSpec spec = spec(TaskSpec.MODE_FULL, OutputFormat.CSV);
    TestProbe<SubtaskStatus> probe = kit.createTestProbe();
    AtomicInteger thrown = new AtomicInteger();
    CommitFaults faults = (at, tid, pid, seq) -> {
      if (at == step && seq == 2 && thrown.getAndIncrement() == 0) {
        throw new IllegalStateException("injected fault at " + at);
      }
    };
    spawn(spec, new RowFeed(ROWS, 7, true), faults, probe);
    SubtaskStatus done = awaitState(probe, SubtaskState.SUCCESS);
    assertTrue(thrown.get() > 0, "the fault fired");
    assertEquals(ROWS, done.rows());
    DestFiles.assertExactlyOnce(tmp.resolve("dest"), TID, 0, RowFeed.ids(ROWS));
  }

  @ParameterizedTest
  // MEMBER_RENAMED is a step of groups of time-partitioned files only: PartitionedOutputTest
  @EnumSource(value = CommitFaults.Step.class, names = "MEMBER_RENAMED", mode = EnumSource.Mode.EXCLUDE)
  void aSubtaskThatDiesBetweenStepsRecoversFromItsJournal(CommitFaults.Step step) throws Exception {
    SubtaskSpec spec = spec(TaskSpec.MODE_FULL, OutputFormat.PARQUET);
    TestProbe<SubtaskStatus> probe = kit.createTestProbe();
    CompletableFuture<Void> halted = new CompletableFuture<>();
    CommitFaults dieAtSeq3 = (at, tid, pid, seq) -> {
      if (at == step && seq == 3) {
        halted.complete(null);
        throw new CommitFaults.Halt("simulated crash at " + at);
      }
    };
    ActorRef<Subtask.Command> first = spawn(spec, new RowFeed(ROWS, 7, true), dieAtSeq3, probe);
    halted.get(20, java.util.concurrent.TimeUnit.SECONDS);
    kit.stop(first);
    TestProbe<SubtaskStatus> probe2 = kit.createTestProbe();
    spawn(spec, new RowFeed(ROWS, 7, true), CommitFaults.NONE, probe2);
    SubtaskStatus done = awaitState(probe2, SubtaskState.SUCCESS);
    assertEquals(ROWS, done.rows());
    DestFiles.assertExactlyOnce(tmp.resolve("dest"), TID, 0, RowFeed.ids(ROWS));
  }

  @Test
  void aSourceThatKeepsFailingEndsFailedWithTheReason() {
    SubtaskSpec spec = spec(TaskSpec.MODE_FULL_AND_CONTINUOUS, OutputFormat.CSV);
    TestProbe<SubtaskStatus> probe = kit.createTestProbe();
    RowSource broken = r -> CompletableFuture.failedFuture(new IllegalStateException("collector on " + r.host()
        + " refused: disk on fire"));
    spawn(spec, broken, CommitFaults.NONE, probe);
    awaitState(probe, SubtaskState.REASSIGNING);
    SubtaskStatus failed = awaitState(probe, SubtaskState.FAILED);
    assertTrue(failed.reason().contains("disk on fire"), failed.reason());
    assertTrue(failed.reason().contains("gave up after 3 retries"), failed.reason());
    assertEquals(4, failed.streamFailures(), "the first try and 3 retries failed");
    assertEquals(0, failed.streamOpens(), "no stream ever opened");
  }

  /** Opens: the first delivers a few packs and then fails mid-stream; later ones fail until {@code healthy}. */
  private static RowSource failingUntil(RowFeed feed, AtomicBoolean healthy, AtomicInteger opens) {
    return r -> {
      if (opens.getAndIncrement() == 0) {
        return feed.open(r).thenApply(src -> src.take(3)
            .concat(Source.failed(new IllegalStateException("collector lost mid-stream"))));
      }
      return healthy.get() ? feed.open(r)
          : CompletableFuture.failedFuture(new IllegalStateException("no live collector on host " + r.host()));
    };
  }

  @Test
  void aFailedSubtaskResumesFromItsJournaledPositionOnResume() throws Exception {
    SubtaskSpec spec = spec(TaskSpec.MODE_FULL, OutputFormat.CSV);
    TestProbe<SubtaskStatus> probe = kit.createTestProbe();
    AtomicBoolean healthy = new AtomicBoolean();
    AtomicInteger opens = new AtomicInteger();
    ActorRef<Subtask.Command> subtask = spawn(spec, failingUntil(new RowFeed(ROWS, 7, true), healthy, opens),
        CommitFaults.NONE, probe);
    SubtaskStatus failed = awaitState(probe, SubtaskState.FAILED);
    assertTrue(failed.reason().contains("no live collector"), failed.reason());
    healthy.set(true);
    subtask.tell(Subtask.Resume.INSTANCE);
    SubtaskStatus done = awaitState(probe, SubtaskState.SUCCESS);
    assertEquals(ROWS, done.rows());
    DestFiles.assertExactlyOnce(tmp.resolve("dest"), TID, 0, RowFeed.ids(ROWS));
  }

  @Test
  void aFailedSubtaskResumesByItselfAfterTheFailedBackoff() throws Exception {
    SubtaskSpec spec = spec(TaskSpec.MODE_FULL, OutputFormat.CSV);
    TestProbe<SubtaskStatus> probe = kit.createTestProbe();
    AtomicBoolean healthy = new AtomicBoolean();
    AtomicInteger opens = new AtomicInteger();
    SyncSettings quickRetry = SyncSettings.fromConfig(ConfigFactory.parseString(
        "offsync.sync.retry { failed-min-backoff = 500 ms, failed-max-backoff = 1 s }")
        .withFallback(kit.system().settings().config()));
    RowSource rows = failingUntil(new RowFeed(ROWS, 7, true), healthy, opens);
    SyncEnvironment env = SyncEnvironment.of(metadata, new Configuration(), s -> rows);
    kit.spawn(Subtask.create(spec, env, quickRetry, rows, probe.getRef()));
    awaitState(probe, SubtaskState.FAILED);
    healthy.set(true);
    SubtaskStatus done = awaitState(probe, SubtaskState.SUCCESS);
    assertEquals(ROWS, done.rows());
    DestFiles.assertExactlyOnce(tmp.resolve("dest"), TID, 0, RowFeed.ids(ROWS));
  }

  @Test
  void aStreamThatDeliversNothingIsReopened() throws Exception {
    SubtaskSpec spec = spec(TaskSpec.MODE_FULL, OutputFormat.CSV);
    TestProbe<SubtaskStatus> probe = kit.createTestProbe();
    AtomicInteger opens = new AtomicInteger();
    RowFeed feed = new RowFeed(ROWS, 7, true);
    RowSource silentFirst = r -> opens.getAndIncrement() == 0
        ? CompletableFuture.completedFuture(Source.<RowPack>never().mapMaterializedValue(m -> org.apache.pekko.NotUsed.getInstance()))
        : feed.open(r);
    spawn(spec, silentFirst, CommitFaults.NONE, probe);
    awaitState(probe, SubtaskState.REASSIGNING);
    SubtaskStatus done = awaitState(probe, SubtaskState.SUCCESS);
    assertEquals(2, opens.get());
    assertEquals(2, done.streamOpens(), "status counts the reopen");
    assertEquals(ROWS, done.rows());
    DestFiles.assertExactlyOnce(tmp.resolve("dest"), TID, 0, RowFeed.ids(ROWS));
  }

  @Test
  void aMovedLeaderIsFollowedToItsNewMachine() throws Exception {
    int tid = 8;
    zk.create().creatingParentsIfNeeded().forPath(metadata.layout().tableInfo(tid), RowFeed.table(tid).toByteArray());
    SubtaskSpec base = spec(TaskSpec.MODE_FULL_AND_CONTINUOUS, OutputFormat.CSV);
    SubtaskSpec spec = new SubtaskSpec(base.task(), base.incarnation(), tid, 0, 0);
    TestProbe<SubtaskStatus> probe = kit.createTestProbe();
    java.util.Set<String> hosts = java.util.concurrent.ConcurrentHashMap.newKeySet();
    RowFeed feed = new RowFeed(ROWS, 7, false, Duration.ofMillis(5));
    RowSource recordingHosts = r -> {
      hosts.add(r.host());
      return feed.open(r);
    };
    ActorRef<Subtask.Command> subtask = spawn(spec, recordingHosts, CommitFaults.NONE, probe);
    awaitState(probe, SubtaskState.RUNNING);
    NS.TableInfo moved = RowFeed.table("db1", "t1", tid, 1, Common.StorageMode.kSSD, "127.0.0.2");
    zk.setData().forPath(metadata.layout().tableInfo(tid), moved.toByteArray());
    SubtaskStatus reassigning = awaitState(probe, SubtaskState.REASSIGNING);
    assertTrue(reassigning.reason().contains("moved from 127.0.0.1 to 127.0.0.2"), reassigning.reason());
    probe.fishForMessage(Duration.ofSeconds(20), st -> st.state() == SubtaskState.RUNNING
        && st.collectorHost().equals("127.0.0.2") && st.rows() == ROWS
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());
    assertEquals(java.util.Set.of("127.0.0.1", "127.0.0.2"), hosts);
    kit.stop(subtask);
    DestFiles.assertExactlyOnce(tmp.resolve("dest"), tid, 0, RowFeed.ids(ROWS));
  }

  @Test
  void pauseStopsReadingAndResumeContinuesFromTheJournal() throws Exception {
    SubtaskSpec spec = spec(TaskSpec.MODE_FULL_AND_CONTINUOUS, OutputFormat.CSV);
    TestProbe<SubtaskStatus> probe = kit.createTestProbe();
    RowFeed feed = new RowFeed(ROWS, 7, false);
    ActorRef<Subtask.Command> subtask = spawn(spec, feed, CommitFaults.NONE, probe);
    awaitState(probe, SubtaskState.RUNNING);
    subtask.tell(Subtask.Pause.INSTANCE);
    awaitState(probe, SubtaskState.PAUSED);
    subtask.tell(Subtask.Resume.INSTANCE);
    awaitState(probe, SubtaskState.RUNNING);
    TestProbe<SubtaskStatus> asked = kit.createTestProbe();
    asked.awaitAssert(Duration.ofSeconds(20), () -> {
      subtask.tell(new Subtask.GetStatus(asked.getRef()));
      assertEquals(ROWS, asked.receiveMessage().rows());
      return null;
    });
    kit.stop(subtask);
    DestFiles.assertExactlyOnce(tmp.resolve("dest"), TID, 0, RowFeed.ids(ROWS));
  }

  /**
   * At step ROLLED of file 2, another writer (a zombie node, or a commit the journal lost) puts its own file 2 under
   * the final name: the first {@code takenRows} rows of ours, with a record naming {@code owner}. Returns the
   * fault and the text of that file.
   */
  private static CommitFaults anotherWriterTakesFile2(Path dest, String owner, int takenRows,
      CompletableFuture<String> taken) {
    return (at, tid, pid, seq) -> {
      if (at != CommitFaults.Step.ROLLED || seq != 2 || taken.isDone()) {
        return;
      }
      try {
        Path ours;
        try (var tmpFiles = java.nio.file.Files.list(dest.resolve("_tmp"))) {
          ours = tmpFiles.filter(f -> f.getFileName().toString().startsWith("part-7-0-0000000002.csv.")).findFirst()
              .orElseThrow();
        }
        java.util.List<String> lines = java.nio.file.Files.readAllLines(ours).subList(0, takenRows);
        long first = Long.parseLong(lines.get(0).substring(0, lines.get(0).indexOf(',')));
        Path fin = dest.resolve("part-7-0-0000000002.csv");
        String text = String.join("\n", lines) + "\n";
        io.offsync.sink.CommitRecord record = new io.offsync.sink.CommitRecord(owner, TID, 0, 2, "zombie",
            new BinlogPosition(first + 1), new BinlogPosition(first + takenRows + 1), takenRows);
        java.util.Properties p = new java.util.Properties();
        p.putAll(record.toMetadata());
        try (var w = java.nio.file.Files.newBufferedWriter(dest.resolve("." + fin.getFileName() + ".commit"))) {
          p.store(w, null);
        }
        java.nio.file.Files.writeString(fin, text);
        taken.complete(text);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    };
  }

  @Test
  void aFinalNameTakenAtCommitIsAdoptedWhenItsRecordContinuesTheJournal() throws Exception {
    SubtaskSpec spec = spec(TaskSpec.MODE_FULL, OutputFormat.CSV);
    Path dest = tmp.resolve("dest");
    CompletableFuture<String> taken = new CompletableFuture<>();
    TestProbe<SubtaskStatus> probe = kit.createTestProbe();
    spawn(spec, new RowFeed(ROWS, 7, true), anotherWriterTakesFile2(dest, spec.subtaskId(), 5, taken), probe);
    SubtaskStatus done = awaitState(probe, SubtaskState.SUCCESS);
    assertEquals(ROWS, done.rows());
    assertEquals(taken.get(), java.nio.file.Files.readString(dest.resolve("part-7-0-0000000002.csv")),
        "the other writer's file is kept as it was");
    DestFiles.assertExactlyOnce(dest, TID, 0, RowFeed.ids(ROWS));
  }

  @Test
  void aFinalNameTakenByAFileThatCannotBeAdoptedIsNeitherConfirmedNorDeleted() throws Exception {
    SubtaskSpec spec = spec(TaskSpec.MODE_FULL, OutputFormat.CSV);
    Path dest = tmp.resolve("dest");
    CompletableFuture<String> taken = new CompletableFuture<>();
    TestProbe<SubtaskStatus> probe = kit.createTestProbe();
    spawn(spec, new RowFeed(ROWS, 7, true), anotherWriterTakesFile2(dest, "db1.t1|99|0", 5, taken), probe);
    SubtaskStatus failed = awaitState(probe, SubtaskState.FAILED);
    assertTrue(failed.reason().contains("part-7-0-0000000002.csv") && failed.reason().contains("cannot be adopted")
        && failed.reason().contains("db1.t1|99|0"), failed.reason());
    assertEquals(taken.get(), java.nio.file.Files.readString(dest.resolve("part-7-0-0000000002.csv")));
    try (var tmpFiles = java.nio.file.Files.list(dest.resolve("_tmp"))) {
      assertEquals(1, tmpFiles.filter(f -> f.getFileName().toString().startsWith("part-7-0-0000000002.csv."))
          .count(), "the journaled tmp file of file 2 is kept");
    }
  }
}
