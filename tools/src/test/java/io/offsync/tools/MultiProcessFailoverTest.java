package io.offsync.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.offsync.protocol.openmldb.Type;
import io.offsync.synctool.cli.SyncToolHelper;
import io.offsync.testkit.TabletFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * offsync as separate processes, each started through {@code bin/start.sh} from its own conf dir: ZooKeeper
 * ({@code EmbeddedZooKeeperMain}), two synctool nodes sharing a PostgreSQL journal, two data_collectors on the
 * same machine (active + standby), and a tablet (the testkit fixture, in this JVM) that keeps appending rows while
 * a mode-2 task runs. The active collector is killed with SIGKILL, then the synctool node holding the task: the
 * committed output must end up exactly the table's rows, none missing, none twice.
 *
 * <p>Needs PostgreSQL: {@code OFFSYNC_TEST_PG_URL} (+ {@code OFFSYNC_TEST_PG_USER}, {@code _PASSWORD}), as
 * {@code bin/test.sh} exports. Without it the test is skipped, unless {@code OFFSYNC_TEST_PG_REQUIRED=1}, when it
 * fails. Each run uses a fresh database, dropped at the end.
 */
class MultiProcessFailoverTest {

  private static final String ZK_ROOT = "/openmldb";
  private static final String JAVA_OPTS = "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
      + " -Dpekko.cluster.split-brain-resolver.stable-after=4s";

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void killingTheActiveCollectorThenASynctoolNodeKeepsTheOutputExact() throws Exception {
    String pgUrl = System.getenv("OFFSYNC_TEST_PG_URL");
    if (pgUrl == null || pgUrl.isBlank()) {
      if ("1".equals(System.getenv("OFFSYNC_TEST_PG_REQUIRED"))) {
        fail("OFFSYNC_TEST_PG_REQUIRED=1 but OFFSYNC_TEST_PG_URL is not set: run the suite with bin/test.sh, which"
            + " starts PostgreSQL (bin/postgres-dev.sh) and exports it");
      }
      Assumptions.abort("multi-process test skipped: no PostgreSQL (set OFFSYNC_TEST_PG_URL, or run bin/test.sh)");
    }
    String pgUser = System.getenv().getOrDefault("OFFSYNC_TEST_PG_USER", "offsync");
    String pgPassword = System.getenv().getOrDefault("OFFSYNC_TEST_PG_PASSWORD", "");
    String database = "offsync_mp_" + System.currentTimeMillis();
    String journalUrl = withDatabase(pgUrl, database);
    execute(pgUrl, pgUser, pgPassword, "CREATE DATABASE " + database);

    Path base = Path.of("target", "multiprocess-" + System.nanoTime()).toAbsolutePath();
    Files.createDirectories(base);
    Path dest = base.resolve("out");
    Configuration hadoop = new Configuration();
    FileSystem fs = FileSystem.getLocal(hadoop);
    org.apache.hadoop.fs.Path destPath = new org.apache.hadoop.fs.Path(dest.toUri());

    try (ProcessCluster cluster = new ProcessCluster(base, JAVA_OPTS)) {
      String zk = cluster.startZooKeeper();
      int st1Cluster = ProcessCluster.freePort();
      int st2Cluster = ProcessCluster.freePort();
      ProcessCluster.Node st1 = cluster.synctool("synctool1", zk, ZK_ROOT, st1Cluster, "", journalUrl, pgUser,
          pgPassword);
      ProcessCluster.Node st2 = cluster.synctool("synctool2", zk, ZK_ROOT, st2Cluster, "127.0.0.1:" + st1Cluster,
          journalUrl, pgUser, pgPassword);
      String seeds = "127.0.0.1:" + st1Cluster + ",127.0.0.1:" + st2Cluster;
      ProcessCluster.Node c1 = cluster.collector("collector1", zk, ZK_ROOT, base.resolve("tablet"), seeds);
      ProcessCluster.Node c2 = cluster.collector("collector2", zk, ZK_ROOT, base.resolve("tablet"), seeds);

      try (TabletFixture tablet = TabletFixture.builder(base.resolve("tablet")).db("mp_db").table("events").tid(7)
          .partitions(2).storageMode(io.offsync.protocol.openmldb.Common.StorageMode.kSSD)
          .column("id", Type.DataType.kBigInt).column("name", Type.DataType.kString)
          .column("amount", Type.DataType.kDouble).column("ts", Type.DataType.kTimestamp)
          .index("by_name", "ts", "name").endpoints(TabletFixture.DEFAULT_ENDPOINT).build();
           CuratorFramework client = CuratorFrameworkFactory.newClient(zk, new ExponentialBackoffRetry(200, 10))) {
        client.start();
        long[] nextId = {0};
        put(tablet, nextId, 3000);
        for (int pid = 0; pid < tablet.partitionCount(); pid++) {
          tablet.snapshot(pid);
          tablet.rollBinlog(pid);
        }
        put(tablet, nextId, 1000);
        tablet.flush();
        tablet.register(client, ZK_ROOT);

        cluster.start(st1);
        cluster.start(st2);
        cluster.start(c1);
        cluster.start(c2);
        ProcessCluster.Node active = activeCollector(cluster, c1, c2);

        helper(st1, "create", "-t", "mp_db.events", "-m", "2", "-d", dest.toUri().toString(),
            "--roll-time", "3", "--roll-idle", "1");

        AtomicBoolean appending = new AtomicBoolean(true);
        AtomicReference<Throwable> appendError = new AtomicReference<>();
        Thread appender = new Thread(() -> {
          try {
            while (appending.get()) {
              put(tablet, nextId, 100);
              tablet.flush();
              Thread.sleep(250);
            }
          } catch (Throwable t) {
            appendError.set(t);
          }
        }, "tablet-appender");
        appender.start();
        try {
          cluster.awaitRows(fs, destPath, 4000, 120);
          cluster.kill9(active);
          long afterCollectorKill = OutputFiles.totalRows(fs, destPath);
          cluster.awaitRows(fs, destPath, afterCollectorKill + 500, 120);
          ProcessCluster.Node holder = taskHolder(cluster, st1, st2);
          cluster.kill9(holder);
          long afterSynctoolKill = OutputFiles.totalRows(fs, destPath);
          cluster.awaitRows(fs, destPath, afterSynctoolKill + 500, 150);
        } finally {
          appending.set(false);
          appender.join();
        }
        if (appendError.get() != null) {
          throw new AssertionError("the tablet appender failed", appendError.get());
        }

        List<List<Object>> expected = new ArrayList<>();
        for (int pid = 0; pid < tablet.partitionCount(); pid++) {
          expected.addAll(tablet.expectedRows(pid, 2, 0));
        }
        assertEquals(nextId[0], expected.size());
        cluster.awaitRows(fs, destPath, expected.size(), 120);
        Thread.sleep(3000); // a duplicate would show up as more rows than written
        List<List<Object>> actual = OutputFiles.rows(fs, destPath);
        assertEquals(counts(expected), counts(actual), () -> "output differs from the table's rows ("
            + actual.size() + " rows committed, " + expected.size() + " written)\n" + cluster.logs());
      }
    } finally {
      try {
        execute(pgUrl, pgUser, pgPassword, "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
      } catch (Exception e) {
        System.err.println("could not drop test database " + database + ": " + e);
      }
    }
  }

  private static void put(TabletFixture tablet, long[] nextId, int n) {
    for (int i = 0; i < n; i++) {
      long id = nextId[0]++;
      tablet.put(id, "user_" + (id % 97), (id % 1000) / 10.0, 1_700_000_000_000L + id);
    }
  }

  private static void helper(ProcessCluster.Node synctool, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("-s", "127.0.0.1:" + synctool.port("server.port")));
    all.addAll(List.of(args));
    StringWriter out = new StringWriter();
    int code = SyncToolHelper.run(all.toArray(String[]::new), new PrintWriter(out), new PrintWriter(out));
    assertEquals(0, code, () -> "synctool-helper " + String.join(" ", all) + ": " + out);
  }

