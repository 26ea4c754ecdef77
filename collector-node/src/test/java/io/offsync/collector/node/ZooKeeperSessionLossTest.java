package io.offsync.collector.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.typesafe.config.ConfigFactory;
import io.offsync.collector.Collector;
import io.offsync.collector.HardLinker;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.zk.TableMetadata;
import io.offsync.sink.FileNames;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.RollPolicy;
import io.offsync.sync.JournalConfig;
import io.offsync.sync.SubtaskState;
import io.offsync.sync.SubtaskStatus;
import io.offsync.sync.SyncEnvironment;
import io.offsync.sync.SyncTasks;
import io.offsync.sync.TaskSpec;
import io.offsync.testkit.EmbeddedZooKeeper;
import io.offsync.testkit.TabletFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.curator.framework.CuratorFramework;
import org.apache.hadoop.conf.Configuration;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * ZooKeeper session loss during a continuous (mode 2) sync: a real collector node (its {@link CollectorRegistration}
 * in ZooKeeper) and a synctool node (its own Curator client behind {@link TableMetadata}) in one Pekko cluster,
 * testkit tablets, a file:// destination. Both ZooKeeper sessions are expired in the middle of the sync; the
 * registration comes back under a new session, the metadata watch reports a table created afterwards, the sync
 * goes on with rows appended afterwards. Then the ZooKeeper server stops: the running sync keeps committing
 * without it, and the collector is registered again once it is back. Every row is committed exactly once.
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ZooKeeperSessionLossTest {

  private static final int MODE = TaskSpec.MODE_FULL_AND_CONTINUOUS;
  private static final long T0 = 1_700_000_000_000L;

  @TempDir static Path tmp;
  EmbeddedZooKeeper zk;
  CuratorFramework synctoolZk;
  TableMetadata metadata;
  CollectorNode collector;
  ActorSystem<Void> synctool;
  SyncTasks tasks;

  @BeforeAll
  void start() throws Exception {
    zk = EmbeddedZooKeeper.start();
    synctoolZk = zk.newClient();
    metadata = new TableMetadata(synctoolZk, "/openmldb");
    Path tablets = Files.createDirectories(tmp.resolve("tablets"));
    collector = TestNodes.collector(zk.connectString(), "127.0.0.1", tmp.resolve("datadir"), tablets, 64 * 1024,
        null, HardLinker.FILES);
    synctool = ActorSystem.create(Behaviors.empty(), CollectorNode.SYSTEM_NAME, JournalConfig.h2(tmp.resolve(
        "journal")).withFallback(ConfigFactory.parseString("""
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
            pekko.cluster.roles = [synctool]
            offsync.sync {
              init-timeout = 10 s
              leader-check-interval = 1 s
              retry { min-backoff = 100 ms, max-backoff = 1 s, max-retries = 100 }
            }
            """)).withFallback(ConfigFactory.load()));
    Cluster.get(synctool).manager().tell(Join.create(collector.system().address()));
    TestNodes.awaitUp(synctool, 2);
    Collector.init(synctool);
    tasks = SyncTasks.start(synctool, SyncEnvironment.of(metadata, new Configuration()));
  }

  @AfterAll
  void stop() throws Exception {
    if (synctool != null) {
      synctool.terminate();
      synctool.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    if (collector != null) {
      collector.close();
    }
    if (metadata != null) {
      metadata.close();
    }
    if (synctoolZk != null) {
      synctoolZk.close();
    }
    if (zk != null) {
      zk.close();
    }
  }

  private TabletFixture table(String name, int tid, int partitions) {
    TabletFixture f = TabletFixture.builder(tmp.resolve("tablets")).db("db1").table(name).tid(tid)
        .partitions(partitions)
        .column("id", Type.DataType.kBigInt)
        .column("user", Type.DataType.kString)
        .column("ts", Type.DataType.kTimestamp)
        .column("day", Type.DataType.kDate)
        .index("by_user", "ts", "user")
        .build();
    f.register(zk.client(), "/openmldb");
    return f;
  }

  private static void write(TabletFixture f, long first, int n, long time) {
    for (long id = first; id < first + n; id++) {
      long ts = time + id;
      f.putAt(ts, id, "user_" + (id % 29), ts, LocalDate.ofEpochDay(ts / 86_400_000L));
    }
    f.flush();
  }

  private static void expire(CuratorFramework client) throws Exception {
    client.getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
  }

  private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what);
      }
      Thread.sleep(100);
    }
  }

  private List<SubtaskStatus> awaitStatus(String table, Predicate<List<SubtaskStatus>> done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    List<SubtaskStatus> last = List.of();
    while (System.nanoTime() < deadline) {
      try {
        last = tasks.status().toCompletableFuture().get(60, TimeUnit.SECONDS).stream()
            .filter(s -> s.table().equals(table)).toList();
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

  private void awaitCaughtUp(TabletFixture f) throws Exception {
    awaitStatus(f.tableInfo().getName(), s -> s.size() == f.partitionCount() && s.stream().allMatch(
        x -> x.state() == SubtaskState.RUNNING && x.rows() == f.expectedRows(x.pid(), MODE, 0).size()));
  }

  /** The ids (first column) of the committed CSV files of partition (tid, pid), sorted. */
  private static List<Long> committedIds(Path dest, int tid, int pid) throws IOException {
    List<Long> ids = new ArrayList<>();
    try (Stream<Path> files = Files.list(dest)) {
      for (Path p : files.filter(p -> Files.isRegularFile(p)
          && FileNames.seqOf(p.getFileName().toString(), tid, pid).isPresent()).toList()) {
        for (String line : Files.readAllLines(p)) {
          ids.add(Long.parseLong(line.substring(0, line.indexOf(','))));
        }
      }
    }
    ids.sort(null);
    return ids;
  }

  private Stat registration(CuratorFramework observer) {
    try {
      return observer.checkExists().forPath(collector.registration().path());
    } catch (Exception e) {
      return null;
    }
  }

  @Test
  void syncRegistrationAndWatchesSurviveSessionExpiryAndAServerOutage() throws Exception {
    Path dest = tmp.resolve("dest");
    CuratorFramework observer = zk.client();
    Set<Integer> tablesSeen = ConcurrentHashMap.newKeySet();
    metadata.addListener(info -> tablesSeen.add(info.getTid()));
    try (TabletFixture f = table("zk_loss", 240, 2)) {
      write(f, 0, 400, T0);
      for (int pid = 0; pid < f.partitionCount(); pid++) {
        f.snapshot(pid);
      }
      write(f, 400, 100, T0 + 1_000);
      tasks.create(new TaskSpec("db1", "zk_loss", MODE, 0, dest.toUri().toString(), OutputFormat.CSV,
          new RollPolicy(1024 * 1024, Duration.ofSeconds(30), Duration.ofMillis(300))))
          .toCompletableFuture().get(60, TimeUnit.SECONDS);
      awaitCaughtUp(f);
      awaitTrue("the metadata watch never reported table 240", () -> tablesSeen.contains(240));
      long collectorSession = registration(observer).getEphemeralOwner();

      write(f, 1_000, 200, T0 + 10_000);
      expire(collector.registration().client());
      expire(synctoolZk);
      write(f, 2_000, 200, T0 + 20_000);

      awaitTrue("the collector never registered again under a new session", () -> {
        Stat again = registration(observer);
        return again != null && again.getEphemeralOwner() != collectorSession;
      });
      try (TabletFixture other = table("zk_loss_after", 241, 1)) {
        awaitTrue("the metadata watch reported no table created after the session loss",
            () -> tablesSeen.contains(241));
        NS.TableInfo found = metadata.byTid(241).orElse(null);
        assertNotNull(found, "table 241 read through the synctool's client after the session loss");
      }
      write(f, 3_000, 200, T0 + 30_000);
      awaitCaughtUp(f);

      // a ZooKeeper outage: open streams need no ZooKeeper, so the sync keeps committing while it is down
      zk.stop();
      try {
        write(f, 4_000, 200, T0 + 40_000);
        awaitCaughtUp(f);
      } finally {
        zk.restart();
      }
      awaitTrue("the collector is not registered after ZooKeeper came back", () -> registration(observer) != null);
      write(f, 5_000, 200, T0 + 50_000);
      awaitCaughtUp(f);

      tasks.delete("db1", "zk_loss").toCompletableFuture().get(60, TimeUnit.SECONDS);
      awaitStatus("zk_loss", List::isEmpty);
      for (int pid = 0; pid < f.partitionCount(); pid++) {
        List<Long> want = new ArrayList<>();
        for (List<Object> row : f.expectedRows(pid, MODE, 0)) {
          want.add((Long) row.get(0));
        }
        want.sort(null);
        assertEquals(want, committedIds(dest, f.tid(), pid), "committed rows of partition " + pid);
      }
      try (Stream<Path> left = Files.list(dest.resolve(FileNames.TMP_DIR))) {
        assertEquals(List.of(), left.toList(), "stray tmp files");
      }
    }
  }
}
