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
 * Real offsync processes for the multi-process tests: each component gets its own conf dir under {@code base} and
 * is started and stopped through {@code bin/start.sh} (the same script an operator uses), with the test JVM's
 * classpath as {@code OFFSYNC_CLASSPATH} so nothing is rebuilt. ZooKeeper runs as an {@code EmbeddedZooKeeperMain}
 * process. {@link #close()} stops everything that was started, killing what does not stop.
 */
final class ProcessCluster implements AutoCloseable {

  /** A component instance: conf dir, pid file and log as bin/start.sh lays them out. */
  record Node(String name, String component, Path confDir) {
    Path logDir() {
      return confDir.getParent().resolve("logs");
    }

    Path pidFile() {
      return logDir().resolve(component + ".pid");
    }

    Path log() {
      return logDir().resolve(component + ".log");
    }

    long pid() throws IOException {
      return Long.parseLong(Files.readString(pidFile()).strip());
    }
  }

  static final Path HOME = findHome();

  private final Path base;
  private final String javaOpts;
  private final List<Node> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
  private Process zookeeper;

  ProcessCluster(Path base, String javaOpts) {
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

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Starts ZooKeeper as a process; returns its connect string. */
  String startZooKeeper() throws Exception {
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
  Node node(String name, String component, String file, String content) throws IOException {
    Path conf = base.resolve(name).resolve("conf");
    Files.createDirectories(conf);
    Files.writeString(conf.resolve(file), content);
    return new Node(name, component, conf);
  }

  /** {@code bin/start.sh -c <conf> <action> <component>}; returns the exit code, output goes to base/start.out. */
  int script(Node node, String action) throws Exception {
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
      started.add(node);
    }
    return p.exitValue();
  }

  /** Starts a node and fails with its script output and log tail when it does not come up. */
  void start(Node node) throws Exception {
    int code = script(node, "start");
    if (code != 0) {
      throw new AssertionError("bin/start.sh start " + node.name() + " exited " + code + ":\n"
          + Files.readString(base.resolve("start-" + node.name() + "-start.out")) + "\n" + tail(node, 40));
    }
  }

  /** kill -9 of a node's process (read from its pid file); waits until it is gone. */
  void kill9(Node node) throws Exception {
    ProcessHandle h = ProcessHandle.of(node.pid()).orElseThrow(
        () -> new AssertionError(node.name() + " is not running"));
    h.destroyForcibly();
    h.onExit().get(30, TimeUnit.SECONDS);
  }

  /** GET body of a URL, or null when it does not answer 200. */
  String get(String url) {
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

  String tail(Node node, int lines) {
    try {
      List<String> all = Files.readAllLines(node.log());
      return "---- " + node.log() + "\n" + String.join("\n", all.subList(Math.max(0, all.size() - lines),
          all.size()));
    } catch (IOException e) {
      return "---- " + node.log() + ": " + e;
    }
  }

  /** The end of every started node's log, for a failure message. */
  String logs() {
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
