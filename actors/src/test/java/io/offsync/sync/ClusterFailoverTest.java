package io.offsync.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.offsync.collector.Collector;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.zk.TableMetadata;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.RollPolicy;
import io.offsync.testkit.EmbeddedZooKeeper;
import io.offsync.testkit.LocalCluster;
import io.offsync.testkit.TabletFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hadoop.conf.Configuration;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two synctool nodes (a real Pekko cluster on 127.0.0.1) sharing one H2 file journal: the node that runs a table
 * task is downed in the middle of the sync; the survivor takes the task over (remember-entities, journal
 * recovery) and finishes it with every row committed exactly once and no tmp file left. Once with a row feed, once
 * with testkit tablets and a real collector node, the task's node killed between FileCommitting and the rename.
 * Each node has its own ZooKeeper session, ended with its ActorSystem as with its process, and the fencing lease
 * is on: the survivor runs the task only once it holds the task shard's {@link ZooKeeperLease}.
 */
@ExtendWith(LogCapturingExtension.class)
class ClusterFailoverTest {

  private static final int ROWS = 1_500;
  private static final int PARTITIONS = 3;
  private static final com.typesafe.config.Config LEASE_ON =
      ConfigFactory.parseString("offsync.sync.lease.enabled = on");

  @TempDir Path tmp;

  /** The node each stream was opened on, by partition: shows who holds the task. */
  private final Map<Address, Integer> opensByNode = new ConcurrentHashMap<>();

