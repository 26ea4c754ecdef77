package io.offsync.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.openmldb.Type;
import io.offsync.synctool.cli.SyncToolHelper;
import io.offsync.testkit.TabletFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 9 end to end, through real processes started by {@code bin/start.sh} (ZooKeeper, a synctool with its H2
 * journal, a data_collector): a snappy two-index table whose checkpoints hold entries past their MANIFEST.offset
 * (300 in one partition, with deletes and overwrites among them, 1 in the other), as a tablet snapshotting under
 * write load leaves them. A mode-2 task syncs it; while both subtasks' journaled positions are inside the overlap
 * (fewer binlog puts after it than the overlap window), the synctool and the collector are killed with SIGKILL, the
 * tablet takes a new snapshot and purges its binlog, and both come back: the read resumes against the old checkpoint,
 * which the collector kept hard-linked. The committed output is exactly the table's rows, compared by row id.
 */
class OverlapProcessTest {

  private static final String ZK_ROOT = "/openmldb";
  private static final String JAVA_OPTS = "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void killedInsideTheOverlapTheSyncStillSendsEveryRowOnce() throws Exception {
    Path base = Path.of("target", "overlap-processes-" + System.nanoTime()).toAbsolutePath();
    Files.createDirectories(base);
    Path dest = base.resolve("out");
    FileSystem fs = FileSystem.getLocal(new Configuration());
    org.apache.hadoop.fs.Path destPath = new org.apache.hadoop.fs.Path(dest.toUri());

