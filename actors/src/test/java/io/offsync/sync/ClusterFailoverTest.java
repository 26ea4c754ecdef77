package io.offsync.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.zk.TableMetadata;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.RollPolicy;
import io.offsync.testkit.EmbeddedZooKeeper;
import io.offsync.testkit.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
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
 * recovery) and finishes it with every row committed exactly once and no tmp file left.
 */
@ExtendWith(LogCapturingExtension.class)
class ClusterFailoverTest {

  private static final int ROWS = 1_500;
  private static final int PARTITIONS = 3;

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
      var config = JournalConfig.h2(tmp.resolve("journal")).withFallback(ConfigFactory.parseString("""
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
          nodes.add(SyncTasks.start(s, SyncEnvironment.of(metadata, new Configuration(), sys -> counting)));
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
        awaitStatus(nodes.get(survivorIdx), List::isEmpty);
        assertEquals(2, opensByNode.size(), "the survivor reopened the streams: " + opensByNode);
        for (int pid = 0; pid < PARTITIONS; pid++) {
          DestFiles.assertExactlyOnce(org.apache.hadoop.fs.FileSystem.getLocal(new Configuration()),
              new org.apache.hadoop.fs.Path(dest.toUri()), 31, pid, RowFeed.ids(pid, ROWS));
        }
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
