package io.offsync.synctool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.admin.SubtaskStatus;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The helper's command line and its printing; the calls against a running node are in SyncToolNodeTest. */
class SyncToolHelperTest {

  @TempDir Path dir;

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = SyncToolHelper.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Result(code, out.toString(), err.toString());
  }

  static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void badArgumentsAreRefusedBeforeAnyCall() {
    Result r = run("create", "-t", "dbtable", "-m", "0", "-d", "/tmp/x");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("-t takes db.table (exactly one dot), got 'dbtable'"), r.err());
    r = run("create", "-t", "db.t", "-m", "5", "-d", "/tmp/x");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("mode must be 0 (full), 1 (incremental from -ts) or 2"), r.err());
    r = run("create", "-t", "db.t", "-m", "0", "-d", "/tmp/x", "--format", "orc");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--format takes parquet, csv or iceberg, got 'orc'"), r.err());
    r = run("create", "-t", "db.t", "-m", "0", "-d", "/tmp/x", "--partition-by", "ts:week");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--partition-by: partition by 'ts:week': unknown time unit 'week'"), r.err());
    r = run("create", "-t", "db.t", "-d", "/tmp/x");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("Missing required option: '--mode=<mode>'"), r.err());
    r = run("frobnicate");
    assertEquals(2, r.code());
  }

  @Test
  void anUnreachableServerIsNamed() throws IOException {
    String server = "127.0.0.1:" + closedPort();
    Result r = run("status", "-s", server, "--timeout", "5");
    assertEquals(3, r.code(), r.err());
    assertTrue(r.err().contains("is synctool running at " + server + "?"), r.err());
  }

  @Test
  void toolStatusPrintsTheFileWithoutDataCachePath() throws IOException {
    Path conf = dir.resolve("synctool.properties");
    Files.writeString(conf, "server.host=0.0.0.0\nserver.port=" + closedPort() + "\nzookeeper.cluster=127.0.0.1:2181\n"
        + "zookeeper.root_path=/openmldb\nsync_task.progress_path=" + dir.resolve("progress") + "\n"
        + "server.worker_threads=16\n");
    Result r = run("tool-status", "-f", conf.toString(), "--timeout", "5");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("{'server.host': '0.0.0.0', 'server.port': '"), r.out());
    assertTrue(r.out().contains("settings: ok (ignored, no effect in offsync: server.worker_threads)"), r.out());
    assertTrue(r.out().contains("sync task progress: journal " + dir.resolve("progress").resolve("journal")),
        r.out());
    assertTrue(r.out().contains("(not created yet)"), r.out());
    assertTrue(r.out().contains("is synctool running at 127.0.0.1:"), r.out());

    Files.writeString(conf, "zookeeper.cluster=127.0.0.1:2181\nzookeeper.root_path=/openmldb\nbogus.key=1\n");
    r = run("tool-status", "-f", conf.toString(), "-s", "127.0.0.1:" + closedPort(), "--timeout", "5");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("settings: INVALID: unknown key bogus.key"), r.out());

    r = run("tool-status", "-f", dir.resolve("missing.properties").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("cannot read"), r.err());
  }

  @Test
  void statusPrintsSubtasksThenTheTableScope() {
    StringWriter w = new StringWriter();
    SubtaskStatus a = SubtaskStatus.newBuilder().setDb("db").setTable("t").setTid(7).setPid(0).setMode(2)
        .setState("RUNNING").setPhase("binlog").setPosition("binlog(51)").setRows(100).setBytes(2048).setFiles(2)
        .setCollector("127.0.0.1:8888").setTabletEndpoint("127.0.0.1:10921").setFormat("parquet").setDest("/d")
        .build();
    SubtaskStatus b = a.toBuilder().setPid(1).setState("FAILED").setReason("no collector on host 10.0.0.2")
        .build();
    SubtaskStatus c = a.toBuilder().setTid(9).setTable("u").setPid(0).setState("INIT").setPaused(true).build();
    SyncToolHelper.printStatus(new PrintWriter(w, true), List.of(a, b, c));
    String[] lines = w.toString().split("\n");
    assertEquals("3 tasks(tid-pid)", lines[0]);
    assertEquals("table=db.t tid=7 pid=0 status=RUNNING mode=2 phase=binlog position=binlog(51) rows=100"
        + " bytes=2048 files=2 collector=127.0.0.1:8888 tablet=127.0.0.1:10921 lastUpdateTime= format=parquet"
        + " dest=/d", lines[1]);
    assertTrue(lines[2].contains("status=FAILED") && lines[2].endsWith("reason=no collector on host 10.0.0.2"));
    assertTrue(lines[3].contains("table=db.u tid=9 pid=0 status=INIT (paused)"));
    assertEquals(List.of("table scope", "running tasks:", "tid 9 task is running (db.u), pid parts: [0]",
        "tasks contains failed part: {7}", "tid: 7"), List.of(lines).subList(4, 9));
    assertEquals("failed part: " + SyncToolHelper.line(b), lines[9]);
    assertEquals(10, lines.length);

    w = new StringWriter();
    SyncToolHelper.printStatus(new PrintWriter(w, true), List.of());
    assertEquals("no task\n", w.toString());
  }
}
