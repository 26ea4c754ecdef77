package io.offsync.synctool;

import static io.offsync.synctool.TestNodes.await;
import static io.offsync.synctool.TestNodes.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import io.offsync.sink.DestinationUser;
import io.offsync.testkit.EmbeddedZooKeeper;
import io.offsync.testkit.MiniHdfs;
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
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code /ready} of a synctool node follows the reachability of its destination file systems: a real
 * MiniDFSCluster holding a running mode-2 task's destination, its NameNode shut down and restarted, with real
 * ZooKeeper, a real collector node and an H2 journal. Also the {@link FileSystemProbe} alone on the default file
 * system of a Hadoop configuration (what {@code hadoop.conf.dir} gives a node).
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SyncToolReadinessTest {

  static final String ROOT = "/openmldb";
  static final Duration DEADLINE = Duration.ofSeconds(90);

  @TempDir static Path tmp;
  EmbeddedZooKeeper zk;
  MiniHdfs hdfs;
  String hdfsUri;
  TabletFixture events;
  CollectorNode collector;
  SyncToolNode node;
  HttpClient http;
  ExecutorService blocking;
  FileSystemProbe defaultFsProbe;
  ListAppender<ILoggingEvent> healthLog;
  Logger healthLogger;

  @BeforeAll
  void start() throws Exception {
    healthLogger = (Logger) LoggerFactory.getLogger(HealthProbes.class);
    healthLog = new ListAppender<>();
    healthLog.start();
    healthLogger.addAppender(healthLog);

    zk = EmbeddedZooKeeper.start();
    hdfs = MiniHdfs.start(1, tmp.resolve("minidfs"));
    hdfsUri = hdfs.uri().toString();
    Path hdd = Files.createDirectories(tmp.resolve("hdd"));
    events = TabletFixture.builder(hdd).db("demo").table("events").tid(21).partitions(1)
        .storageMode(Common.StorageMode.kHDD).column("id", Type.DataType.kBigInt)
        .column("ts", Type.DataType.kTimestamp).index("idx0", "ts", "id").build();
    for (int i = 0; i < 20; i++) {
      events.put((long) i, 1_700_000_000_000L + i);
    }
    events.flush();
    events.register(zk.client(), ROOT);

    int collectorCluster = freePort();
    collector = TestNodes.collector(zk.connectString(), ROOT, hdd, tmp.resolve("datadir"), collectorCluster, 0);

    Properties p = TestNodes.synctool(zk.connectString(), ROOT, tmp.resolve("progress"), collectorCluster);
    p.setProperty("request.timeout", "2");
    p.setProperty("sync_task.roll_time", "1");
    p.setProperty("sync_task.roll_idle", "1");
    node = SyncToolNode.start(SyncToolSettings.parse(p, null),
        ConfigFactory.parseString("offsync.synctool.readiness.filesystem-cache = 500 ms")
            .withFallback(ConfigFactory.load()), EngineTaskAdmin.engine());
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
        .build();

    blocking = Executors.newFixedThreadPool(2);
    Configuration withHdfsDefault = new Configuration();
    withHdfsDefault.set("fs.defaultFS", hdfs.uri().toString());
    defaultFsProbe = new FileSystemProbe(withHdfsDefault, DestinationUser.processUser(),
        () -> CompletableFuture.completedFuture(List.of()),
        blocking, Duration.ofSeconds(2), Duration.ofMillis(200));
  }

  @AfterAll
  void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (collector != null) {
      collector.close();
    }
    if (defaultFsProbe != null) {
      defaultFsProbe.close();
    }
    if (blocking != null) {
      blocking.shutdownNow();
    }
    if (events != null) {
      events.close();
    }
    if (hdfs != null) {
      hdfs.close();
    }
    if (zk != null) {
      zk.close();
    }
    healthLogger.detachAppender(healthLog);
  }

  HttpResponse<String> ready() throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.managementPort() + "/ready"))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Null when the probe answered ready, else its failure message (while it probes again: the last answer). */
  String probeDefaultFs() throws Exception {
    try {
      defaultFsProbe.check().toCompletableFuture().get(10, TimeUnit.SECONDS);
      return null;
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause().getMessage();
    }
  }

  List<ILoggingEvent> healthEvents(Level level) {
    synchronized (healthLog) {
      return healthLog.list.stream().filter(e -> e.getLevel() == level).toList();
    }
  }

  String hdfsUri() {
    return hdfsUri;
  }

  @Test
  @Order(1)
  void readyWithATaskWritingIntoHdfs() throws Exception {
    String dest = hdfsUri() + "/offsync/events";
    HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + node.serverPort() + "/openmldb.datasync.SyncTool/CreateSyncTask"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"db\": \"demo\", \"name\": \"events\", \"mode\": 2,"
            + " \"start_ts\": 0, \"dest\": \"" + dest + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
    JsonNode reply = new ObjectMapper().readTree(created.body());
    assertEquals(0, reply.get("code").asInt(), created.body());
    await(DEADLINE, () -> {
      long files = 0;
      for (FileStatus f : hdfs.fileSystem().listStatus(new org.apache.hadoop.fs.Path("/offsync/events"))) {
        files += f.isFile() ? 1 : 0;
      }
      return files > 0;
    }, "a committed part file in " + dest);
    await(DEADLINE, () -> ready().statusCode() == 200, "/ready 200 with the task's HDFS up");
    await(DEADLINE, () -> probeDefaultFs() == null, "the default file system (HDFS) answering");
  }

  @Test
  @Order(2)
  void notReadyWhileTheNameNodeIsDownAndReadyAgainAfterItsRestart() throws Exception {
    int warningsBefore = healthEvents(Level.WARN).size();
    hdfs.cluster().shutdownNameNode(0);
    try {
      String[] body = new String[1];
      await(DEADLINE, () -> {
        HttpResponse<String> r = ready();
        body[0] = r.statusCode() + " " + r.body();
        return r.statusCode() != 200 && r.body().contains(hdfsUri());
      }, "/ready failing, naming " + hdfsUri() + ", while the NameNode is down");
      assertTrue(body[0].contains("filesystem: " + hdfsUri() + "/ unreachable: "), body[0]);
      await(DEADLINE, () -> probeDefaultFs() != null, "the default file system probe failing");
      String probe = probeDefaultFs();
      assertTrue(probe.contains(hdfsUri() + "/ unreachable"), "default file system: " + probe);
      int polls = 20;
      for (int i = 0; i < polls; i++) {
        assertNotEquals(200, ready().statusCode());
        Thread.sleep(100); // spread the polls over several cache periods, so the file system is probed again
      }
      List<ILoggingEvent> warnings = healthEvents(Level.WARN);
      List<ILoggingEvent> outage = warnings.subList(warningsBefore, warnings.size());
      // one per change of what fails (a loaded machine may add a passing hiccup of another probe), not per poll
      assertTrue(!outage.isEmpty() && outage.size() <= 3, polls + " polls, warnings: " + outage);
      assertTrue(outage.stream().anyMatch(w -> w.getFormattedMessage().contains(hdfsUri())), outage.toString());
    } finally {
      hdfs.cluster().restartNameNode(0);
    }
    int infosBefore = healthEvents(Level.INFO).size();
    await(DEADLINE, () -> ready().statusCode() == 200, "/ready 200 again after the NameNode restarted");
    await(DEADLINE, () -> probeDefaultFs() == null, "the default file system answering again");
    assertTrue(healthEvents(Level.INFO).size() > infosBefore, "back to ready is logged");
  }
}
