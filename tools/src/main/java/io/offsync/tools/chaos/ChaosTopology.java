package io.offsync.tools.chaos;

import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.Type;
import io.offsync.synctool.cli.SyncToolHelper;
import io.offsync.testkit.TabletFixture;
import io.offsync.tools.OutputFiles;
import io.offsync.tools.ProcessCluster;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * The processes of one chaos run, all on 127.0.0.1 and each started through {@code bin/start.sh}: ZooKeeper, one
 * synctool on the embedded H2 journal or two synctools on PostgreSQL, an active and a standby data_collector of
 * one tablet machine, and the tablet itself (the testkit fixture in this JVM: a 2-partition disk table whose
 * binlog an appender thread extends with rows of unique ids while a mode-2 task syncs it into a local directory).
 *
 * <p>{@link #converged()} says whether every live node sees exactly the live nodes Up and nothing unreachable;
 * {@link #verify()} checks the committed output row by row against the tablet's rows.
 */
final class ChaosTopology implements AutoCloseable {

  private static final String ZK_ROOT = "/openmldb";
  private static final Pattern MEMBER = Pattern.compile(
      "\"node\"\\s*:\\s*\"pekko://offsync@([^\"]+)\"[^}]*?\"status\"\\s*:\\s*\"(\\w+)\"");
  private static final Pattern UNREACHABLE = Pattern.compile("\"unreachable\"\\s*:\\s*\\[\\s*\\{");

  private final ProcessCluster cluster;
  private final Path base;
  private final List<ProcessCluster.Node> synctools = new ArrayList<>();
  private final List<ProcessCluster.Node> collectors = new ArrayList<>();
  private final FileSystem fs;
  private final org.apache.hadoop.fs.Path dest;
  private final String pgUrl;
  private final String pgUser;
  private final String pgPassword;
  private final String database;
  private TabletFixture tablet;
  private CuratorFramework zkClient;
  private final long[] nextId = {0};
  private final AtomicBoolean appending = new AtomicBoolean();
  private final AtomicReference<Throwable> appendError = new AtomicReference<>();
  private Thread appender;

  private final Integer h2WriteDelay;
  private Counts counts;

  /**
   * @param pgUrl PostgreSQL server URL for the two-synctool topology; null = one synctool on H2
   * @param h2WriteDelay the H2 journal's WRITE_DELAY, ms; null = offsync's default
   */
  ChaosTopology(Path base, String javaOpts, String pgUrl, String pgUser, String pgPassword, Integer h2WriteDelay)
      throws Exception {
    this.h2WriteDelay = h2WriteDelay;
    this.base = base;
    Files.createDirectories(base);
    this.cluster = new ProcessCluster(base, javaOpts);
    this.fs = FileSystem.getLocal(new Configuration());
    this.dest = new org.apache.hadoop.fs.Path(base.resolve("out").toUri());
    this.pgUrl = pgUrl;
    this.pgUser = pgUser;
    this.pgPassword = pgPassword;
    this.database = pgUrl == null ? null : "offsync_chaos_" + System.currentTimeMillis();
  }

  ProcessCluster cluster() {
    return cluster;
  }

  List<ProcessCluster.Node> synctools() {
    return synctools;
  }

  List<ProcessCluster.Node> collectors() {
    return collectors;
  }

  List<ProcessCluster.Node> all() {
    List<ProcessCluster.Node> all = new ArrayList<>(synctools);
    all.addAll(collectors);
    return all;
  }

  /** Starts everything, creates the mode-2 task and starts appending. */
  void start() throws Exception {
    String zk = cluster.startZooKeeper();
    String journalUrl = null;
    if (pgUrl != null) {
      execute(pgUrl, "CREATE DATABASE " + database);
      int q = pgUrl.indexOf('?');
      String path = q < 0 ? pgUrl : pgUrl.substring(0, q);
      journalUrl = path.substring(0, path.lastIndexOf('/') + 1) + database + (q < 0 ? "" : pgUrl.substring(q));
    }
    if (pgUrl == null && h2WriteDelay != null) {
      journalUrl = "jdbc:h2:file:" + base.resolve("synctool1").resolve("journal") + ";DATABASE_TO_UPPER=false"
          + ";WRITE_DELAY=" + h2WriteDelay;
    }
    int count = pgUrl == null ? 1 : 2;
    StringBuilder seeds = new StringBuilder();
    for (int i = 1; i <= count; i++) {
      // no seed nodes: the synctools find each other through ZooKeeper
      ProcessCluster.Node s = pgUrl != null
          ? cluster.synctool("synctool" + i, zk, ZK_ROOT, 0, "", journalUrl, pgUser, pgPassword)
          : cluster.synctool("synctool" + i, zk, ZK_ROOT, 0, "", journalUrl, "root", "root");
      synctools.add(s);
      seeds.append(seeds.length() == 0 ? "" : ",").append("127.0.0.1:").append(s.port("cluster.port"));
    }
    for (int i = 1; i <= 2; i++) {
      collectors.add(cluster.collector("collector" + i, zk, ZK_ROOT, base.resolve("tablet"), seeds.toString()));
    }
    tablet = TabletFixture.builder(base.resolve("tablet")).db("chaos_db").table("events").tid(11).partitions(2)
        .storageMode(Common.StorageMode.kSSD)
        .column("id", Type.DataType.kBigInt).column("name", Type.DataType.kString)
        .column("amount", Type.DataType.kDouble).column("ts", Type.DataType.kTimestamp)
        .index("by_name", "ts", "name").endpoints(TabletFixture.DEFAULT_ENDPOINT).build();
    zkClient = CuratorFrameworkFactory.newClient(zk, new ExponentialBackoffRetry(200, 10));
    zkClient.start();
    put(2000);
    for (int pid = 0; pid < tablet.partitionCount(); pid++) {
      tablet.snapshot(pid);
      tablet.rollBinlog(pid);
    }
    put(500);
    tablet.flush();
    tablet.register(zkClient, ZK_ROOT);
    startTogether(synctools);
    startTogether(collectors);
    createTask();
    appending.set(true);
    appender = new Thread(() -> {
      try {
        while (appending.get()) {
          put(50);
          tablet.flush();
          Thread.sleep(250);
        }
      } catch (Throwable t) {
        appendError.set(t);
      }
    }, "tablet-appender");
    appender.setDaemon(true);
    appender.start();
  }

  /** Starts the nodes at once (synctools starting together must still form one cluster). */
  private void startTogether(List<ProcessCluster.Node> nodes) throws Exception {
    List<java.util.concurrent.CompletableFuture<Void>> starts = new ArrayList<>();
    for (ProcessCluster.Node n : nodes) {
      starts.add(java.util.concurrent.CompletableFuture.runAsync(() -> {
        try {
          cluster.start(n);
        } catch (Exception e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      }));
    }
    for (java.util.concurrent.CompletableFuture<Void> f : starts) {
      f.get();
    }
  }

  private synchronized void put(int n) {
    for (int i = 0; i < n; i++) {
      long id = nextId[0]++;
      tablet.put(id, "user_" + (id % 97), (id % 1000) / 10.0, 1_700_000_000_000L + id);
    }
  }

  /** Rows written to the tablet so far. */
  synchronized long appended() {
    return nextId[0];
  }

  long committed() throws Exception {
    return OutputFiles.totalRows(fs, dest);
  }

  private void createTask() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    String last = "";
    while (System.nanoTime() < deadline) {
      StringWriter out = new StringWriter();
      int code = SyncToolHelper.run(new String[] {"-s", "127.0.0.1:" + synctools.get(0).port("server.port"),
          "create", "-t", "chaos_db.events", "-m", "2", "-d", dest.toUri().toString(), "--roll-time", "3",
          "--roll-idle", "1"}, new PrintWriter(out), new PrintWriter(out));
      if (code == 0) {
        return;
      }
      last = out.toString();
      Thread.sleep(1000);
    }
    throw new IllegalStateException("synctool-helper create failed for 90 s: " + last);
  }

  /**
   * Null when every live node sees exactly the live nodes Up and none unreachable (one cluster holding every live
   * node); else what is still off.
   */
  String converged() throws Exception {
    Set<String> live = new HashSet<>();
    for (ProcessCluster.Node n : all()) {
      if (cluster.running(n)) {
        live.add("127.0.0.1:" + n.port(n.isSynctool() ? "cluster.port" : "cluster_port"));
      }
    }
    for (ProcessCluster.Node n : all()) {
      if (!cluster.running(n)) {
        continue;
      }
      String body = cluster.get("http://127.0.0.1:" + n.port(n.isSynctool() ? "management.port"
          : "management_port") + "/cluster/members");
      if (body == null) {
        return n.name() + ": /cluster/members does not answer";
      }
      Set<String> up = new HashSet<>();
      Matcher m = MEMBER.matcher(body);
      while (m.find()) {
        if (m.group(2).equals("Up")) {
          up.add(m.group(1));
        }
      }
      if (!up.equals(live)) {
        return n.name() + " sees Up " + up + ", live are " + live;
      }
      if (UNREACHABLE.matcher(body).find()) {
        return n.name() + " sees unreachable members";
      }
    }
    return null;
  }

  /** Stops appending; fails when the appender failed. */
  void stopAppending() throws Exception {
    appending.set(false);
    if (appender != null) {
      appender.join();
    }
    if (appendError.get() != null) {
      throw new IllegalStateException("the tablet appender failed", appendError.get());
    }
  }

  /**
   * Checks the committed output against the tablet: every written id exactly once and every row equal to the
   * tablet's row of that id. Returns null when it holds, else the first differences.
   */
  String verify() throws Exception {
    Map<Long, List<Object>> expected = new HashMap<>();
    for (int pid = 0; pid < tablet.partitionCount(); pid++) {
      for (List<Object> row : tablet.expectedRows(pid, 2, 0)) {
        expected.put(((Number) row.get(0)).longValue(), row);
      }
    }
    if (expected.size() != appended()) {
      return "the tablet holds " + expected.size() + " rows but " + appended() + " were written";
    }
    Map<Long, Integer> seen = new HashMap<>();
    List<String> problems = new ArrayList<>();
    for (List<Object> row : OutputFiles.rows(fs, dest)) {
      long id = ((Number) row.get(0)).longValue();
      seen.merge(id, 1, Integer::sum);
      if (!row.equals(expected.get(id)) && problems.size() < 10) {
        problems.add("row " + id + " is " + row + ", the tablet has " + expected.get(id));
      }
    }
    long missing = 0;
    long twice = 0;
    for (long id = 0; id < appended(); id++) {
      int n = seen.getOrDefault(id, 0);
      if (n == 0) {
        if (missing++ < 10) {
          problems.add("id " + id + " missing");
        }
      } else if (n > 1) {
        if (twice++ < 10) {
          problems.add("id " + id + " committed " + n + " times");
        }
      }
    }
    counts = new Counts(appended(), seen.values().stream().mapToLong(Integer::longValue).sum(), twice, missing);
    if (missing > 0 || twice > 0) {
      problems.add(0, missing + " ids missing, " + twice + " ids more than once, of " + appended());
    }
    return problems.isEmpty() ? null : String.join("\n", problems);
  }

  /** What the last {@link #verify()} counted. */
  record Counts(long written, long inOutput, long duplicates, long missing) {
    @Override
    public String toString() {
      return "rows written " + written + ", rows in the output " + inOutput + ", ids more than once " + duplicates
          + ", ids missing " + missing;
    }
  }

  Counts counts() {
    return counts;
  }

  /** What {@code synctool-helper verify} printed and its exit code. */
  record Verified(int exitCode, String output) {}

  /** {@code synctool-helper verify -t chaos_db.events} against a live synctool. */
  Verified verifyCommand() throws Exception {
    StringWriter out = new StringWriter();
    for (ProcessCluster.Node s : synctools) {
      if (cluster.running(s)) {
        int code = SyncToolHelper.run(new String[] {"-s", "127.0.0.1:" + s.port("server.port"), "--timeout", "120",
            "verify", "-t", "chaos_db.events"}, new PrintWriter(out), new PrintWriter(out));
        return new Verified(code, out.toString());
      }
    }
    return new Verified(3, "no synctool is running");
  }

  /**
   * Waits at most {@code nanos} until a part file appears in the output that was not there when called; returns
   * its name, or null.
   */
  String awaitNewPartFile(long nanos) throws Exception {
    Set<String> before = partFiles();
    long deadline = System.nanoTime() + nanos;
    while (System.nanoTime() < deadline) {
      for (String name : partFiles()) {
        if (!before.contains(name)) {
          return name;
        }
      }
      Thread.sleep(10);
    }
    return null;
  }

  private Set<String> partFiles() throws Exception {
    Set<String> names = new HashSet<>();
    for (org.apache.hadoop.fs.FileStatus st : OutputFiles.committed(fs, dest)) {
      names.add(st.getPath().getName());
    }
    return names;
  }

  /** How many times the synctools' logs say they adopted committed files the journal did not know. */
  long adoptions() throws Exception {
    long n = 0;
    for (ProcessCluster.Node s : synctools) {
      Path logs = s.logDir();
      if (!Files.isDirectory(logs)) {
        continue;
      }
      try (var files = Files.list(logs)) {
        for (Path f : files.toList()) {
          try (var lines = Files.lines(f)) {
            n += lines.filter(l -> l.contains("committed file(s) the journal did not know")).count();
          }
        }
      }
    }
    return n;
  }

  private void execute(String url, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(url, pgUser, pgPassword); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  @Override
  public void close() throws Exception {
    appending.set(false);
    try {
      cluster.close();
    } finally {
      if (tablet != null) {
        tablet.close();
      }
      if (zkClient != null) {
        zkClient.close();
      }
      if (database != null) {
        try {
          execute(pgUrl, "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        } catch (Exception e) {
          System.err.println("could not drop database " + database + ": " + e);
        }
      }
    }
  }
}
