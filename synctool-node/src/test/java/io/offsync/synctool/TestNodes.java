package io.offsync.synctool;

import io.offsync.collector.HardLinker;
import io.offsync.collector.node.CollectorNode;
import io.offsync.collector.node.DataCollectorFlags;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/** What the synctool node tests start: a real collector node and a synctool's settings on 127.0.0.1. */
final class TestNodes {

  private TestNodes() {}

  /** A condition polled by {@link #await}. */
  interface Check {
    boolean ok() throws Exception;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Polls {@code check} every 200 ms until it holds; fails after {@code max} with the last exception. */
  static void await(Duration max, Check check, String what) throws Exception {
    long deadline = System.nanoTime() + max.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (check.ok()) {
          return;
        }
      } catch (Exception e) {
        last = e;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("timed out waiting for " + what, last);
  }

  /**
   * A collector node of machine 127.0.0.1 reading tablet files under {@code tabletRoot}, forming its own cluster
   * on {@code clusterPort}.
   */
  static CollectorNode collector(String zk, String root, Path tabletRoot, Path datadir, int clusterPort,
      int managementPort) throws Exception {
    return collector(zk, root, tabletRoot, datadir, clusterPort, managementPort, Map.of());
  }

  /** Same as {@link #collector(String, String, Path, Path, int, int)} with more flags ({@code extra} wins). */
  static CollectorNode collector(String zk, String root, Path tabletRoot, Path datadir, int clusterPort,
      int managementPort, Map<String, String> extra) throws Exception {
    Map<String, String> flags = new java.util.HashMap<>(Map.ofEntries(
        Map.entry("endpoint", "127.0.0.1:" + freePort()),
        Map.entry("management_port", String.valueOf(managementPort)),
        Map.entry("zk_cluster", zk),
        Map.entry("zk_root_path", root),
        Map.entry("collector_datadir", datadir.toString()),
        Map.entry("hdd_root_path", tabletRoot.toString()),
        Map.entry("ssd_root_path", tabletRoot.toString()),
        Map.entry("http_bind_host", "127.0.0.1"),
        Map.entry("cluster_host", "127.0.0.1"),
        Map.entry("cluster_port", String.valueOf(clusterPort)),
        Map.entry("cluster_seed_nodes", "")));
    flags.putAll(extra);
    return CollectorNode.start(DataCollectorFlags.of(flags), HardLinker.FILES);
  }

  /** synctool.properties of a node on free ports of 127.0.0.1 joining the cluster of the node at seedPort. */
  static Properties synctool(String zk, String root, Path progress, int seedPort) throws IOException {
    Properties p = new Properties();
    p.setProperty("server.host", "127.0.0.1");
    p.setProperty("server.port", String.valueOf(freePort()));
    p.setProperty("zookeeper.cluster", zk);
    p.setProperty("zookeeper.root_path", root);
    p.setProperty("sync_task.progress_path", progress.toString());
    p.setProperty("cluster.port", String.valueOf(freePort()));
    p.setProperty("cluster.seed_nodes", "127.0.0.1:" + seedPort);
    p.setProperty("management.port", String.valueOf(freePort()));
    return p;
  }
}
