package io.offsync.tools.bench;

import com.typesafe.config.ConfigFactory;
import io.offsync.collector.HardLinker;
import io.offsync.collector.node.CollectorNode;
import io.offsync.collector.node.DataCollectorFlags;
import io.offsync.synctool.EngineTaskAdmin;
import io.offsync.synctool.SyncToolNode;
import io.offsync.synctool.SyncToolSettings;
import io.offsync.synctool.cli.SyncToolHelper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A synctool node and a collector node in this JVM (one Pekko cluster on 127.0.0.1, an H2 journal under
 * {@code run}), the collector serving the tablet root {@code tablet}; tasks are driven through
 * {@code synctool-helper} as an operator would.
 */
final class BenchNodes implements AutoCloseable {

  private final SyncToolNode synctool;
  private final CollectorNode collector;
  private final String server;

  private BenchNodes(SyncToolNode synctool, CollectorNode collector, String server) {
    this.synctool = synctool;
    this.collector = collector;
    this.server = server;
  }

  static BenchNodes start(String zk, Path tablet, Path run) throws Exception {
    pekkoLogLevel(null); // as configured again, after a previous close()
    Path hadoopConf = run.resolve("hadoop-conf");
    Files.createDirectories(hadoopConf);
    Files.writeString(hadoopConf.resolve("hdfs-site.xml"), "<configuration><property><name>dfs.replication"
        + "</name><value>1</value></property></configuration>\n");
    int serverPort = freePort();
    int clusterPort = freePort();
    Properties props = new Properties();
    props.putAll(Map.of("server.host", "127.0.0.1", "server.port", String.valueOf(serverPort),
        "zookeeper.cluster", zk, "zookeeper.root_path", "/openmldb",
        "sync_task.progress_path", run.resolve("progress").toString(), "hadoop.conf.dir", hadoopConf.toString(),
        "cluster.host", "127.0.0.1", "cluster.port", String.valueOf(clusterPort),
        "management.port", String.valueOf(freePort())));
    SyncToolNode synctool = SyncToolNode.start(SyncToolSettings.parse(props, null), ConfigFactory.load(),
        EngineTaskAdmin.engine());
    try {
      CollectorNode collector = CollectorNode.start(DataCollectorFlags.of(Map.of(
          "endpoint", "127.0.0.1:" + freePort(), "management_port", "0", "zk_cluster", zk,
          "collector_datadir", run.resolve("collector").toString(),
          "ssd_root_path", tablet.toString(), "cluster_port", String.valueOf(freePort()),
          "cluster_seed_nodes", "127.0.0.1:" + clusterPort)), HardLinker.FILES);
      return new BenchNodes(synctool, collector, "127.0.0.1:" + serverPort);
    } catch (Exception e) {
      synctool.close();
      throw e;
    }
  }

  /**
   * Creates a task; retries while the collector started just before has not joined the cluster or registered in
   * ZooKeeper yet (nothing is created then).
   */
  void create(String... args) throws InterruptedException {
    List<String> all = new ArrayList<>(List.of("create"));
    all.addAll(List.of(args));
    for (int attempt = 1; ; attempt++) {
      try {
        helper(all.toArray(String[]::new));
        return;
      } catch (IllegalStateException e) {
        if (attempt == 150 || !(e.getMessage().contains("no live collector")
            || e.getMessage().contains("no collector registered"))) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  void helper(String... args) {
    List<String> all = new ArrayList<>(List.of("-s", server, "--timeout", "30"));
    all.addAll(List.of(args));
    StringWriter out = new StringWriter();
    int code = SyncToolHelper.run(all.toArray(String[]::new), new PrintWriter(out), new PrintWriter(out));
    if (code != 0) {
      throw new IllegalStateException("synctool-helper " + all + ": " + out);
    }
  }

  /** Waits until no task is left (a mode-0 task removes itself once done). */
  void awaitNoTask() throws InterruptedException {
    for (int i = 0; i < 600; i++) {
      StringWriter out = new StringWriter();
      SyncToolHelper.run(new String[] {"-s", server, "status"}, new PrintWriter(out), new PrintWriter(out));
      if (out.toString().contains("no task")) {
        return;
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("mode-0 task did not finish");
  }

  /**
   * Both nodes leave and tear their connections down; Pekko logs each aborted connection at WARN ("Upstream
   * failed ... The connection has been aborted"). That is the bench ending, not a finding: its output holds only
   * its figures.
   */
  @Override
  public void close() throws Exception {
    pekkoLogLevel(ch.qos.logback.classic.Level.ERROR);
    collector.close();
    synctool.close();
  }

  private static void pekkoLogLevel(ch.qos.logback.classic.Level level) {
    if (org.slf4j.LoggerFactory.getLogger("org.apache.pekko") instanceof ch.qos.logback.classic.Logger l) {
      l.setLevel(level);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
