package io.offsync.synctool;

import static io.offsync.synctool.TestNodes.await;
import static io.offsync.synctool.TestNodes.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.offsync.collector.node.CollectorNode;
import io.offsync.protocol.admin.CreateTaskRequest;
import io.offsync.protocol.admin.Format;
import io.offsync.protocol.admin.ListCollectorsReply;
import io.offsync.protocol.admin.ListCollectorsRequest;
import io.offsync.protocol.admin.StatusReply;
import io.offsync.protocol.admin.StatusRequest;
import io.offsync.protocol.admin.SubtaskStatus;
import io.offsync.protocol.admin.SyncToolAdminClient;
import io.offsync.protocol.admin.TableRef;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.Type;
import io.offsync.synctool.cli.SyncToolHelper;
import io.offsync.synctool.http.HelperScript;
import io.offsync.testkit.EmbeddedZooKeeper;
import io.offsync.testkit.PrometheusPage;
import io.offsync.testkit.TabletFixture;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
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
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.grpc.GrpcServiceException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running synctool node (real ZooKeeper, a testkit tablet's files, a real collector node, Pekko cluster on
 * 127.0.0.1, H2 journal file) driven the three ways users drive it: the original helper's HTTP/JSON requests
 * (from Java and from a python script reading TaskStatus as synctool_helper.py does), gRPC, and the helper CLI.
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SyncToolNodeTest {

  static final String ROOT = "/openmldb";
  static final ObjectMapper JSON = new ObjectMapper();
  static final int SNAPSHOT_ROWS = 120;
  static final int BINLOG_ROWS = 30;

  @TempDir static Path tmp;
  EmbeddedZooKeeper zk;
  TabletFixture events;
  TabletFixture clicks;
  TabletFixture memory;
  CollectorNode collector;
  SyncToolNode node;
  String server;
  HttpClient http;
  ActorSystem<Void> clientSystem;
  SyncToolAdminClient grpc;

  static TabletFixture table(Path root, String name, int tid, Common.StorageMode mode) {
    return TabletFixture.builder(root).db("demo").table(name).tid(tid).partitions(2).storageMode(mode)
        .column("id", Type.DataType.kBigInt).column("name", Type.DataType.kString)
        .column("ts", Type.DataType.kTimestamp).index("idx0", "ts", "id").build();
  }

  static void fill(TabletFixture t, int snapshotRows, int binlogRows) {
    for (int i = 0; i < snapshotRows; i++) {
      t.put((long) i, "name-" + i, 1_700_000_000_000L + i);
    }
    for (int pid = 0; pid < t.partitionCount(); pid++) {
      t.snapshot(pid);
    }
    for (int i = snapshotRows; i < snapshotRows + binlogRows; i++) {
      t.put((long) i, "name-" + i, 1_700_000_000_000L + i);
    }
    t.flush();
  }

  @BeforeAll
  void start() throws Exception {
    zk = EmbeddedZooKeeper.start();
    Path hdd = Files.createDirectories(tmp.resolve("hdd"));
    events = table(hdd, "events", 11, Common.StorageMode.kHDD);
    fill(events, SNAPSHOT_ROWS, BINLOG_ROWS);
    events.register(zk.client(), ROOT);
    clicks = table(hdd, "clicks", 12, Common.StorageMode.kSSD);
    fill(clicks, 40, 10);
    clicks.register(zk.client(), ROOT);
    memory = table(Files.createDirectories(tmp.resolve("mem")), "mem", 13, Common.StorageMode.kMemory);
    memory.register(zk.client(), ROOT);

    int collectorCluster = freePort();
    collector = TestNodes.collector(zk.connectString(), ROOT, hdd, tmp.resolve("datadir"), collectorCluster,
        freePort());

    Properties p = TestNodes.synctool(zk.connectString(), ROOT, tmp.resolve("progress"), collectorCluster);
    p.setProperty("sync_task.roll_time", "2");
    p.setProperty("sync_task.roll_idle", "1");
    p.setProperty("data.cache_path", "/tmp/data_cache");
    node = SyncToolNode.start(SyncToolSettings.parse(p, null), ConfigFactory.load(), EngineTaskAdmin.engine());
    server = "127.0.0.1:" + node.serverPort();
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
        .build();
    clientSystem = ActorSystem.create(Behaviors.empty(), "grpc-client", ConfigFactory.parseString(
        "pekko.actor.provider = local\npekko.fail-mixed-versions = off").withFallback(ConfigFactory.load()));
    grpc = SyncToolAdminClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", node.serverPort(),
        clientSystem).withTls(false), clientSystem);
    await(Duration.ofSeconds(60), () -> get(node.managementPort(), "/ready").statusCode() == 200,
        "management /ready");
  }

  @AfterAll
  void stop() throws Exception {
    if (grpc != null) {
      grpc.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    if (clientSystem != null) {
      clientSystem.terminate();
    }
    if (node != null) {
      node.close();
    }
    if (collector != null) {
      collector.close();
    }
    for (TabletFixture t : new TabletFixture[] {events, clicks, memory}) {
      if (t != null) {
        t.close();
      }
    }
    if (zk != null) {
      zk.close();
    }
  }

  // ------------------------------------------------------------------------------------------- helpers

  HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** As the helper: POST (create, delete) or GET with a JSON body (status), Content-Type application/json. */
  JsonNode call(String method, String httpMethod, String body) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://" + server + "/openmldb.datasync.SyncTool/" + method))
        .header("Content-Type", "application/json")
        .method(httpMethod, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
    return JSON.readTree(r.body());
  }

  JsonNode status() throws IOException, InterruptedException {
    return call("TaskStatus", "GET", "{}");
  }

  static long totalCount(JsonNode status, int tid) {
    long n = 0;
    if (status.has("task")) {
      for (JsonNode t : status.get("task")) {
        if (t.get("progress").get("tid").asInt() == tid) {
          n += Long.parseLong(t.get("count").textValue());
        }
      }
    }
    return n;
  }

  List<SubtaskStatus> grpcStatus(String table) throws Exception {
    StatusReply r = grpc.status(StatusRequest.newBuilder().setTable(TableRef.newBuilder().setDb("demo")
        .setTable(table)).build()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    return r.getSubtaskList();
  }

  static Status.Code grpcFailure(java.util.concurrent.CompletionStage<?> call) {
    Throwable t = assertThrows(java.util.concurrent.ExecutionException.class,
        () -> call.toCompletableFuture().get(30, TimeUnit.SECONDS)).getCause();
    if (t instanceof GrpcServiceException g) {
      return g.getStatus().getCode();
    }
    return ((io.grpc.StatusRuntimeException) t).getStatus().getCode();
  }

  String cli(int expectedCode, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] all = Stream.concat(Stream.of(args), Stream.of("-s", server)).toArray(String[]::new);
    int code = SyncToolHelper.run(all, new PrintWriter(out), new PrintWriter(err));
    assertEquals(expectedCode, code, "exit code of " + String.join(" ", args) + "\nout: " + out + "\nerr: " + err);
    return expectedCode == 0 || expectedCode == SyncToolHelper.VERIFY_PROBLEMS ? out.toString() : err.toString();
  }

  static long committedRows(Path dest, Predicate<Path> files) throws IOException {
    try (Stream<Path> s = Files.list(dest)) {
      long n = 0;
      for (Path f : s.filter(Files::isRegularFile).filter(files).toList()) {
        n += Files.readAllLines(f).size();
      }
      return n;
    }
  }

  PrometheusPage scrape() throws IOException, InterruptedException {
    return PrometheusPage.scrape(node.serverPort());
  }

  static Map<String, String> subtaskLabels(String table, int tid, int pid) {
    return Map.of("db", "demo", "table", table, "tid", String.valueOf(tid), "pid", String.valueOf(pid));
  }

  // --------------------------------------------------------------------------------------------- tests

  @Test
  @Order(1)
  void managementEndpoints() throws Exception {
    assertEquals(200, get(node.managementPort(), "/alive").statusCode());
    assertEquals(200, get(node.managementPort(), "/ready").statusCode());
    JsonNode members = JSON.readTree(get(node.managementPort(), "/cluster/members").body());
    String text = members.toString();
    assertTrue(text.contains("synctool") && text.contains("collector"), text);
  }

  @Test
  @Order(2)
  void theOriginalHelpersRequestsOverHttpJson() throws Exception {
    Path dest = tmp.resolve("dest-events");
    String created = HelperScript.run("", "create", server, "demo", "events", "2", "0", dest.toString());
    assertEquals("{\n  \"code\": 0\n}\n", created);

    await(Duration.ofSeconds(60), () -> totalCount(status(), 11) == SNAPSHOT_ROWS + BINLOG_ROWS,
        "all rows of demo.events committed");
    JsonNode s = status();
    assertEquals(0, s.get("response").get("code").asInt());
    assertEquals(2, s.get("task").size());
    assertEquals(2, s.get("readableInfo").size());
    for (int i = 0; i < 2; i++) {
      JsonNode t = s.get("task").get(i);
      JsonNode p = t.get("progress");
      assertEquals(11, p.get("tid").asInt());
      assertEquals(i, p.get("pid").asInt());
      assertTrue(p.get("tid").isInt() && p.get("pid").isInt());
      assertEquals("kFullAndContinuous", p.get("mode").asText());
      assertEquals("0", p.get("startTs").textValue());
      assertEquals("kBINLOG", p.get("syncPoint").get("type").asText());
      assertTrue(p.get("syncPoint").get("offset").isTextual(), "uint64 offset as a string");
      assertEquals(events.lastLogIndex(i) + 1, Long.parseLong(p.get("syncPoint").get("offset").textValue()));
      assertEquals(TabletFixture.DEFAULT_ENDPOINT, p.get("tabletEndpoint").asText());
      assertEquals(server, p.get("desEndpoint").asText());
      assertEquals(dest.toString(), p.get("dest").asText());
      assertEquals(collector.endpoint(), t.get("dataCollector").asText());
      assertTrue(t.get("count").isTextual());
      assertEquals("RUNNING", t.get("status").asText());
      String info = s.get("readableInfo").get(i).asText();
      assertTrue(info.matches("lastUpdateTime=\\d{13};lastCommitTime=\\d{13};progressPath="
          + tmp.resolve("progress").resolve("11").resolve(i + ".progress")
          + ";persistenceId=Subtask\\|demo\\.events\\|\\d+\\|" + i
          + ";journal=" + tmp.resolve("progress").resolve("journal")), info);
    }

    PrometheusPage page = scrape();
    for (String counter : List.of("rows_committed", "bytes_committed", "files_committed", "stream_opens",
        "stream_failures")) {
      assertEquals("counter", page.type("offsync_synctool_" + counter + "_total"), counter);
    }
    assertEquals("gauge", page.type("offsync_synctool_binlog_offset"));
    assertEquals("gauge", page.type("offsync_synctool_subtask_state"));
    assertEquals("gauge", page.type("offsync_synctool_subtasks"));
    assertEquals(2, page.value("offsync_synctool_subtasks", Map.of()));
    long metricRows = 0;
    for (SubtaskStatus st : grpcStatus("events")) {
      Map<String, String> labels = subtaskLabels("events", 11, st.getPid());
      double rows = page.value("offsync_synctool_rows_committed_total", labels);
      assertEquals(st.getRows(), rows);
      assertEquals(st.getBytes(), page.value("offsync_synctool_bytes_committed_total", labels));
      assertEquals(st.getFiles(), page.value("offsync_synctool_files_committed_total", labels));
      assertTrue(st.getFiles() >= 1 && st.getBytes() > 0, st.toString());
      assertEquals(st.getStreamOpens(), page.value("offsync_synctool_stream_opens_total", labels));
      assertTrue(st.getStreamOpens() >= 1, st.toString());
      assertEquals(st.getStreamFailures(), page.value("offsync_synctool_stream_failures_total", labels));
      assertEquals(events.lastLogIndex(st.getPid()) + 1, page.value("offsync_synctool_binlog_offset", labels));
      Map<String, String> running = new java.util.HashMap<>(labels);
      running.put("state", "RUNNING");
      assertEquals(1, page.value("offsync_synctool_subtask_state", running));
      assertEquals(1, page.samples("offsync_synctool_subtask_state", labels).size(), "one state per subtask");
      metricRows += (long) rows;
    }
    assertEquals(SNAPSHOT_ROWS + BINLOG_ROWS, metricRows);
    assertTrue(page.value("jvm_threads_live_threads", Map.of()) > 0, "JVM meters");
    assertEquals("gauge", page.type("jvm_memory_used_bytes"));

    String helperView = HelperScript.run("", "status", server);
    assertTrue(helperView.startsWith("2 tasks(tid-pid)\n{'lastUpdateTime': '"), helperView);
    assertTrue(helperView.contains("'tid': 11, 'pid': 0, 'mode': 'kFullAndContinuous', 'startTs': '0',"
        + " 'syncPoint': {'type': 'kBINLOG', 'offset': '"), helperView);
    assertTrue(helperView.endsWith("table scope\nrunning tasks:\ntid 11 task is running, pid parts:"
        + " dict_keys([0, 1])\nall tasks are running\n"), helperView);

    JsonNode dup = call("CreateSyncTask", "POST",
        "{\"db\": \"demo\", \"name\": \"events\", \"mode\": 2, \"start_ts\": 0, \"dest\": \"/tmp/other\"}");
    assertEquals(-1, dup.get("code").asInt());
    assertTrue(dup.get("msg").asText().contains("already exists"), dup.toString());

    JsonNode unknown = call("CreateSyncTask", "POST",
        "{\"db\": \"demo\", \"name\": \"nope\", \"mode\": 0, \"start_ts\": 0, \"dest\": \"/tmp/x\"}");
    assertTrue(unknown.get("msg").asText().contains("table demo.nope not found"), unknown.toString());
    JsonNode mem = call("CreateSyncTask", "POST",
        "{\"db\": \"demo\", \"name\": \"mem\", \"mode\": 0, \"start_ts\": 0, \"dest\": \"/tmp/x\"}");
    assertTrue(mem.get("msg").asText().contains("is a memory table: only disk tables"), mem.toString());
    JsonNode noMode = call("CreateSyncTask", "POST",
        "{\"db\": \"demo\", \"name\": \"clicks\", \"mode\": null, \"start_ts\": 0, \"dest\": \"/tmp/x\"}");
    assertTrue(noMode.get("msg").asText().startsWith("mode is required"), noMode.toString());
    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    JsonNode badDest = call("CreateSyncTask", "POST",
        "{\"db\": \"demo\", \"name\": \"clicks\", \"mode\": 0, \"start_ts\": 0, \"dest\": \"" + file + "\"}");
    assertTrue(badDest.get("msg").asText().contains("is not a directory"), badDest.toString());
    JsonNode badJson = call("DeleteSyncTask", "POST", "{\"db\": \"demo\", \"table\": \"events\"}");
    assertTrue(badJson.get("msg").asText().contains("not a DeleteSyncTaskRequest"), badJson.toString());
  }

  @Test
  @Order(3)
  void grpcRoundTrip() throws Exception {
    ListCollectorsReply cols = grpc.listCollectors(ListCollectorsRequest.getDefaultInstance())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(ROOT + "/sync_tool/collector", cols.getZookeeperPath());
    assertEquals(List.of(collector.endpoint()), cols.getCollectorList().stream().map(c -> c.getEndpoint()).toList());

    Path dest = tmp.resolve("dest-clicks");
    TableRef clicksRef = TableRef.newBuilder().setDb("demo").setTable("clicks").build();
    grpc.createTask(CreateTaskRequest.newBuilder().setTable(clicksRef).setMode(2).setDest(dest.toString())
        .setFormat(Format.CSV).setRollTimeSeconds(1).setRollIdleSeconds(1).build())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    await(Duration.ofSeconds(60), () -> grpcStatus("clicks").stream().mapToLong(SubtaskStatus::getRows).sum() == 50,
        "all rows of demo.clicks committed");
    List<SubtaskStatus> st = grpcStatus("clicks");
    assertEquals(2, st.size());
    for (SubtaskStatus s : st) {
      assertEquals("csv", s.getFormat());
      assertEquals("binlog", s.getPhase());
      assertTrue(s.getFiles() > 0 && s.getBytes() > 0, s.toString());
    }
    assertEquals(50, committedRows(dest, f -> f.getFileName().toString().endsWith(".csv")));
    PrometheusPage before = scrape();
    assertEquals(4, before.value("offsync_synctool_subtasks", Map.of()));
    long files = 0;
    for (SubtaskStatus s : st) {
      Map<String, String> labels = subtaskLabels("clicks", 12, s.getPid());
      assertEquals(s.getRows(), before.value("offsync_synctool_rows_committed_total", labels));
      files += s.getFiles();
    }
    assertEquals(files, before.samples("offsync_synctool_files_committed_total", Map.of("table", "clicks")).stream()
        .mapToDouble(PrometheusPage.Sample::value).sum());

    assertEquals(Status.Code.ALREADY_EXISTS, grpcFailure(grpc.createTask(CreateTaskRequest.newBuilder()
        .setTable(clicksRef).setMode(2).setDest(dest.toString()).build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, grpcFailure(grpc.createTask(CreateTaskRequest.newBuilder()
        .setTable(clicksRef).setMode(3).setDest(dest.toString()).build())));
    assertEquals(Status.Code.NOT_FOUND, grpcFailure(grpc.createTask(CreateTaskRequest.newBuilder()
        .setTable(TableRef.newBuilder().setDb("demo").setTable("nope")).setMode(0).setDest("/tmp/x").build())));
    assertEquals(Status.Code.FAILED_PRECONDITION, grpcFailure(grpc.createTask(CreateTaskRequest.newBuilder()
        .setTable(TableRef.newBuilder().setDb("demo").setTable("mem")).setMode(0).setDest("/tmp/x").build())));

    grpc.pauseTask(clicksRef).toCompletableFuture().get(30, TimeUnit.SECONDS);
    await(Duration.ofSeconds(30), () -> grpcStatus("clicks").stream().allMatch(SubtaskStatus::getPaused),
        "clicks paused");
    clicks.put(1000L, "while paused", 1_700_000_001_000L);
    Thread.sleep(1500);
    assertEquals(50, grpcStatus("clicks").stream().mapToLong(SubtaskStatus::getRows).sum(), "paused: no commit");
    grpc.resumeTask(clicksRef).toCompletableFuture().get(30, TimeUnit.SECONDS);
    await(Duration.ofSeconds(60), () -> grpcStatus("clicks").stream().mapToLong(SubtaskStatus::getRows).sum() == 51,
        "the row appended while paused committed after resume");
    PrometheusPage after = scrape();
    assertEquals(51, after.samples("offsync_synctool_rows_committed_total", Map.of("table", "clicks")).stream()
        .mapToDouble(PrometheusPage.Sample::value).sum(), "the metrics moved with the synced row");
    assertEquals(files + 1, after.samples("offsync_synctool_files_committed_total", Map.of("table", "clicks"))
        .stream().mapToDouble(PrometheusPage.Sample::value).sum(), "one more file");

    grpc.deleteTask(clicksRef).toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertTrue(grpcStatus("clicks").isEmpty());
    PrometheusPage deleted = scrape();
    for (String name : List.of("offsync_synctool_rows_committed_total", "offsync_synctool_binlog_offset",
        "offsync_synctool_subtask_state", "offsync_synctool_stream_opens_total")) {
      assertTrue(deleted.samples(name, Map.of("table", "clicks")).isEmpty(), "the deleted task's " + name + " goes");
      assertEquals(2, deleted.samples(name, Map.of("table", "events")).size(), "events' " + name + " stays");
    }
    assertEquals(2, deleted.value("offsync_synctool_subtasks", Map.of()));
    assertEquals(51, committedRows(dest, f -> f.getFileName().toString().endsWith(".csv")), "files are kept");
    assertEquals(Status.Code.NOT_FOUND, grpcFailure(grpc.deleteTask(clicksRef)));
  }

  @Test
  @Order(4)
  void helperCliAgainstTheNode() throws Exception {
    String out = cli(0, "status");
    assertTrue(out.startsWith("2 tasks(tid-pid)\ntable=demo.events tid=11 pid=0 status=RUNNING mode=2"
        + " phase=binlog"), out);
    assertTrue(out.endsWith("table scope\nrunning tasks:\ntid 11 task is running (demo.events), pid parts: [0, 1]\n"
        + "all tasks are running\n"), out);
    assertTrue(cli(0, "collectors").contains(collector.endpoint() + "  host=127.0.0.1"));
    assertTrue(cli(1, "create", "-t", "demo.events", "-m", "2", "-d", tmp.resolve("x").toString())
        .contains("already exists"));
    assertTrue(cli(1, "create", "-t", "demo.nope", "-m", "0", "-d", tmp.resolve("x").toString())
        .contains("table demo.nope not found"));
    assertTrue(cli(1, "create", "-t", "demo.mem", "-m", "0", "-d", tmp.resolve("x").toString())
        .contains("memory table"));
    assertTrue(cli(1, "pause", "-t", "demo.nope").contains("demo.nope"));

    events.put(5000L, "watched", 1_700_000_005_000L);
    String watch = cli(0, "status", "--watch", "-i", "1", "--iterations", "3");
    assertEquals(3, watch.split("offsync sync status at ", -1).length - 1, watch);
    assertTrue(watch.contains("ROWS/S") && watch.contains("demo.events"), watch);

    Path dest = tmp.resolve("dest-clicks-cli");
    assertTrue(cli(0, "create", "-t", "demo.clicks", "-m", "0", "-d", dest.toString(), "--format", "csv")
        .contains("created sync task for demo.clicks"));
    // mode 0: when every subtask succeeded the task removes itself, as the original
    await(Duration.ofSeconds(60), () -> grpcStatus("clicks").isEmpty(), "mode-0 task of demo.clicks finished");
    assertEquals(51, committedRows(dest, f -> f.getFileName().toString().endsWith(".csv")));
    String verified = cli(0, "verify", "-t", "demo.clicks");
    assertTrue(verified.startsWith("task demo.clicks (completed): tid ") && verified.contains("51 rows: OK"), verified);
    assertTrue(cli(0, "verify", "-t", "demo.events").contains(": OK\n"));
    assertTrue(cli(1, "verify", "-t", "demo.nope").contains("no sync task"));
    Path committed;
    try (var files = java.nio.file.Files.list(dest)) {
      committed = files.filter(f -> f.getFileName().toString().endsWith(".csv")).sorted().findFirst().orElseThrow();
    }
    java.nio.file.Files.delete(committed);
    String hole = cli(SyncToolHelper.VERIFY_PROBLEMS, "verify", "-t", "demo.clicks");
    assertTrue(hole.contains("PROBLEM pid ") && hole.contains("HOLE: " + committed.getFileName()), hole);
    // format iceberg: an Iceberg table <dest>/demo/clicks, read back with Iceberg's own catalog and reader
    Path warehouse = tmp.resolve("warehouse-cli");
    assertTrue(cli(0, "create", "-t", "demo.clicks", "-m", "0", "-d", warehouse.toString(), "--format", "iceberg")
        .contains("created sync task for demo.clicks"));
    await(Duration.ofSeconds(60), () -> grpcStatus("clicks").isEmpty(), "mode-0 iceberg task of demo.clicks");
    org.apache.iceberg.Table table = new org.apache.iceberg.hadoop.HadoopCatalog(
        new org.apache.hadoop.conf.Configuration(), warehouse.toUri().toString())
        .loadTable(org.apache.iceberg.catalog.TableIdentifier.of("demo", "clicks"));
    List<Long> ids = new java.util.ArrayList<>();
    try (var rows = org.apache.iceberg.data.IcebergGenerics.read(table).build()) {
      rows.forEach(r -> ids.add((Long) r.getField("id")));
    }
    List<Long> expected = new java.util.ArrayList<>(java.util.stream.LongStream.range(0, 50).boxed().toList());
    expected.add(1000L); // put while the csv task was paused
    assertEquals(expected, ids.stream().sorted().toList());
    String tool = cli(0, "tool-status", "-f", Path.of("..", "conf", "synctool.properties").toString());
    assertTrue(tool.contains("settings: ok") && tool.contains("running, 1 task(s), 2 subtask(s)"), tool);
  }

  @Test
  @Order(5)
  void deleteWithTheReleasedSpellingThenNoTask() throws Exception {
    JsonNode r = call("DelelteSyncTask", "POST", "{\"db\": \"demo\", \"name\": \"events\"}");
    assertEquals(0, r.get("code").asInt(), r.toString());
    JsonNode again = call("DelelteSyncTask", "POST", "{\"db\": \"demo\", \"name\": \"events\"}");
    assertEquals(0, again.get("code").asInt(), "nothing to clear succeeds, as the original: " + again);
    assertTrue(again.get("msg").asText().contains("no sync task for demo.events"), again.toString());

    JsonNode created = call("CreateSyncTask", "POST", "{\"db\": \"demo\", \"name\": \"clicks\", \"mode\": 2,"
        + " \"start_ts\": 0, \"dest\": \"" + tmp.resolve("dest-clicks-json") + "\"}");
    assertEquals(0, created.get("code").asInt(), created.toString());
    assertEquals(2, status().get("task").size());
    JsonNode cleared = call("TaskStatus", "POST", "{\"clear_all\": true}");
    assertEquals(0, cleared.get("response").get("code").asInt(), cleared.toString());
    assertFalse(cleared.has("task"), "clear_all drops every task: " + cleared);
    JsonNode s = status();
    assertFalse(s.has("task"));
    assertFalse(s.has("readableInfo"));
    assertEquals("no task\n", HelperScript.run("", "status", server));
    try (Stream<Path> files = Files.list(tmp.resolve("dest-events"))) {
      assertTrue(files.anyMatch(f -> f.getFileName().toString().startsWith("part-11-")), "committed files stay");
    }
  }

  @Test
  @Order(6)
  void notReadyWhileZooKeeperIsDown() throws Exception {
    zk.stop();
    try {
      await(Duration.ofSeconds(60), () -> get(node.managementPort(), "/ready").statusCode() != 200,
          "/ready failing while ZooKeeper is down");
      assertEquals(200, get(node.managementPort(), "/alive").statusCode(), "alive all the same");
    } finally {
      zk.restart();
    }
    await(Duration.ofSeconds(60), () -> get(node.managementPort(), "/ready").statusCode() == 200,
        "/ready again once ZooKeeper is back");
  }
}
