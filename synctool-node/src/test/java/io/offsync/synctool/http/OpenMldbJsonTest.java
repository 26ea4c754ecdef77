package io.offsync.synctool.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import io.offsync.protocol.admin.SubtaskStatus;
import io.offsync.protocol.openmldb.DataSync;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The protobuf-JSON shapes of the original SyncTool (reference §2.1, §5), produced by {@link OpenMldbJson}. */
class OpenMldbJsonTest {

  static final ObjectMapper MAPPER = new ObjectMapper();

  /** The two subtasks of the reference's §5 example (tid 7: pid 0 in the snapshot, pid 1 FAILED in the binlog). */
  static List<SubtaskStatus> referenceExample() {
    SubtaskStatus p0 = SubtaskStatus.newBuilder().setDb("db").setTable("t").setTid(7).setPid(0).setMode(0)
        .setStartTs(0).setDest("/tmp/hdfs-dest").setFormat("csv").setState("RUNNING").setPhase("snapshot")
        .setSnapshotKeyPk("k1").setSnapshotKeyTs(1681000000000L).setRows(100).setCollector("10.0.0.1:8888")
        .setTabletEndpoint("10.0.0.1:10921").setLastUpdateMs(1683800000123L).setPersistenceId("t0").build();
    SubtaskStatus p1 = SubtaskStatus.newBuilder().setDb("db").setTable("t").setTid(7).setPid(1).setMode(0)
        .setStartTs(0).setDest("/tmp/hdfs-dest").setFormat("csv").setState("FAILED").setPhase("binlog")
        .setBinlogOffset(51).setRows(0).setCollector("").setTabletEndpoint("10.0.0.2:10921")
        .setLastUpdateMs(1683800000000L).setPersistenceId("t1").setReason("no collector").build();
    return List.of(p0, p1);
  }

  static String referenceJson() {
    return OpenMldbJson.print(OpenMldbJson.taskStatus(referenceExample(), "10.0.0.9:8848",
        java.nio.file.Path.of("/tmp/sync_task_progress"), "/tmp/sync_task_progress/journal"));
  }

