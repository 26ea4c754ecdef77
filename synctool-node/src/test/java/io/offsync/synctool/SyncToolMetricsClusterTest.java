package io.offsync.synctool;

import static io.offsync.synctool.TestNodes.await;
import static io.offsync.synctool.TestNodes.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.offsync.collector.node.CollectorNode;
import io.offsync.protocol.openmldb.Common;
import io.offsync.sync.TableTask;
import io.offsync.testkit.EmbeddedZooKeeper;
import io.offsync.testkit.PrometheusPage;
import io.offsync.testkit.TabletFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two synctool nodes of one cluster (real ZooKeeper, testkit tablets, a real collector node, shared H2 journal
 * file), each scraped on {@code /metrics} as Prometheus does: every subtask is on exactly one node's page, the one
 * whose shard region runs its task, so the sum over both pages counts every committed row once; when a node
 * leaves, its tasks' series appear on the survivor with their journaled totals.
 */
@ExtendWith(LogCapturingExtension.class)
class SyncToolMetricsClusterTest {

  private static final String ROOT = "/openmldb";
  private static final Map<String, Integer> ROWS = Map.of("events", 150, "clicks", 50);

  @TempDir Path tmp;

  /** One node's view at one moment: the tasks its shard region runs and its metrics page. */
  private record View(Set<String> hosted, PrometheusPage page) {
    /** The subtasks ({@code table/pid}) with a rows series on the page. */
    List<String> exported() {
      return page.samples("offsync_synctool_rows_committed_total").stream()
          .map(s -> s.labels().get("table") + "/" + s.labels().get("pid")).sorted().toList();
    }

    double rows() {
      return page.samples("offsync_synctool_rows_committed_total").stream()
          .mapToDouble(PrometheusPage.Sample::value).sum();
    }

    @Override
    public String toString() {
      return "hosted " + hosted + " exported " + exported() + " rows " + rows();
    }
  }

  @Test
  void eachSubtaskIsExportedByTheOneNodeRunningItsTask() throws Exception {
    Path hdd = Files.createDirectories(tmp.resolve("hdd"));
    List<ActorSystem<?>> systems = new CopyOnWriteArrayList<>();
    SyncToolNode.Engine engine = (system, ctx) -> {
      systems.add(system);
      return EngineTaskAdmin.engine().start(system, ctx);
    };
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start();
        TabletFixture events = SyncToolNodeTest.table(hdd, "events", 21, Common.StorageMode.kHDD);
        TabletFixture clicks = SyncToolNodeTest.table(hdd, "clicks", 22, Common.StorageMode.kSSD)) {
      SyncToolNodeTest.fill(events, 120, 30);
      events.register(zk.client(), ROOT);
      SyncToolNodeTest.fill(clicks, 40, 10);
      clicks.register(zk.client(), ROOT);
      int collectorCluster = freePort();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).build();
      try (CollectorNode collector = TestNodes.collector(zk.connectString(), ROOT, hdd, tmp.resolve("datadir"),
          collectorCluster, freePort());
          SyncToolNode a = node(zk, collectorCluster, engine)) {
        awaitReady(http, a);
        // the first task's shard goes to the only synctool region; the second one's, with both up, to the
        // region with fewer shards: tasks on both nodes
        create(http, a, "events");
        await(Duration.ofSeconds(60), () -> view(systems.get(0), a).hosted().contains("demo.events"),
            "demo.events runs on the first node");
        SyncToolNode b = node(zk, collectorCluster, engine);
        try {
          awaitReady(http, b);
          create(http, b, "clicks");
          List<View> settled = awaitSettled(() -> List.of(view(systems.get(0), a), view(systems.get(1), b)));
          for (View v : settled) {
            assertEquals(v.exported().size(), v.page().value("offsync_synctool_subtasks", Map.of()), v.toString());
            for (String table : ROWS.keySet()) {
              boolean here = v.hosted().contains("demo." + table);
              assertEquals(here ? 2 : 0, v.page().samples("offsync_synctool_subtask_state",
                  Map.of("table", table)).size(), "state series of " + table + " only where it runs: " + v);
            }
          }
        } finally {
          // b leaves the cluster: its tasks move to a
          b.close();
        }
        // a's page now holds every subtask, the moved ones with their journaled totals
        awaitSettled(() -> List.of(view(systems.get(0), a)));
      }
    }
  }

  interface Views {
    List<View> get() throws Exception;
  }

  /**
   * Polls until the views agree with every task running somewhere: each node exports exactly the subtasks of the
   * tasks it runs, no subtask is on two pages, and the rows summed over the pages are every row of both tables.
   */
  private static List<View> awaitSettled(Views views) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    List<View> last = List.of();
    Exception error = null;
    while (System.nanoTime() < deadline) {
      try {
        last = views.get();
        if (settled(last)) {
          return last;
        }
      } catch (Exception e) {
        error = e;
      }
      Thread.sleep(300);
    }
    throw new AssertionError("the nodes' pages never settled; last: " + last, error);
  }

  private static boolean settled(List<View> views) {
    Set<String> union = new TreeSet<>();
    int exported = 0;
    double rows = 0;
    for (View v : views) {
      Set<String> expected = new TreeSet<>();
      v.hosted().forEach(key -> {
        expected.add(key.substring("demo.".length()) + "/0");
        expected.add(key.substring("demo.".length()) + "/1");
      });
      if (!new TreeSet<>(v.exported()).equals(expected)) {
        return false;
      }
      union.addAll(v.exported());
      exported += v.exported().size();
      rows += v.rows();
    }
    return union.size() == 4 && exported == 4 && rows == ROWS.values().stream().mapToInt(Integer::intValue).sum();
  }

  private static View view(ActorSystem<?> system, SyncToolNode node) throws Exception {
    ShardRegion.CurrentShardRegionState state = AskPattern.<ClusterShardingQuery,
            ShardRegion.CurrentShardRegionState>ask(ClusterSharding.get(system).shardState(),
            replyTo -> new GetShardRegionState(TableTask.TYPE_KEY, replyTo), Duration.ofSeconds(10),
            system.scheduler())
        .toCompletableFuture().get(15, TimeUnit.SECONDS);
    Set<String> hosted = new HashSet<>();
    state.getShards().forEach(s -> hosted.addAll(s.getEntityIds()));
    return new View(hosted, PrometheusPage.scrape(node.serverPort()));
  }

  private SyncToolNode node(EmbeddedZooKeeper zk, int seedPort, SyncToolNode.Engine engine) throws Exception {
    Properties p = TestNodes.synctool(zk.connectString(), ROOT, tmp.resolve("progress"), seedPort);
    p.setProperty("sync_task.roll_time", "2");
    p.setProperty("sync_task.roll_idle", "1");
    return SyncToolNode.start(SyncToolSettings.parse(p, null), ConfigFactory.load(), engine);
  }

  private static void awaitReady(HttpClient http, SyncToolNode node) throws Exception {
    await(Duration.ofSeconds(60), () -> http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + node.managementPort() + "/ready")).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode() == 200, "management /ready");
  }

  private void create(HttpClient http, SyncToolNode node, String table) throws Exception {
    String body = "{\"db\": \"demo\", \"name\": \"" + table + "\", \"mode\": 2, \"start_ts\": 0, \"dest\": \""
        + tmp.resolve("dest-" + table) + "\"}";
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + node.serverPort() + "/openmldb.datasync.SyncTool/CreateSyncTask"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().contains("\"code\": 0") || r.body().contains("\"code\":0"), r.body());
  }
}
