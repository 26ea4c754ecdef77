package io.offsync.synctool;

import com.typesafe.config.ConfigFactory;
import io.offsync.membership.ClusterMembership;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The synctool process: {@code SyncToolMain [conf/synctool.properties]}. Without an argument the file is
 * {@code $OFFSYNC_CONF_DIR/synctool.properties}, else {@code conf/synctool.properties} in the working directory.
 *
 * <p>A node downed by the cluster's split-brain resolver, or one that left an island, restarts its actor system in
 * this process and joins the cluster again ({@link ClusterMembership}); only SIGTERM / Ctrl-C end the process.
 *
 * <p>Exit codes: 0 after a clean shutdown (SIGTERM / Ctrl-C run Pekko's coordinated shutdown: leave the cluster,
 * hand tasks over, unbind); 2 for a bad settings file (the message names the key); 1 when the node cannot start
 * (the message names the dependency: ZooKeeper, journal, a port).
 */
public final class SyncToolMain {

  private static final Logger log = LoggerFactory.getLogger(SyncToolMain.class);

  private SyncToolMain() {}

  public static void main(String[] args) throws Exception {
    Path file = settingsFile(args);
    SyncToolSettings settings;
    try {
      settings = SyncToolSettings.load(file);
    } catch (SyncToolSettings.SettingsException e) {
      System.err.println("synctool: " + e.getMessage());
      System.exit(2);
      return;
    }
    SyncToolNode node;
    try {
      node = SyncToolNode.start(settings, ConfigFactory.load(), EngineTaskAdmin.engine());
    } catch (RuntimeException e) {
      log.error("synctool did not start", e);
      System.err.println("synctool: " + e.getMessage());
      System.exit(1);
      return;
    }
    System.out.println("synctool started: admin on " + settings.advertisedEndpoint() + " (HTTP/JSON + gRPC),"
        + " management on " + settings.managementHost() + ":" + node.managementPort());
    AtomicBoolean stopping = new AtomicBoolean();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stopping.set(true), "synctool-stopping"));
    long backoffMs = 1000;
    while (true) {
      node.whenTerminated().toCompletableFuture().get(Long.MAX_VALUE, TimeUnit.DAYS);
      if (stopping.get() || !ClusterMembership.restartWanted(node.system())) {
        break;
      }
      log.warn("synctool node left the cluster ({}); restarting its actor system to join again",
          CoordinatedShutdown.get(node.system()).getShutdownReason().map(Object::toString).orElse("?"));
      node.close();
      node = null;
      while (node == null && !stopping.get()) {
        Thread.sleep(backoffMs);
        try {
          node = SyncToolNode.start(settings, ConfigFactory.load(), EngineTaskAdmin.engine());
          backoffMs = 1000;
        } catch (RuntimeException e) {
          log.warn("synctool restart failed, next attempt in {} ms: {}", backoffMs, e.getMessage());
          backoffMs = Math.min(backoffMs * 2, 30_000);
        }
      }
      if (node == null) {
        break;
      }
    }
    System.exit(0);
  }

  static Path settingsFile(String[] args) {
    if (args.length > 0) {
      return Path.of(args[args.length - 1]);
    }
    String dir = System.getenv("OFFSYNC_CONF_DIR");
    return dir == null || dir.isBlank() ? Path.of("conf", "synctool.properties")
        : Path.of(dir, "synctool.properties");
  }
}