  @Test
  void theSurvivorResumesATaskOfADownedNodeFromTheJournal() throws Exception {
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start();
        TableMetadata metadata = new TableMetadata(zk.client(), "/openmldb")) {
      NS.TableInfo table = RowFeed.table("db1", "failover", 31, PARTITIONS, Common.StorageMode.kSSD);
      zk.client().create().creatingParentsIfNeeded().forPath(metadata.layout().tableInfo(31), table.toByteArray());
      RowFeed feed = new RowFeed(ROWS, 10, true, Duration.ofMillis(40));
      var config = LEASE_ON.withFallback(JournalConfig.h2(tmp.resolve("journal")))
          .withFallback(ConfigFactory.parseString("""
          offsync.sync.retry { min-backoff = 50 ms, max-backoff = 500 ms }
          pekko.cluster.split-brain-resolver.stable-after = 2s
          """));
      try (LocalCluster cluster = LocalCluster.start("ClusterFailoverTest", config,
          List.of(Set.of("synctool"), Set.of("synctool")))) {
        List<SyncTasks> nodes = new ArrayList<>();
        for (ActorSystem<Void> s : cluster.systems()) {
          Address self = Cluster.get(s).selfMember().address();
          RowSource counting = r -> {
            opensByNode.merge(self, 1, Integer::sum);
            return feed.open(r);
          };
          nodes.add(SyncTasks.start(s, SyncEnvironment.of(NodeSessions.metadata(zk.connectString(), s),
              new Configuration(), sys -> counting)));
        }
        Path dest = tmp.resolve("dest");
        await(nodes.get(0).create(new TaskSpec("db1", "failover", TaskSpec.MODE_FULL, 0, dest.toUri().toString(),
            OutputFormat.PARQUET, new RollPolicy(2_000, Duration.ofSeconds(60), Duration.ofMillis(300)))));

        // wait until some files are committed, then down the node that runs the subtasks
        awaitStatus(nodes.get(0), s -> s.size() == PARTITIONS && s.stream().allMatch(x -> x.files() >= 2));
        assertEquals(1, opensByNode.size(), "one node runs the task: " + opensByNode);
        Address holder = opensByNode.keySet().iterator().next();
        int holderIdx = Cluster.get(cluster.system(0)).selfMember().address().equals(holder) ? 0 : 1;
        int survivorIdx = 1 - holderIdx;
        Cluster.get(cluster.system(survivorIdx)).manager().tell(new Down(holder));
        cluster.system(holderIdx).getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);

        // mode 0: the survivor finishes every partition and the task removes itself
        EndToEndTest.awaitCompleted(nodes.get(survivorIdx), "db1", "failover");

        assertEquals(2, opensByNode.size(), "the survivor reopened the streams: " + opensByNode);
        // the survivor's shard of the task holds its lease: an ephemeral node naming the survivor
        String survivor = Cluster.get(cluster.system(survivorIdx)).selfMember().address().hostPort();
        List<String> held = new ArrayList<>();
        for (String lease : zk.client().getChildren().forPath(metadata.layout().leases())) {
          held.add(new String(zk.client().getData().forPath(metadata.layout().leases() + "/" + lease),
              java.nio.charset.StandardCharsets.UTF_8) + " " + lease);
        }
        assertTrue(held.stream().anyMatch(h -> h.startsWith(survivor + " ") && h.contains("-shard-TableTask-")),
            "the survivor holds the task's shard lease: " + held);
        for (int pid = 0; pid < PARTITIONS; pid++) {
          DestFiles.assertExactlyOnce(org.apache.hadoop.fs.FileSystem.getLocal(new Configuration()),
              new org.apache.hadoop.fs.Path(dest.toUri()), 31, pid, RowFeed.ids(pid, ROWS));
        }
      }
    }
  }

  @Test
  void withARealCollectorTheSurvivorFinishesTheCommitADeadNodeLeftHalfway() throws Exception {
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start();
        TableMetadata metadata = new TableMetadata(zk.client(), "/openmldb");
        TabletFixture f = Tablets.table(tmp.resolve("tablets"), "failover_real", 32, PARTITIONS, zk.client())) {
      Tablets.write(f, 0, 1_500, Tablets.T0);
      Tablets.snapshot(f);
      Tablets.write(f, 1_500, 300, Tablets.T0 + 60_000);
      AtomicReference<Address> halted = new AtomicReference<>();
      try (LocalCluster cluster = LocalCluster.start("ClusterFailoverTest", LEASE_ON.withFallback(
          EndToEndTest.nodeConfig(tmp)),
          List.of(EndToEndTest.COLLECTOR_ROLES, Set.of("synctool"), Set.of("synctool")))) {
        Collector.init(cluster.system(0));
        List<SyncTasks> nodes = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
          ActorSystem<Void> node = cluster.system(i);
          Address self = Cluster.get(node).selfMember().address();
          // the node running the task dies between FileCommitting and the rename of partition 1's second file:
          // from then on it does nothing more, and its ActorSystem is terminated (it leaves, the SBR removes it)
          CommitFaults dieOnce = (at, tid, pid, seq) -> {
            if (self.equals(halted.get())) {
              throw new CommitFaults.Halt("node " + self + " is dead");
            }
            if (at == CommitFaults.Step.JOURNALED && pid == 1 && seq == 1 && halted.compareAndSet(null, self)) {
              CompletableFuture.runAsync(node::terminate);
              throw new CommitFaults.Halt("node " + self + " dies here");
            }
          };
          nodes.add(SyncTasks.start(node, SyncEnvironment.of(NodeSessions.metadata(zk.connectString(), node),
              new Configuration()).withFaults(dieOnce)));
        }
        Path dest = tmp.resolve("dest-real");
        await(nodes.get(0).create(new TaskSpec("db1", "failover_real", TaskSpec.MODE_FULL, 0,
            dest.toUri().toString(), OutputFormat.CSV,
            new RollPolicy(4 * 1024, Duration.ofSeconds(30), Duration.ofMillis(300)))));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (halted.get() == null && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        Address holder = halted.get();
        assertNotNull(holder, "the task's node reached the fault");
        int holderIdx = Cluster.get(cluster.system(1)).selfMember().address().equals(holder) ? 1 : 2;
        int survivorIdx = 3 - holderIdx;
        cluster.system(holderIdx).getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);

        EndToEndTest.awaitCompleted(nodes.get(survivorIdx - 1), "db1", "failover_real");
        EndToEndTest.assertExactlyOnce(org.apache.hadoop.fs.FileSystem.getLocal(new Configuration()),
            new org.apache.hadoop.fs.Path(dest.toUri()), f, TaskSpec.MODE_FULL, 0);
      }
    }
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static void awaitStatus(SyncTasks tasks, java.util.function.Predicate<List<SubtaskStatus>> done)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    List<SubtaskStatus> last = List.of();
    while (System.nanoTime() < deadline) {
      try {
        last = await(tasks.status());
        if (done.test(last)) {
          return;
        }
      } catch (ExecutionException e) {
        // the registry singleton or the shard is moving
      }
      Thread.sleep(100);
    }
    throw new AssertionError("status never reached the expected state; last: " + last);
  }
}
