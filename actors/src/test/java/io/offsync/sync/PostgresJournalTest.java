package io.offsync.sync;

import static org.junit.jupiter.api.Assertions.fail;

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
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal on PostgreSQL ({@code JournalConfig.forUrl}): a synctool node killed between FileCommitting and the
 * rename, restarted on the same database, finishes a mode 0 sync exactly once. Needs a server: the URL comes from
 * {@code OFFSYNC_TEST_PG_URL} (user {@code OFFSYNC_TEST_PG_USER}), as {@code bin/test.sh} sets them; without it
 * the test is skipped, unless {@code OFFSYNC_TEST_PG_REQUIRED=1}. The journal tables are recreated first.
 */
@ExtendWith(LogCapturingExtension.class)
class PostgresJournalTest {

  private static final int ROWS = 300;

  @TempDir Path tmp;

  @Test
  void aNodeKilledMidCommitResumesFromAPostgresJournal() throws Exception {
    String url = System.getenv("OFFSYNC_TEST_PG_URL");
    if (url == null || url.isBlank()) {
      if ("1".equals(System.getenv("OFFSYNC_TEST_PG_REQUIRED"))) {
        fail("OFFSYNC_TEST_PG_REQUIRED=1 but OFFSYNC_TEST_PG_URL is not set (bin/test.sh sets both)");
      }
      Assumptions.abort("no PostgreSQL: set OFFSYNC_TEST_PG_URL (bin/postgres-dev.sh start prints one)");
    }
    String user = System.getenv().getOrDefault("OFFSYNC_TEST_PG_USER", "offsync");
    var config = JournalConfig.forUrl(url, user, System.getenv().getOrDefault("OFFSYNC_TEST_PG_PASSWORD", ""))
        .withFallback(ConfigFactory.parseString("offsync.sync.retry { min-backoff = 50 ms, max-backoff = 500 ms }"));
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start();
        TableMetadata metadata = new TableMetadata(zk.client(), "/openmldb")) {
      NS.TableInfo t = RowFeed.table("db1", "pg", 41, 2, Common.StorageMode.kSSD);
      zk.client().create().creatingParentsIfNeeded().forPath(metadata.layout().tableInfo(41), t.toByteArray());
      RowFeed feed = new RowFeed(ROWS, 9, true);
      Path dest = tmp.resolve("dest");
      TaskSpec spec = new TaskSpec("db1", "pg", TaskSpec.MODE_FULL, 0, dest.toUri().toString(), OutputFormat.CSV,
          new RollPolicy(2_000, Duration.ofSeconds(30), Duration.ofMillis(300)));

      ActorSystem<Void> first = node(config);
      SchemaUtils.dropIfExists(first).toCompletableFuture().get(60, TimeUnit.SECONDS);
      CompletableFuture<Void> crashed = new CompletableFuture<>();
      CommitFaults killOnce = (at, tid, pid, seq) -> {
        if (at == CommitFaults.Step.JOURNALED && pid == 1 && seq == 2) {
          crashed.complete(null);
          CompletableFuture.runAsync(first::terminate);
          throw new CommitFaults.Halt("node killed");
        }
      };
      SyncTasks tasks = SyncTasks.start(first,
          SyncEnvironment.of(NodeSessions.metadata(zk.connectString(), first), new Configuration(), s -> feed)
              .withFaults(killOnce));
      EndToEndTest.await(tasks.create(spec));
      crashed.get(60, TimeUnit.SECONDS);
      first.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);

      ActorSystem<Void> second = node(config);
      try {
        SyncTasks again = SyncTasks.start(second,
            SyncEnvironment.of(NodeSessions.metadata(zk.connectString(), second), new Configuration(), s -> feed));
        EndToEndTest.awaitCompleted(again, "db1", "pg");
        for (int pid = 0; pid < 2; pid++) {
          DestFiles.assertExactlyOnce(FileSystem.getLocal(new Configuration()),
              new org.apache.hadoop.fs.Path(dest.toUri()), 41, pid, RowFeed.ids(pid, ROWS));
        }
      } finally {
        second.terminate();
        second.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
    }
  }

  private static ActorSystem<Void> node(com.typesafe.config.Config config) {
    ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), "PostgresJournalTest",
        LocalCluster.nodeConfig(config, Set.of("synctool")));
    LocalCluster.joinAndAwaitUp(s, org.apache.pekko.cluster.typed.Cluster.get(s).selfMember().address(),
        Duration.ofSeconds(30));
    return s;
  }
}
