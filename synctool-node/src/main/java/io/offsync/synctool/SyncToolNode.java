package io.offsync.synctool;

import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.handle;

import com.typesafe.config.Config;
import io.offsync.cluster.ClusterTls;
import io.offsync.health.HealthProbes;
import io.offsync.health.ManagementServer;
import io.offsync.membership.ClusterMembership;
import io.offsync.security.ServerTls;
import io.offsync.sink.DestinationUser;
import io.offsync.protocol.admin.SyncToolAdminHandlerFactory;
import io.offsync.synctool.admin.AdminService;
import io.offsync.synctool.admin.ClusterMetadata;
import io.offsync.synctool.admin.TaskAdmin;
import io.offsync.synctool.grpc.AdminGrpcService;
import io.offsync.synctool.http.AdminAuth;
import io.offsync.synctool.http.SyncToolMetrics;
import io.offsync.synctool.http.OpenMldbRoutes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.hadoop.conf.Configuration;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running synctool node: the actor system {@value SyncToolSettings#SYSTEM_NAME} with role {@code synctool}
 * joined to its cluster, the task engine, the admin server on {@code server.port} (OpenMLDB HTTP/JSON endpoints
 * and gRPC {@code offsync.admin.SyncToolAdmin} on one socket: HTTP/1.1 and HTTP/2, cleartext or TLS
 * ({@code server.tls.*}); Prometheus {@code /metrics} there too; a bearer token when {@code server.auth.*} sets one,
 * {@link AdminAuth}), and Pekko Management ({@code /alive}, {@code /ready}, {@code /cluster/members}) on
 * {@code management.port}, with the same TLS and tokens ({@link ManagementServer}: without a token the probes
 * answer their status code only). {@code /ready} needs the node Up in the cluster, ZooKeeper connected, the journal
 * answering and every destination file system reachable ({@link FileSystemProbe}); when not, its body (for a
 * caller with a token, when tokens are set) and one WARN per change name what fails.
 *
 * <p>Start-up fails, with a message naming the setting to fix, when ZooKeeper cannot be reached within
 * {@code 3 × request.timeout}, the journal cannot be opened or a port is taken; whatever was started is stopped
 * again. {@link #close()} leaves the cluster, unbinds and stops the clients.
 */
public final class SyncToolNode implements AutoCloseable {

  /** Starts the task engine on a node (sharding, the facade) and returns the admin view of it. */
  @FunctionalInterface
  public interface Engine {
    TaskAdmin start(ActorSystem<?> system, Context context);
  }

  /** What the engine gets from the node. */
  public record Context(SyncToolSettings settings, CuratorFramework zookeeper, Configuration hadoopConf,
      DestinationUser user) {}

  private static final Logger log = LoggerFactory.getLogger(SyncToolNode.class);

  private final SyncToolSettings settings;
  private final ActorSystem<Void> system;
  private final CuratorFramework zookeeper;
  private final ServerBinding binding;
  private final ServerBinding management;
  private final FileSystemProbe fsProbe;
  private final DestinationUser user;

  private SyncToolNode(SyncToolSettings settings, ActorSystem<Void> system, CuratorFramework zookeeper,
      ServerBinding binding, ServerBinding management, FileSystemProbe fsProbe, DestinationUser user) {
    this.settings = settings;
    this.system = system;
    this.zookeeper = zookeeper;
    this.binding = binding;
    this.management = management;
    this.fsProbe = fsProbe;
    this.user = user;
  }

  /**
   * Starts a node.
   *
   * @param fallback Pekko configuration under the node's own ({@code ConfigFactory.load()} in production)
   */
  public static SyncToolNode start(SyncToolSettings settings, Config fallback, Engine engine) {
    for (String key : settings.ignoredKeys()) {
      log.warn("synctool.properties: {} configured a part of the original SyncTool that offsync does not have;"
          + " ignored", key);
    }
    settings.checkAdminExposure();
    AdminAuth auth = adminAuth(settings);
    HttpsConnectionContext https = adminHttps(settings);
    Configuration hadoopConf = hadoopConfiguration(settings);
    DestinationUser user;
    try {
      user = DestinationLogin.login(settings, hadoopConf);
    } catch (DestinationUser.LoginException e) {
      throw new IllegalStateException("synctool node did not start: " + e.getMessage(), e);
    }
    CuratorFramework zk;
    try {
      zk = connectZooKeeper(settings);
    } catch (RuntimeException e) {
      user.close();
      throw e;
    }
    ActorSystem<Void> system = null;
    FileSystemProbe fsProbe = null;
    ClusterMembership membership = null;
    ServerBinding binding = null;
    ServerBinding management = null;
    try {
      system = ActorSystem.create(Behaviors.empty(), SyncToolSettings.SYSTEM_NAME,
          settings.toPekkoConfig(fallback));
      ActorSystem<Void> sys = system;
      Duration timeout = settings.requestTimeout().multipliedBy(6);
      membership = ClusterMembership.start(system, zk, settings.zookeeperRootPath(), "synctool", true,
          settings.seedAddresses());
      Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
      TaskAdmin tasks = engine.start(system, new Context(settings, zk, hadoopConf, user));
      ProgressFiles.start(system, settings, tasks, blocking);
      Config readiness = system.settings().config().getConfig("offsync.synctool.readiness");
      fsProbe = new FileSystemProbe(hadoopConf, user, tasks::destinations, blocking,
          readiness.getDuration("filesystem-timeout"), readiness.getDuration("filesystem-cache"));
      HealthProbes.get(system).register(List.of(
          HealthProbes.Probe.immediate("zookeeper", () -> zk.getZookeeperClient().isConnected(),
              () -> "not connected to " + settings.zookeeperCluster()),
          new HealthProbes.Probe("journal", () -> CompletableFuture.runAsync(() -> checkJournal(settings),
              blocking)),
          new HealthProbes.Probe("filesystem", fsProbe::check),
          HealthProbes.Probe.immediate("kerberos", () -> user.problem().isEmpty(),
              () -> user.problem().orElse("")),
          ClusterTls.seedProbe(settings.clusterTls(), "cluster.tls.keystore and cluster.tls.truststore",
              settings.seedNodes(), () -> Cluster.get(sys).selfMember().status() == MemberStatus.up(), blocking)));
      AdminService admin = new AdminService(tasks, new ClusterMetadata(zk, settings.zookeeperRootPath()),
          hadoopConf, user, settings, blocking);
      Route route = auth.protect(concat(new OpenMldbRoutes(admin).route(),
          new SyncToolMetrics(system, tasks).route(),
          handle(SyncToolAdminHandlerFactory.create(new AdminGrpcService(admin), system))));
      ServerBuilder server = Http.get(system).newServerAt(settings.serverHost(), settings.serverPort());
      if (https != null) {
        server = server.enableHttps(https);
      }
      binding = server.bind(route).toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      management = ManagementServer.bind(system, settings.managementHost(), settings.managementPort(), https,
          auth.tokens(), "server.auth.token_file or server.auth.read_token_file", timeout);
      log.info("synctool node up: admin (HTTP/JSON + gRPC) and management on {} and {} ({}, {}), cluster {}:{}",
          binding.localAddress(), management.localAddress(), https == null ? "plain HTTP" : "TLS",
          auth.enabled() ? "bearer tokens" : "no authentication", settings.clusterHost(), settings.clusterPort());
      return new SyncToolNode(settings, system, zk, binding, management, fsProbe, user);
    } catch (Exception e) {
      for (ServerBinding b : new ServerBinding[] {binding, management}) {
        if (b != null) {
          b.unbind();
        }
      }
      if (fsProbe != null) {
        fsProbe.close();
      }
      if (membership != null) {
        membership.close();
      }
      if (system != null) {
        system.terminate();
        try {
          system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception ignored) {
          // best effort: the start failure below is what matters
        }
      }
      zk.close();
      user.close();
      Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null
          ? e.getCause() : e;
      throw new IllegalStateException("synctool node did not start: " + cause.getMessage()
          + hint(cause), cause);
    }
  }

  private static AdminAuth adminAuth(SyncToolSettings settings) {
    SyncToolSettings.AdminSecurity sec = settings.adminSecurity();
    if (sec.tokenFile() == null) {
      return AdminAuth.open();
    }
    try {
      return AdminAuth.fromFiles(sec.tokenFile(), sec.readTokenFile());
    } catch (IllegalArgumentException e) {
      throw new SyncToolSettings.SettingsException(e.getMessage());
    }
  }

  /** The TLS context of the admin and management ports from server.tls.keystore, or null for plain HTTP. */
  private static HttpsConnectionContext adminHttps(SyncToolSettings settings) {
    SyncToolSettings.AdminSecurity sec = settings.adminSecurity();
    if (sec.keyStore() == null) {
      return null;
    }
    try {
      return ServerTls.https(sec.keyStore(), sec.keyStorePassword(), "server.tls.keystore",
          "server.tls.keystore_password");
    } catch (IllegalArgumentException e) {
      throw new SyncToolSettings.SettingsException(e.getMessage());
    }
  }

  private static String hint(Throwable cause) {
    String m = String.valueOf(cause.getMessage()).toLowerCase(java.util.Locale.ROOT);
    if (m.contains("bind") || m.contains("address already in use")) {
      return " (a port is taken: check server.port, cluster.port and management.port)";
    }
    if (m.contains("jdbc") || m.contains("database") || m.contains("connection")) {
      return " (check journal.url, journal.user and journal.password)";
    }
    return "";
  }

  private static CuratorFramework connectZooKeeper(SyncToolSettings settings) {
    CuratorFrameworkFactory.Builder b = CuratorFrameworkFactory.builder()
        .connectString(settings.zookeeperCluster())
        .retryPolicy(new ExponentialBackoffRetry(200, 10, 5000))
        .connectionTimeoutMs((int) settings.requestTimeout().toMillis())
        .sessionTimeoutMs(30_000);
    if (!settings.zookeeperCert().isEmpty()) {
      b.authorization("digest", settings.zookeeperCert().getBytes(StandardCharsets.UTF_8))
          .aclProvider(new ACLProvider() {
            @Override
            public List<ACL> getDefaultAcl() {
              return ZooDefs.Ids.CREATOR_ALL_ACL;
            }

            @Override
            public List<ACL> getAclForPath(String path) {
              return ZooDefs.Ids.CREATOR_ALL_ACL;
            }
          });
    }
    CuratorFramework zk = b.build();
    zk.start();
    try {
      long waitMs = settings.requestTimeout().multipliedBy(3).toMillis();
      if (!zk.blockUntilConnected((int) waitMs, TimeUnit.MILLISECONDS)) {
        zk.close();
        throw new IllegalStateException("cannot connect to ZooKeeper at " + settings.zookeeperCluster()
            + " within " + waitMs + " ms: check zookeeper.cluster and that ZooKeeper is up");
      }
    } catch (InterruptedException e) {
      zk.close();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while connecting to ZooKeeper", e);
    }
    return zk;
  }

  /** Hadoop configuration: core-site.xml and hdfs-site.xml from hadoop.conf.dir when set. */
  static Configuration hadoopConfiguration(SyncToolSettings settings) {
    Configuration conf = new Configuration();
    if (!settings.hadoopConfDir().isEmpty()) {
      for (String name : List.of("core-site.xml", "hdfs-site.xml")) {
        java.nio.file.Path file = java.nio.file.Path.of(settings.hadoopConfDir(), name);
        if (Files.isRegularFile(file)) {
          conf.addResource(new org.apache.hadoop.fs.Path(file.toUri()));
        }
      }
    }
    return conf;
  }

  /** Throws a {@link HealthProbes.NotReadyException} naming the journal when it does not answer. */
  private static void checkJournal(SyncToolSettings settings) {
    try (Connection c = DriverManager.getConnection(settings.journalUrl(), settings.journalEffectiveUser(),
        settings.journalEffectivePassword())) {
      if (!c.isValid(2)) {
        throw new HealthProbes.NotReadyException("journal " + settings.journalLocation() + " does not answer");
      }
    } catch (SQLException e) {
      throw new HealthProbes.NotReadyException("journal " + settings.journalLocation() + " does not answer: "
          + e.getMessage());
    }
  }

  public SyncToolSettings settings() {
    return settings;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  /** The bound admin port (HTTP/JSON and gRPC). */
  public int serverPort() {
    return binding.localAddress().getPort();
  }

  /** The bound management port ({@code /alive}, {@code /ready}, {@code /cluster/members}). */
  public int managementPort() {
    return management.localAddress().getPort();
  }

  /** The user destination file-system calls run as (a Kerberos principal, or the process user). */
  public DestinationUser destinationUser() {
    return user;
  }

  /** Completes when the actor system has terminated (coordinated shutdown or {@link #close()}). */
  public CompletionStage<Done> whenTerminated() {
    return system.getWhenTerminated();
  }

  @Override
  public void close() {
    try {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
      management.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.debug("unbind during close failed", e);
    }
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("actor system did not terminate within 60 s", e);
    } finally {
      fsProbe.close();
      zookeeper.close();
      user.close();
    }
  }
}
