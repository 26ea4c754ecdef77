package io.offsync.synctool;

import static io.offsync.synctool.TestNodes.await;
import static io.offsync.synctool.TestNodes.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.offsync.collector.node.CollectorNode;
import io.offsync.protocol.openmldb.Common;
import io.offsync.synctool.http.HelperScript;
import io.offsync.testkit.EmbeddedZooKeeper;
import io.offsync.testkit.TabletFixture;
import java.io.IOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
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

/**
 * What OpenMLDB's own {@code tools/synctool_helper.py} trips on, point by point, against a real synctool node
 * (real ZooKeeper, a testkit tablet's files, a real collector node, H2 journal file): every call is sent exactly
 * as the helper sends it (POST with a JSON body for create and delete, GET with the JSON body {@code {}} for
 * status), and the answers are read the way the helper reads them (readableInfo split on {@code ;} and
 * {@code =}). The tool-status part runs the helper's own steps with python3 when it is installed.
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OriginalHelperCompatTest {

  static final String ROOT = "/openmldb";
  static final ObjectMapper JSON = new ObjectMapper();
  static final int TID = 21;
  static final int ROWS = 60;
  static final int CHECK_PERIOD_S = 5;

  @TempDir static Path tmp;
  EmbeddedZooKeeper zk;
  TabletFixture events;
  TabletFixture quiet;
  CollectorNode collector;
  SyncToolNode node;
  String server;
  Path progress;
  Path conf;
  Path dest;
  HttpClient http;

  static TabletFixture table(Path root, String name, int tid) {
    return SyncToolNodeTest.table(root, name, tid, Common.StorageMode.kHDD);
  }

  @BeforeAll
  void start() throws Exception {
    zk = EmbeddedZooKeeper.start();
    Path hdd = Files.createDirectories(tmp.resolve("hdd"));
    events = table(hdd, "events", TID);
    for (int i = 0; i < ROWS; i++) {
      events.put((long) i, "name-" + i, 1_700_000_000_000L + i);
      if (i == ROWS / 2) {
        events.snapshot(0);
        events.snapshot(1);
      }
    }
    events.flush();
    events.register(zk.client(), ROOT);
    quiet = table(hdd, "quiet", TID + 1);
    quiet.register(zk.client(), ROOT);

    int collectorCluster = freePort();
    collector = TestNodes.collector(zk.connectString(), ROOT, hdd, tmp.resolve("datadir"), collectorCluster,
        freePort());
    progress = tmp.resolve("progress");
    Properties p = TestNodes.synctool(zk.connectString(), ROOT, progress, collectorCluster);
    p.setProperty("sync_task.check_period", String.valueOf(CHECK_PERIOD_S));
    p.setProperty("sync_task.roll_idle", "1");
    p.setProperty("sync_task.default_format", "csv");
    p.setProperty("data.cache_path", "");
    conf = tmp.resolve("synctool.properties");
    try (Writer w = Files.newBufferedWriter(conf)) {
      p.store(w, "as bin/start.sh would read it");
    }
    node = SyncToolNode.start(SyncToolSettings.load(conf), ConfigFactory.load(), EngineTaskAdmin.engine());
    server = "127.0.0.1:" + node.serverPort();
    dest = tmp.resolve("dest-events");
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  @AfterAll
  void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (collector != null) {
      collector.close();
    }
    for (TabletFixture t : new TabletFixture[] {events, quiet}) {
      if (t != null) {
        t.close();
      }
    }
    if (zk != null) {
      zk.close();
    }
  }

  /** As synctool_helper.py: requests.post(url, json=body) / requests.get(url, json={}). */
  JsonNode call(String method, String httpMethod, String body) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://" + server + "/openmldb.datasync.SyncTool/" + method))
        .header("Content-Type", "application/json")
        .method(httpMethod, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  JsonNode status() throws IOException, InterruptedException {
    return call("TaskStatus", "GET", "{}");
  }

  JsonNode create(String table, String to) throws IOException, InterruptedException {
    return call("CreateSyncTask", "POST", "{\"db\": \"demo\", \"name\": \"" + table + "\", \"mode\": 2,"
        + " \"start_ts\": 0, \"dest\": \"" + to + "\"}");
  }

  /** readableInfo of partition {@code pid}, split as the helper does: {@code dict(item.split('=') ...)}. */
  static Map<String, String> readable(JsonNode status, int pid) {
    for (int i = 0; i < status.get("task").size(); i++) {
      if (status.get("task").get(i).get("progress").get("pid").asInt() == pid) {
        Map<String, String> d = new HashMap<>();
        for (String item : status.get("readableInfo").get(i).asText().split(";")) {
          String[] kv = item.split("=");
          assertEquals(2, kv.length, "the helper's dict() needs exactly one '=' per item: " + item);
          d.put(kv[0], kv[1]);
        }
        return d;
      }
    }
    throw new AssertionError("no subtask " + pid + " in " + status);
  }

  static long count(JsonNode status) {
    long n = 0;
    for (JsonNode t : status.path("task")) {
      n += Long.parseLong(t.get("count").textValue());
    }
    return n;
  }

  static Properties load(Path file) throws IOException {
    Properties p = new Properties();
    try (var in = Files.newBufferedReader(file)) {
      p.load(in);
    }
    return p;
  }

  @Test
  @Order(1)
  void createThenOneTrueProgressFilePerSubtask() throws Exception {
    assertEquals(0, create("events", dest.toString()).get("code").asInt());
    await(Duration.ofSeconds(60), () -> count(status()) == ROWS, "all rows of demo.events committed");
    JsonNode s = status();
    for (int pid = 0; pid < 2; pid++) {
      Map<String, String> info = readable(s, pid);
      Path file = ProgressFiles.path(progress, TID, pid);
      assertEquals(file.toString(), info.get("progressPath"), "progressPath names the subtask's progress file");
      int p = pid;
      long rows = Long.parseLong(s.get("task").get(pid).get("count").textValue());
      await(Duration.ofSeconds(4L * CHECK_PERIOD_S), () -> Files.exists(file)
          && load(file).getProperty("rows").equals(String.valueOf(rows)), "progress file " + file);
      Properties f = load(file);
      assertEquals("demo.events", f.getProperty("table"));
      assertEquals(String.valueOf(p), f.getProperty("pid"));
      assertEquals("RUNNING", f.getProperty("status"));
      // a caught-up subtask whose checkpoint overlap has not met a newer put yet shows "(overlap with snapshot …)"
      assertTrue(f.getProperty("position").matches("binlog " + (events.lastLogIndex(p) + 1) + "( \\(overlap with snapshot .+\\))?"),
          "committed position: " + f.getProperty("position"));
      assertEquals(info.get("persistenceId"), f.getProperty("persistenceId"));
      assertEquals(node.settings().journalLocation(), f.getProperty("journal"));
      assertEquals("127.0.0.1:" + node.settings().clusterPort(), f.getProperty("node"));
      assertFalse(f.getProperty("written").isEmpty());
    }
  }

  @Test
  @Order(2)
  void progressPathAndPersistenceIdLeadToTheJournal() throws Exception {
    Map<String, String> info = readable(status(), 1);
    assertEquals(node.settings().journalLocation(), info.get("journal"));
    assertTrue(info.get("persistenceId").matches("Subtask\\|demo\\.events\\|\\d+\\|1"), info.toString());
    assertTrue(Files.exists(Path.of(info.get("journal") + ".mv.db")), "the H2 journal file");
    // what an operator can do with it: the subtask's events are in the journal under that id
    try (Connection c = DriverManager.getConnection(node.settings().journalUrl(), "root", "root");
        PreparedStatement q = c.prepareStatement("select count(*) from event_journal where persistence_id = ?")) {
      q.setString(1, info.get("persistenceId"));
      try (ResultSet r = q.executeQuery()) {
        assertTrue(r.next());
        assertTrue(r.getLong(1) >= 2, "FileCommitting + FileCommitted of the committed file at least");
      }
    }
  }

  @Test
  @Order(3)
  void lastUpdateTimeIsTheLastContactAndKeepsMovingWhileIdle() throws Exception {
    JsonNode before = status();
    Map<String, String> first = readable(before, 0);
    long commit = Long.parseLong(first.get("lastCommitTime"));
    long contact = Long.parseLong(first.get("lastUpdateTime"));
    assertTrue(commit > 0, "a file was committed: " + first);
    // nothing is written to the table any more: only the collector's heartbeats move lastUpdateTime on
    await(Duration.ofSeconds(4L * CHECK_PERIOD_S), () -> Long.parseLong(readable(status(), 0)
        .get("lastUpdateTime")) > Math.max(contact, commit), "lastUpdateTime moving past the last commit");
    JsonNode after = status();
    Map<String, String> later = readable(after, 0);
    assertEquals(commit, Long.parseLong(later.get("lastCommitTime")), "no commit while idle");
    assertEquals(ROWS, count(after), "no row while idle");
    for (int pid = 0; pid < 2; pid++) {
      long age = System.currentTimeMillis() - Long.parseLong(readable(after, pid).get("lastUpdateTime"));
      assertTrue(age < 2_000L * CHECK_PERIOD_S, "an idle RUNNING subtask is not stuck by the original's rule"
          + " (older than 2 x check_period): " + age + " ms");
      assertEquals("RUNNING", after.get("task").get(pid).get("status").asText());
    }
  }

  @Test
  @Order(4)
  void refusedDuplicateCreateLeavesNothingBehind() throws Exception {
    Path other = tmp.resolve("dest-duplicate");
    JsonNode dup = create("events", other.toString());
    assertEquals(-1, dup.get("code").asInt());
    assertTrue(dup.get("msg").asText().contains("already exists"), dup.toString());
    assertFalse(Files.exists(other), "the refused create did not touch its dest");
    JsonNode unknown = call("CreateSyncTask", "POST", "{\"db\": \"demo\", \"name\": \"nope\", \"mode\": 0,"
        + " \"start_ts\": 0, \"dest\": \"" + other + "\"}");
    assertEquals(-1, unknown.get("code").asInt());
    assertFalse(Files.exists(other), "nor did a create of an unknown table");
  }

  @Test
  @Order(5)
  void deleteOfATableWithoutTaskAnswersZeroWithTheMessage() throws Exception {
    JsonNode none = call("DeleteSyncTask", "POST", "{\"db\": \"demo\", \"name\": \"quiet\"}");
    assertEquals(0, none.get("code").asInt(), none.toString());
    assertTrue(none.get("msg").asText().contains("no sync task for demo.quiet"), none.toString());
    JsonNode unknown = call("DeleteSyncTask", "POST", "{\"db\": \"demo\", \"name\": \"nope\"}");
    assertEquals(-1, unknown.get("code").asInt(), "a table OpenMLDB does not have is an error: " + unknown);
    assertTrue(unknown.get("msg").asText().contains("not found in OpenMLDB"), unknown.toString());
  }

  @Test
  @Order(6)
  void toolStatusAsTheOriginalHelperRunsIt() throws Exception {
    String out = HelperScript.run("", "tool-status", conf.toString());
    assertTrue(out.contains("server 127.0.0.1:" + node.serverPort()), out);
    assertTrue(out.contains("data cache path ''"), out);
    for (int pid = 0; pid < 2; pid++) {
      assertTrue(out.contains("\n" + ProgressFiles.path(progress, TID, pid) + "\n"), "lists " + pid + ":\n" + out);
    }
    assertTrue(out.contains("\n" + progress.resolve("journal.mv.db") + "\n"), out);
  }

  @Test
  @Order(7)
  void deleteRemovesTheProgressFilesAndStatusSaysNoTask() throws Exception {
    JsonNode deleted = call("DeleteSyncTask", "POST", "{\"db\": \"demo\", \"name\": \"events\"}");
    assertEquals(0, deleted.get("code").asInt(), deleted.toString());
    JsonNode s = call("TaskStatus", "POST", "{}");
    assertFalse(s.has("task") || s.has("readableInfo"), s.toString());
    await(Duration.ofSeconds(4L * CHECK_PERIOD_S), () -> !Files.exists(progress.resolve(String.valueOf(TID))),
        "the deleted task's progress files removed");
    JsonNode again = call("DeleteSyncTask", "POST", "{\"db\": \"demo\", \"name\": \"events\"}");
    assertEquals(0, again.get("code").asInt(), again.toString());
  }
}