  private static List<String> keys(JsonNode n) {
    List<String> out = new ArrayList<>();
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      out.add(it.next());
    }
    return out;
  }

  @Test
  void taskStatusHasTheOriginalShapeKeyByKey() throws Exception {
    String json = referenceJson();
    assertTrue(json.startsWith("{\n  \"response\": {\n    \"code\": 0\n  },\n  \"task\": [{\n"), json);
    JsonNode root = MAPPER.readTree(json);
    assertEquals(List.of("response", "task", "readableInfo"), keys(root));
    assertTrue(root.get("response").get("code").isInt());

    JsonNode t0 = root.get("task").get(0);
    assertEquals(List.of("progress", "dataCollector", "count", "status"), keys(t0));
    JsonNode p = t0.get("progress");
    assertEquals(List.of("tid", "pid", "mode", "startTs", "syncPoint", "tabletEndpoint", "desEndpoint", "token",
        "dest"), keys(p));
    assertTrue(p.get("tid").isInt(), "uint32 as a JSON number");
    assertEquals(7, p.get("tid").asInt());
    assertEquals(0, p.get("pid").asInt());
    assertEquals("kFull", p.get("mode").asText(), "enum as its name");
    assertTrue(p.get("startTs").isTextual(), "uint64 as a JSON string");
    assertEquals("0", p.get("startTs").asText());
    assertEquals(List.of("type", "pk", "ts"), keys(p.get("syncPoint")));
    assertEquals("kSNAPSHOT", p.get("syncPoint").get("type").asText());
    assertEquals("1681000000000", p.get("syncPoint").get("ts").textValue());
    assertEquals("10.0.0.9:8848", p.get("desEndpoint").asText());
    assertEquals("100", t0.get("count").textValue());
    assertEquals("RUNNING", t0.get("status").asText());

    JsonNode p1 = root.get("task").get(1).get("progress");
    assertEquals(List.of("type", "offset"), keys(p1.get("syncPoint")));
    assertEquals("kBINLOG", p1.get("syncPoint").get("type").asText());
    assertEquals("51", p1.get("syncPoint").get("offset").textValue());
    assertEquals("0", root.get("task").get(1).get("count").textValue(), "an explicit 0 is printed");

    assertEquals("lastUpdateTime=1683800000123;lastCommitTime=0;progressPath=/tmp/sync_task_progress/7/0.progress"
        + ";persistenceId=t0;journal=/tmp/sync_task_progress/journal", root.get("readableInfo").get(0).asText());
    assertTrue(json.contains("\"lastUpdateTime\\u003d1683800000123;lastCommitTime\\u003d"),
        "'=' escaped as \\u003d as protobuf-java-util prints it");
  }

  @Test
  void noTaskMeansNoTaskAndNoReadableInfo() throws Exception {
    String json = OpenMldbJson.print(OpenMldbJson.taskStatus(List.of(), "h:1", java.nio.file.Path.of("/x"),
        "/x/journal"));
    assertEquals("{\n  \"response\": {\n    \"code\": 0\n  }\n}", json);
  }

  @Test
  void generalResponsesAsTheHelperPrintsThem() {
    assertEquals("{\n  \"code\": 0\n}", OpenMldbJson.print(OpenMldbJson.ok()));
    assertEquals("{\n  \"code\": -1,\n  \"msg\": \"no\"\n}", OpenMldbJson.print(OpenMldbJson.error("no")));
  }

  @Test
  void requestsParseAsTheOriginalAcceptedThem() throws Exception {
    DataSync.CreateSyncTaskRequest snake = OpenMldbJson.parse(
        "{\"db\": \"db\", \"name\": \"t\", \"mode\": 1, \"start_ts\": 233, \"dest\": \"/tmp/d\"}",
        DataSync.CreateSyncTaskRequest.newBuilder()).build();
    assertEquals(DataSync.SyncMode.kIncrementalByTimestamp, snake.getMode());
    assertEquals(233, snake.getStartTs());
    DataSync.CreateSyncTaskRequest camel = OpenMldbJson.parse(
        "{\"db\": \"db\", \"name\": \"t\", \"mode\": \"kFull\", \"startTs\": \"5\", \"dest\": \"/tmp/d\"}",
        DataSync.CreateSyncTaskRequest.newBuilder()).build();
    assertEquals(DataSync.SyncMode.kFull, camel.getMode());
    assertEquals(5, camel.getStartTs());
    DataSync.CreateSyncTaskRequest noMode = OpenMldbJson.parse(
        "{\"db\": \"db\", \"name\": \"t\", \"mode\": null, \"start_ts\": 0, \"dest\": \"/d\"}",
        DataSync.CreateSyncTaskRequest.newBuilder()).build();
    assertFalse(noMode.hasMode());
    assertFalse(snake.hasPartitionBy());
    assertEquals("ts:hour", OpenMldbJson.parse("{\"db\": \"db\", \"name\": \"t\", \"mode\": 0, \"dest\": \"/d\","
        + " \"partition_by\": \"ts:hour\"}", DataSync.CreateSyncTaskRequest.newBuilder()).getPartitionBy());
    assertEquals("ts", OpenMldbJson.parse("{\"partitionBy\": \"ts\"}", DataSync.CreateSyncTaskRequest.newBuilder())
        .getPartitionBy());
    assertFalse(OpenMldbJson.parse("", DataSync.TaskStatusRequest.newBuilder()).build().hasClearAll());
    assertTrue(OpenMldbJson.parse("{\"clear_all\": true}", DataSync.TaskStatusRequest.newBuilder()).getClearAll());
    assertThrows(InvalidProtocolBufferException.class, () -> OpenMldbJson.parse("{\"table\": \"t\"}",
        DataSync.DeleteSyncTaskRequest.newBuilder()));
  }

  @Test
  void theHelpersStatusReadingWorksOnOurJson() throws Exception {
    String expected = String.join("\n",
        "2 tasks(tid-pid)",
        "{'lastUpdateTime': '2023-05-11 10:13:20.123000', 'lastCommitTime': '0', 'progressPath':"
            + " '/tmp/sync_task_progress/7/0.progress', 'persistenceId': 't0', 'journal':"
            + " '/tmp/sync_task_progress/journal', 'tid': 7, 'pid': 0, 'mode': 'kFull', 'startTs': '0', 'syncPoint': {'type': 'kSNAPSHOT', 'pk': 'k1',"
            + " 'ts': '1681000000000'}, 'tabletEndpoint': '10.0.0.1:10921', 'desEndpoint': '10.0.0.9:8848',"
            + " 'token': 't0', 'dest': '/tmp/hdfs-dest', 'dataCollector': '10.0.0.1:8888', 'count': '100',"
            + " 'status': 'RUNNING'}",
        "{'lastUpdateTime': '2023-05-11 10:13:20', 'lastCommitTime': '0', 'progressPath':"
            + " '/tmp/sync_task_progress/7/1.progress', 'persistenceId': 't1', 'journal':"
            + " '/tmp/sync_task_progress/journal', 'tid': 7, 'pid': 1, 'mode': 'kFull', 'startTs': '0', 'syncPoint': {'type': 'kBINLOG',"
            + " 'offset': '51'}, 'tabletEndpoint': '10.0.0.2:10921', 'desEndpoint': '10.0.0.9:8848',"
            + " 'token': 't1', 'dest': '/tmp/hdfs-dest', 'dataCollector': '', 'count': '0', 'status': 'FAILED'}",
        "table scope",
        "running tasks:",
        "tasks contains failed part: {7}",
        "tid: 7",
        "failed part: {'lastUpdateTime': '2023-05-11 10:13:20', 'lastCommitTime': '0', 'progressPath':"
            + " '/tmp/sync_task_progress/7/1.progress', 'persistenceId': 't1', 'journal':"
            + " '/tmp/sync_task_progress/journal', 'tid': 7, 'pid': 1, 'mode': 'kFull', 'startTs': '0',"
            + " 'syncPoint': {'type': 'kBINLOG', 'offset': '51'}, 'tabletEndpoint': '10.0.0.2:10921',"
            + " 'desEndpoint': '10.0.0.9:8848', 'token': 't1', 'dest': '/tmp/hdfs-dest', 'dataCollector': '',"
            + " 'count': '0', 'status': 'FAILED'}",
        "");
    assertEquals(expected, HelperScript.run(referenceJson(), "parse"));
  }
}
