package io.offsync.tools;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Real offsync processes for the multi-process tests and {@code bin/chaos}: each component gets its own conf dir under {@code base} and
 * is started and stopped through {@code bin/start.sh} (the same script an operator uses), with the test JVM's
 * classpath as {@code OFFSYNC_CLASSPATH} so nothing is rebuilt. ZooKeeper runs as an {@code EmbeddedZooKeeperMain}
 * process. {@link #close()} stops everything that was started, killing what does not stop.
 */
public final class ProcessCluster implements AutoCloseable {

  /** A component instance: conf dir, pid file and log as bin/start.sh lays them out. */
  public record Node(String name, String component, Path confDir) {
    public Path logDir() {
      return confDir.getParent().resolve("logs");
    }

    public Path pidFile() {
      return logDir().resolve(component + ".pid");
    }

    public Path log() {
      return logDir().resolve(component + ".log");
    }

    public boolean isSynctool() {
      return component.equals("synctool");
    }

    /** An integer setting of the node's conf file (the port of a host:port value). */
    public int port(String key) throws IOException {
      for (String line : Files.readAllLines(confDir.resolve(isSynctool() ? "synctool.properties"
          : "data_collector.flags"))) {
        String l = line.startsWith("--") ? line.substring(2) : line;
        if (l.startsWith(key + "=")) {
          String v = l.substring(key.length() + 1).strip();
          return Integer.parseInt(v.substring(v.lastIndexOf(':') + 1));
        }
      }
      throw new IllegalStateException(key + " not in " + confDir);
    }

    public long pid() throws IOException {
      return Long.parseLong(Files.readString(pidFile()).strip());
    }
  }

  public static final Path HOME = findHome();

  private final Path base;
  private final String javaOpts;
  private final List<Node> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
  private Process zookeeper;

  public ProcessCluster(Path base, String javaOpts) {
    this.base = base;
    this.javaOpts = javaOpts;
  }

  private static Path findHome() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("bin/start.sh"))) {
        return p;
      }
    }
    throw new IllegalStateException("bin/start.sh not found above " + Path.of("").toAbsolutePath());
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Starts ZooKeeper as a process; returns its connect string. */
  public String startZooKeeper() throws Exception {
    int port = freePort();
    Path dir = base.resolve("zookeeper");
    Files.createDirectories(dir);
    Path log = dir.resolve("zookeeper.log");
    zookeeper = new ProcessBuilder(javaBin(), "-Xmx128m", "-XX:TieredStopAtLevel=1",
        "-Dlogback.configurationFile=" + HOME.resolve("conf/logback.xml"), "-cp",
        System.getProperty("java.class.path"), "io.offsync.testkit.EmbeddedZooKeeperMain", String.valueOf(port),
        dir.resolve("data").toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log).contains("ZooKeeper listening")) {
        return "127.0.0.1:" + port;
      }
      if (!zookeeper.isAlive()) {
        throw new IllegalStateException("ZooKeeper process exited: " + Files.readString(log));
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("ZooKeeper did not start within 60 s: " + Files.readString(log));
  }

  /** Writes a conf dir for a node; {@code file} is data_collector.flags or synctool.properties. */
  public Node node(String name, String component, String file, String content) throws IOException {
    Path conf = base.resolve(name).resolve("conf");
    Files.createDirectories(conf);
    Files.writeString(conf.resolve(file), content);
    return new Node(name, component, conf);
  }

  /**
   * A synctool on free ports of 127.0.0.1 (admin, management; cluster port {@code clusterPort}, 0 = a free one)
   * joining {@code seeds} (may be empty); journal on {@code journalUrl}, or H2 under its directory when null.
   */
  public Node synctool(String name, String zk, String zkRoot, int clusterPort, String seeds, String journalUrl,
      String user, String password) throws IOException {
    List<String> props = new ArrayList<>(List.of(
        "server.host=127.0.0.1",
        "server.port=" + freePort(),
        "zookeeper.cluster=" + zk,
        "zookeeper.root_path=" + zkRoot,
        "sync_task.progress_path=" + base.resolve(name).resolve("progress"),
        "sync_task.check_period=2",
        "request.timeout=3",
        "cluster.host=127.0.0.1",
        "cluster.port=" + (clusterPort == 0 ? freePort() : clusterPort),
        "cluster.seed_nodes=" + seeds,
        "management.port=" + freePort()));
    if (journalUrl != null) {
      props.addAll(List.of("journal.url=" + journalUrl, "journal.user=" + user, "journal.password=" + password));
    }
    return node(name, "synctool", "synctool.properties", String.join("\n", props) + "\n");
  }

  /** A data_collector on free ports of 127.0.0.1 for the tablet files under {@code tabletRoot}. */
  public Node collector(String name, String zk, String zkRoot, Path tabletRoot, String seeds) throws IOException {
    String flags = String.join("\n",
        "--endpoint=127.0.0.1:" + freePort(),
        "--management_port=" + freePort(),
        "--zk_cluster=" + zk,
        "--zk_root_path=" + zkRoot,
        "--collector_datadir=" + base.resolve(name).resolve("data"),
        "--ssd_root_path=" + tabletRoot,
        "--cluster_port=" + freePort(),
        "--cluster_seed_nodes=" + seeds,
        "--tail_poll_interval_ms=50", "");
    return node(name, "data_collector", "data_collector.flags", flags);
  }

  /**
   * {@code bin/start.sh -c <conf> <action> <component>}; returns the exit code, output goes to
   * base/start-NAME-ACTION.out.
   */
  public int script(Node node, String action) throws Exception {
    Path out = base.resolve("start-" + node.name() + "-" + action + ".out");
    ProcessBuilder pb = new ProcessBuilder(HOME.resolve("bin/start.sh").toString(), "-c",
        node.confDir().toString(), action, node.component())
        .redirectErrorStream(true).redirectOutput(out.toFile());
    Map<String, String> env = pb.environment();
    env.put("OFFSYNC_CLASSPATH", System.getProperty("java.class.path"));
    env.put("OFFSYNC_JAVA_OPTS", javaOpts);
    env.put("OFFSYNC_START_TIMEOUT", "150");
    env.put("OFFSYNC_STOP_TIMEOUT", "30");
    Process p = pb.start();
    if (!p.waitFor(200, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("bin/start.sh " + action + " " + node.name() + " hung");
    }
    if (action.equals("start")) {
      synchronized (started) {
        if (!started.contains(node)) {
          started.add(node);
        }
      }
    }
    return p.exitValue();
  }

  /** Starts a node and fails with its script output and log tail when it does not come up. */
  public void start(Node node) throws Exception {
    int code = script(node, "start");
    if (code != 0) {
      throw new AssertionError("bin/start.sh start " + node.name() + " exited " + code + ":\n"
          + Files.readString(base.resolve("start-" + node.name() + "-start.out")) + "\n" + tail(node, 40));
    }
  }

  /** Whether the node's process (from its pid file) is alive. */
  public boolean running(Node node) {
    try {
      return ProcessHandle.of(node.pid()).map(ProcessHandle::isAlive).orElse(false);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** kill -9 of a node's process (read from its pid file); waits until it is gone. */
  public void kill9(Node node) throws Exception {
    ProcessHandle h = ProcessHandle.of(node.pid()).orElseThrow(
        () -> new AssertionError(node.name() + " is not running"));
    h.destroyForcibly();
    h.onExit().get(30, TimeUnit.SECONDS);
  }

  /** GET body of a URL, or null when it does not answer 200. */
  public String get(String url) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
          .build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return r.statusCode() == 200 ? r.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /**
   * Waits until the committed Parquet files of {@code dest} hold at least {@code rows} rows (footers only); fails
   * after {@code seconds} with the count reached and every node's log tail.
   */
  public void awaitRows(org.apache.hadoop.fs.FileSystem fs, org.apache.hadoop.fs.Path dest, long rows, int seconds)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long n = 0;
    while (System.nanoTime() < deadline) {
      n = OutputFiles.totalRows(fs, dest);
      if (n >= rows) {
        return;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("only " + n + " of " + rows + " rows committed within " + seconds + " s\n" + logs());
  }

  public String tail(Node node, int lines) {
    try {
      List<String> all = Files.readAllLines(node.log());
      return "---- " + node.log() + "\n" + String.join("\n", all.subList(Math.max(0, all.size() - lines),
          all.size()));
    } catch (IOException e) {
      return "---- " + node.log() + ": " + e;
    }
  }

  /** The end of every started node's log, for a failure message. */
  public String logs() {
    StringBuilder sb = new StringBuilder();
    for (Node n : started) {
      sb.append(tail(n, 60)).append('\n');
    }
    return sb.toString();
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  @Override
  public void close() throws Exception {
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        script(started.get(i), "stop");
      } catch (Exception e) {
        // keep stopping the others
      }
    }
    if (zookeeper != null) {
      zookeeper.destroy();
      if (!zookeeper.waitFor(20, TimeUnit.SECONDS)) {
        zookeeper.destroyForcibly();
      }
    }
  }
}
