package io.offsync.synctool;

import static io.offsync.synctool.TestNodes.await;
import static io.offsync.synctool.TestNodes.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.offsync.collector.node.CollectorNode;
import io.offsync.health.HealthProbes;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.Type;
import io.offsync.testkit.EmbeddedZooKeeper;
import io.offsync.testkit.TabletFixture;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * TLS between the nodes: a real collector node and a real synctool node on Artery {@code tls-tcp} with mutual
 * authentication (key and trust stores made by keytool at test time) sync a table's rows exactly once; a synctool
 * whose stores do not trust the cluster's certificate, and one without TLS, cannot join, and their {@code /ready}
 * names the mismatch and the settings to fix; so does the log of the one without TLS, unasked (its own periodic
 * readiness check, nothing polls its {@code /ready} before).
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterTlsTest {

  static final String ROOT = "/openmldb";
  static final Duration DEADLINE = Duration.ofSeconds(60);
  static final int ROWS = 300;

  @TempDir static Path tmp;
  EmbeddedZooKeeper zk;
  TabletFixture events;
  CollectorNode collector;
  int collectorCluster;
  SyncToolNode node;
  TestKeyStores.Pair cluster;
  HttpClient http;

  @BeforeAll
  void start() throws Exception {
    cluster = TestKeyStores.create(tmp.resolve("tls"), "cluster");
    zk = EmbeddedZooKeeper.start();
    Path hdd = Files.createDirectories(tmp.resolve("hdd"));
    events = TabletFixture.builder(hdd).db("demo").table("events").tid(41).partitions(2)
        .storageMode(Common.StorageMode.kHDD).column("id", Type.DataType.kBigInt)
        .column("ts", Type.DataType.kTimestamp).index("idx0", "ts", "id").build();
    for (int i = 0; i < ROWS; i++) {
      events.put((long) i, 1_700_000_000_000L + i);
    }
    events.flush();
    events.register(zk.client(), ROOT);
    collectorCluster = freePort();
    collector = TestNodes.collector(zk.connectString(), ROOT, hdd, tmp.resolve("datadir"), collectorCluster,
        freePort(), Map.of(
            "cluster_tls_keystore", cluster.keyStore().toString(),
            "cluster_tls_keystore_password", TestKeyStores.PASSWORD,
            "cluster_tls_truststore", cluster.trustStore().toString(),
            "cluster_tls_truststore_password", TestKeyStores.PASSWORD));
    node = SyncToolNode.start(SyncToolSettings.parse(synctool("progress", cluster), null), ConfigFactory.load(),
        EngineTaskAdmin.engine());
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  @AfterAll
  void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {node, collector, events, zk}) {
      if (c != null) {
        c.close();
      }
    }
  }

  Properties synctool(String progress, TestKeyStores.Pair tls) throws IOException {
    Properties p = TestNodes.synctool(zk.connectString(), ROOT, tmp.resolve(progress), collectorCluster);
    p.setProperty("request.timeout", "2");
    p.setProperty("sync_task.roll_time", "1");
    p.setProperty("sync_task.roll_idle", "1");
    if (tls != null) {
      p.setProperty("cluster.tls.keystore", tls.keyStore().toString());
      p.setProperty("cluster.tls.keystore_password", TestKeyStores.PASSWORD);
      p.setProperty("cluster.tls.truststore", tls.trustStore().toString());
      p.setProperty("cluster.tls.truststore_password", TestKeyStores.PASSWORD);
    }
    return p;
  }

  HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  long upMembers() {
    int[] n = {0};
    Cluster.get(collector.system()).state().getMembers().forEach(m -> n[0] += m.status() == MemberStatus.up() ? 1 : 0);
    return n[0];
  }

  @Test
  void aTlsClusterSyncsExactRowsAndRefusesNodesThatDoNotMatch() throws Exception {
    assertEquals("tls-tcp", node.system().settings().config().getString("pekko.remote.artery.transport"));
    Path dest = tmp.resolve("out");
    HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + node.serverPort() + "/openmldb.datasync.SyncTool/CreateSyncTask"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"db\": \"demo\", \"name\": \"events\", \"mode\": 0,"
            + " \"start_ts\": 0, \"dest\": \"" + dest.toUri() + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
    JsonNode reply = new ObjectMapper().readTree(created.body());
    assertEquals(0, reply.get("code").asInt(), created.body());
    Map<Long, Integer>[] ids = new Map[1];
    await(DEADLINE, () -> {
      ids[0] = committedIds(dest);
      return ids[0].size() == ROWS;
    }, ROWS + " rows committed over the TLS cluster");
    assertTrue(ids[0].values().stream().allMatch(n -> n == 1), "each row once: " + ids[0]);
    assertEquals(0L, ids[0].keySet().stream().filter(id -> id < 0 || id >= ROWS).count());
    long members = upMembers();

    // a node whose stores belong to another cluster: the handshake fails, it never joins
    TestKeyStores.Pair stranger = TestKeyStores.create(tmp.resolve("tls-stranger"), "stranger");
    try (SyncToolNode other = SyncToolNode.start(SyncToolSettings.parse(synctool("p2", stranger), null),
        ConfigFactory.load(), EngineTaskAdmin.engine())) {
      String[] body = new String[1];
      await(DEADLINE, () -> {
        body[0] = get(other.managementPort(), "/ready").body();
        return body[0].contains("TLS handshake with seed node 127.0.0.1:" + collectorCluster + " fails");
      }, "/ready of the node with foreign stores naming the handshake");
      assertTrue(body[0].contains("cluster.tls.*"), body[0]);
      assertEquals(members, upMembers(), "the foreign node did not join");
    }
    // a node without TLS
    Logger healthLogger = (Logger) LoggerFactory.getLogger(HealthProbes.class);
    ListAppender<ILoggingEvent> healthLog = new ListAppender<>();
    healthLog.start();
    healthLogger.addAppender(healthLog);
    try (SyncToolNode plain = SyncToolNode.start(SyncToolSettings.parse(synctool("p3", null), null),
        ConfigFactory.parseString("offsync.health.self-check-interval = 2 s").withFallback(ConfigFactory.load()),
        EngineTaskAdmin.engine())) {
      String mismatch = "seed node 127.0.0.1:" + collectorCluster + " speaks TLS but this node does not";
      await(DEADLINE, () -> List.copyOf(healthLog.list).stream().anyMatch(e -> e.getLevel() == Level.WARN
          && e.getFormattedMessage().contains(mismatch)), "a WARN naming the TLS mismatch in the plain node's log");
      String[] body = new String[1];
      await(DEADLINE, () -> {
        body[0] = get(plain.managementPort(), "/ready").body();
        return body[0].contains("speaks TLS but this node does not");
      }, "/ready of the plain node naming TLS");
      assertTrue(body[0].contains("cluster.tls.keystore and cluster.tls.truststore"), body[0]);
      assertEquals(members, upMembers(), "the plain node did not join");
    } finally {
      healthLogger.detachAppender(healthLog);
    }
  }

  @Test
  void aWrongStorePasswordIsASettingsErrorNamingTheKey() throws Exception {
    Properties p = synctool("p4", cluster);
    p.setProperty("cluster.tls.truststore_password", "not-the-password");
    SyncToolSettings.SettingsException e = assertThrows(SyncToolSettings.SettingsException.class,
        () -> SyncToolSettings.parse(p, null));
    assertTrue(e.getMessage().contains("cluster.tls.truststore_password"), e.getMessage());
  }

  static Map<Long, Integer> committedIds(Path dest) throws IOException {
    Map<Long, Integer> ids = new TreeMap<>();
    if (!Files.isDirectory(dest)) {
      return ids;
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dest)) {
      files = s.filter(f -> f.getFileName().toString().endsWith(".parquet")).toList();
    }
    for (Path f : files) {
      try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(),
          new org.apache.hadoop.fs.Path(f.toUri())).withConf(new Configuration()).build()) {
        for (Group g = r.read(); g != null; g = r.read()) {
          ids.merge(g.getLong("id", 0), 1, Integer::sum);
        }
      }
    }
    return ids;
  }
}
