package io.offsync.synctool;

import com.typesafe.config.ConfigFactory;
import io.offsync.membership.ClusterMembership;
import io.offsync.membership.NodeRestarts;
import java.nio.file.Path;
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
    NodeRestarts.superviseUntilStopped("synctool", restartable(node),
        () -> restartable(SyncToolNode.start(settings, ConfigFactory.load(), EngineTaskAdmin.engine())));
    System.exit(0);
  }

  private static NodeRestarts.Node restartable(SyncToolNode node) {
    return new NodeRestarts.Node() {
      @Override
      public org.apache.pekko.actor.typed.ActorSystem<?> system() {
        return node.system();
      }

      @Override
      public void release() {
        node.close();
      }
    };
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