  /** The collector whose /status says it is the machine's active one. */
  private static ProcessCluster.Node activeCollector(ProcessCluster cluster, ProcessCluster.Node... collectors)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      for (ProcessCluster.Node c : collectors) {
        String status = cluster.get("http://127.0.0.1:" + c.port("endpoint") + "/status");
        if (status != null && status.contains("state: active")) {
          return c;
        }
      }
      Thread.sleep(500);
    }
    throw new AssertionError("no collector reports itself active\n" + cluster.logs());
  }

  /** The synctool node whose shard region hosts the TableTask entity (management /cluster/shards/TableTask). */
  private static ProcessCluster.Node taskHolder(ProcessCluster cluster, ProcessCluster.Node... synctools)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      for (ProcessCluster.Node s : synctools) {
        String shards = cluster.get("http://127.0.0.1:" + s.port("management.port") + "/cluster/shards/TableTask");
        if (shards != null && shards.matches("(?s).*\"numEntities\"\\s*:\\s*[1-9].*")) {
          return s;
        }
      }
      Thread.sleep(500);
    }
    throw new AssertionError("no synctool node reports the TableTask entity\n" + cluster.logs());
  }

  private static Map<List<Object>, Integer> counts(List<List<Object>> rows) {
    Map<List<Object>, Integer> m = new HashMap<>();
    for (List<Object> r : rows) {
      m.merge(r, 1, Integer::sum);
    }
    return m;
  }

  private static String withDatabase(String url, String database) {
    int q = url.indexOf('?');
    String path = q < 0 ? url : url.substring(0, q);
    String query = q < 0 ? "" : url.substring(q);
    return path.substring(0, path.lastIndexOf('/') + 1) + database + query;
  }

  private static void execute(String url, String user, String password, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
