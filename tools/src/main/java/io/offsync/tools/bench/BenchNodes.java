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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

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

  /** @param tls TLS between the two nodes (Artery tls-tcp; key and trust stores made with keytool under run) */
  static BenchNodes start(String zk, Path tablet, Path run, boolean tls) throws Exception {
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
    Map<String, String> flags = new HashMap<>(Map.of(
        "endpoint", "127.0.0.1:" + freePort(), "management_port", "0", "zk_cluster", zk,
        "collector_datadir", run.resolve("collector").toString(),
        "ssd_root_path", tablet.toString(), "cluster_port", String.valueOf(freePort()),
        "cluster_seed_nodes", "127.0.0.1:" + clusterPort));
    if (tls) {
      Path[] stores = keyStores(run.resolve("tls"));
      props.putAll(Map.of("cluster.tls.keystore", stores[0].toString(), "cluster.tls.keystore_password", PASSWORD,
          "cluster.tls.truststore", stores[1].toString(), "cluster.tls.truststore_password", PASSWORD));
      flags.putAll(Map.of("cluster_tls_keystore", stores[0].toString(), "cluster_tls_keystore_password", PASSWORD,
          "cluster_tls_truststore", stores[1].toString(), "cluster_tls_truststore_password", PASSWORD));
    }
    SyncToolNode synctool = SyncToolNode.start(SyncToolSettings.parse(props, null), ConfigFactory.load(),
        EngineTaskAdmin.engine());
    try {
      CollectorNode collector = CollectorNode.start(DataCollectorFlags.of(flags), HardLinker.FILES);
      BenchNodes nodes = new BenchNodes(synctool, collector, "127.0.0.1:" + serverPort);
      try {
        nodes.awaitReady();
      } catch (Exception e) {
        nodes.close();
        throw e;
      }
      return nodes;
    } catch (Exception e) {
      synctool.close();
      throw e;
    }
  }

  /**
   * Waits until both nodes are ready as {@code bin/start.sh} waits for a real node before it reports it started:
   * the synctool's {@code /ready} answers 200, the collector's {@code /status} says it is Up in the cluster and
   * registered in ZooKeeper. Then one {@code synctool-helper status}: the helper is a process of its own in a real
   * deployment, here a gRPC client in this JVM whose first call would otherwise load and compile its classes inside
   * the first (cold) sync.
   */
  private void awaitReady() throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    URI ready = URI.create("http://127.0.0.1:" + synctool.managementPort() + "/ready");
    URI status = URI.create("http://" + collector.endpoint() + "/status");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(ready).build(), BodyHandlers.ofString());
      HttpResponse<String> c = http.send(HttpRequest.newBuilder(status).build(), BodyHandlers.ofString());
      if (r.statusCode() == 200 && c.statusCode() == 200 && c.body().contains("\ncluster: Up")
          && c.body().contains(" (registered)")) {
        break;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("nodes not ready after 120 s: synctool /ready " + r.statusCode() + " "
            + r.body() + "; collector /status " + c.statusCode() + " " + c.body());
      }
      Thread.sleep(100);
    }
    helper("status");
  }

  private static final String PASSWORD = "bench-only";

  /** A self-signed key store and a trust store holding its certificate, made with the JDK's keytool. */
  private static Path[] keyStores(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path ks = dir.resolve("node.p12");
    Path ts = dir.resolve("trust.p12");
    Path cert = dir.resolve("node.crt");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    for (List<String> args : List.of(
        List.of("-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
            "CN=localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", ks.toString(), "-storepass",
            PASSWORD, "-keypass", PASSWORD),
        List.of("-exportcert", "-alias", "node", "-keystore", ks.toString(), "-storepass", PASSWORD, "-rfc",
            "-file", cert.toString()),
        List.of("-importcert", "-noprompt", "-alias", "node", "-file", cert.toString(), "-storetype", "PKCS12",
            "-keystore", ts.toString(), "-storepass", PASSWORD))) {
      List<String> cmd = new ArrayList<>(List.of(keytool));
      cmd.addAll(args);
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IOException("keytool failed: " + out);
      }
    }
    return new Path[] {ks, ts};
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