    try (ProcessCluster cluster = new ProcessCluster(base, JAVA_OPTS);
         TabletFixture tablet = TabletFixture.builder(base.resolve("tablet")).db("ov_db").table("events").tid(9)
             .partitions(2).compressType(Type.CompressType.kSnappy)
             .column("id", Type.DataType.kBigInt).column("name", Type.DataType.kString)
             .column("city", Type.DataType.kString).column("amount", Type.DataType.kDouble)
             .column("ts", Type.DataType.kTimestamp)
             .index("by_name", "ts", "name").index("by_city", "ts", "city").build()) {
      String zk = cluster.startZooKeeper();
      int synctoolCluster = ProcessCluster.freePort();
      ProcessCluster.Node synctool = cluster.synctool("synctool", zk, ZK_ROOT, synctoolCluster,
          "127.0.0.1:" + synctoolCluster, null, null, null);
      ProcessCluster.Node collector = cluster.collector("collector", zk, ZK_ROOT, base.resolve("tablet"),
          "127.0.0.1:" + synctoolCluster);
      int adminPort = synctool.port("server.port");

      Map<Long, List<Object>> expected = new HashMap<>();
      long[] nextId = {0};
      put(tablet, nextId, 1500, null);
      for (int pid = 0; pid < 2; pid++) {
        tablet.rollBinlog(pid);
      }
      // the entries a loaded tablet writes while it snapshots: puts, deletes, an overwrite of (key, ts)
      for (int i = 0; i < 400; i++) {
        Object[] v = put(tablet, nextId, 1, null);
        if (i % 25 == 0) {
          tablet.delete(0, "user_" + (nextId[0] % 53));
        }
        if (i % 60 == 0) {
          Object[] overwrite = v.clone(); // same name and ts, another id and amount
          overwrite[0] = nextId[0]++;
          overwrite[3] = -((Double) v[3]);
          tablet.put(overwrite);
        }
      }
      tablet.snapshot(0, 300);
      tablet.snapshot(1, 1);
      for (int pid = 0; pid < 2; pid++) {
        tablet.rollBinlog(pid);
        tablet.purgeBinlogsBefore(pid);
      }
      put(tablet, nextId, 30, null); // fewer puts per partition than the overlap window
      for (int pid = 0; pid < 2; pid++) {
        for (List<Object> row : tablet.expectedRows(pid, 2, 0)) {
          assertEquals(null, expected.put(id(row), row), "row ids are unique");
        }
      }
      try (CuratorFramework client = CuratorFrameworkFactory.newClient(zk, new ExponentialBackoffRetry(200, 10))) {
        client.start();
        tablet.register(client, ZK_ROOT);

        cluster.start(synctool);
        cluster.start(collector);
        helper(adminPort, "create", "-t", "ov_db.events", "-m", "2", "-d", dest.toUri().toString(),
            "--roll-time", "2", "--roll-idle", "1");
        cluster.awaitRows(fs, destPath, expected.size(), 120);
        String status = awaitStatus(adminPort, "overlap with snapshot", 2, cluster);

        cluster.kill9(synctool);
        cluster.kill9(collector);
        put(tablet, nextId, 20, expected);
        for (int pid = 0; pid < 2; pid++) {
          tablet.snapshot(pid); // the tablet replaces the checkpoint the positions compare against
          tablet.rollBinlog(pid);
          tablet.purgeBinlogsBefore(pid);
        }
        put(tablet, nextId, 200, expected); // closes the overlaps: more puts in a row than the window
        tablet.flush();
        cluster.start(synctool);
        cluster.start(collector);

        cluster.awaitRows(fs, destPath, expected.size(), 150);
        Thread.sleep(3000); // a duplicate would show up as more rows than written
        Map<Long, List<List<Object>>> byId = new HashMap<>();
        for (List<Object> row : OutputFiles.rows(fs, destPath)) {
          byId.computeIfAbsent(id(row), k -> new ArrayList<>()).add(row);
        }
        List<String> wrong = new ArrayList<>();
        expected.forEach((id, row) -> {
          List<List<Object>> got = byId.getOrDefault(id, List.of());
          if (got.size() != 1 || !got.get(0).equals(row)) {
            wrong.add(id + ": expected " + row + ", committed " + got);
          }
        });
        byId.keySet().stream().filter(id -> !expected.containsKey(id)).forEach(id -> wrong.add(id + ": not in "
            + "the table, committed " + byId.get(id)));
        assertTrue(wrong.isEmpty(), () -> wrong.size() + " rows differ (" + expected.size() + " expected; status "
            + "before the kill:\n" + status + "):\n" + String.join("\n", wrong.subList(0, Math.min(20,
            wrong.size()))) + "\n" + cluster.logs());
        assertTrue(status.contains("overlap with snapshot"), status);
      }
    }
  }

  /** Puts {@code n} rows; with {@code expected}, records them there as binlog rows every sync must send. */
  private static Object[] put(TabletFixture tablet, long[] nextId, int n, Map<Long, List<Object>> expected) {
    Object[] last = null;
    for (int i = 0; i < n; i++) {
      long id = nextId[0]++;
      last = new Object[] {id, "user_" + (id % 53), "city_" + (id % 7), id / 4.0, 1_700_000_000_000L + id * 10};
      tablet.put(last);
      if (expected != null) {
        expected.put(id, Arrays.asList(tablet.normalize(last)));
      }
    }
    return last;
  }

  private static long id(List<Object> row) {
    return ((Number) row.get(0)).longValue();
  }

  private static String helper(int adminPort, String... args) {
    List<String> all = new ArrayList<>(List.of("-s", "127.0.0.1:" + adminPort));
    all.addAll(List.of(args));
    StringWriter out = new StringWriter();
    int code = SyncToolHelper.run(all.toArray(String[]::new), new PrintWriter(out), new PrintWriter(out));
    assertEquals(0, code, () -> "synctool-helper " + String.join(" ", all) + ": " + out);
    return out.toString();
  }

  /** Polls {@code status} until {@code text} appears on {@code lines} lines; returns that status. */
  private static String awaitStatus(int adminPort, String text, int lines, ProcessCluster cluster)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String status = "";
    while (System.nanoTime() < deadline) {
      status = helper(adminPort, "status");
      if (status.lines().filter(l -> l.contains(text)).count() >= lines) {
        return status;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("status never showed " + lines + " subtasks with '" + text + "':\n" + status + "\n"
        + cluster.logs());
  }
}
