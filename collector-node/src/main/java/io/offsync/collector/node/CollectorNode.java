package io.offsync.collector.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.offsync.collector.Collector;
import io.offsync.collector.CollectorDirectory;
import io.offsync.collector.CollectorSettings;
import io.offsync.collector.HardLinker;
import io.offsync.cluster.ClusterTls;
import io.offsync.health.HealthProbes;
import io.offsync.health.ManagementServer;
import io.offsync.membership.ClusterMembership;
import io.offsync.membership.NodeRestarts;
import io.offsync.security.BearerTokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DataCollector process: reads {@code conf/data_collector.flags}, joins the Pekko cluster (actor system {@value
 * #SYSTEM_NAME}) with roles {@code collector} and {@code host:<H>} (H = the endpoint's host), hosts the {@link
 * Collector} entity of its machine (or stands by for it), registers itself in ZooKeeper, serves {@code /status} and
 * Prometheus {@code /metrics} on the endpoint's port and Pekko Management ({@code /alive}, {@code /ready}: Up in the
 * cluster with a reachable synctool, ZooKeeper connected and registered, collector_datadir a writable directory; {@code
 * /cluster/members}) on {@code management_port}, both on {@code http_bind_host} (default the endpoint's host), over
 * HTTPS with {@code http_tls_keystore} and behind the bearer token of {@code http_auth_token_file} ({@link
 * ManagementServer}; without a token only the probes' status codes). It joins the cluster through {@link
 * ClusterMembership}; when the cluster downs it, or it finds itself on an island, {@link #main} restarts its actor
 * system in this process and it joins again.
 *
 * <p>Start-up fails with a message naming the flag at fault (unknown flag, bad endpoint, an unauthenticated status page
 * off loopback, pack size larger than an Artery frame, unreachable ZooKeeper, unwritable collector_datadir). Stopping
 * leaves the cluster gracefully: the machine's entity moves to a standby collector of the machine if there is one.
 */
public final class CollectorNode implements AutoCloseable, NodeRestarts.Node {

  /** Name of the actor system of every offsync node (collector and synctool form one cluster). */
  public static final String SYSTEM_NAME = "offsync";

  private static final Logger log = LoggerFactory.getLogger(CollectorNode.class);

  private final ActorSystem<Void> system;
  private final CollectorRegistration registration;
  private final ServerBinding binding;
  private final String endpoint;
  private final int managementPort;

  private CollectorNode(ActorSystem<Void> system, CollectorRegistration registration, ServerBinding binding,
      String endpoint, int managementPort) {
    this.system = system;
    this.registration = registration;
    this.binding = binding;
    this.endpoint = endpoint;
    this.managementPort = managementPort;
  }

  public static void main(String[] args) throws Exception {
    DataCollectorFlags flags;
    CollectorNode node;
    try {
      flags = DataCollectorFlags.load(Path.of("conf", "data_collector.flags"), args);
      node = start(flags, HardLinker.FILES);
    } catch (IllegalArgumentException e) {
      System.err.println("data_collector: " + e.getMessage());
      System.exit(2);
      return;
    } catch (Exception e) {
      log.error("data_collector cannot start", e);
      System.err.println("data_collector: cannot start: " + e.getMessage());
      System.exit(1);
      return;
    }
    DataCollectorFlags given = flags;
    NodeRestarts.superviseUntilStopped("data_collector", node, () -> start(given, HardLinker.FILES));
    System.exit(0);
  }

  /** Cluster seed nodes of the flags as addresses. */
  private static List<Address> seedAddresses(DataCollectorFlags flags) {
    List<Address> seeds = new ArrayList<>();
    for (String s : flags.seedNodes()) {
      int colon = s.lastIndexOf(':');
      seeds.add(new Address("pekko", SYSTEM_NAME, s.substring(0, colon), Integer.parseInt(s.substring(colon + 1))));
    }
    return seeds;
  }

  /** The Pekko configuration the flags make (the flags win over application.conf and reference.conf). */
  static Config config(DataCollectorFlags flags) {
    Map<String, Object> c = new HashMap<>();
    c.put("pekko.actor.provider", "cluster");
    c.put("pekko.remote.artery.canonical.hostname", flags.clusterHost());
    c.put("pekko.remote.artery.canonical.port", flags.clusterPort());
    c.put("pekko.cluster.roles", List.of(Collector.ROLE, CollectorDirectory.hostRole(flags.host())));
    c.put("pekko.cluster.seed-nodes", List.of()); // ClusterMembership joins (ZooKeeper's members + the flag's)
    int managementPort = flags.managementPort();
    c.put("pekko.management.http.hostname", flags.httpBindHost());
    c.put("pekko.management.http.port", managementPort);
    c.put("offsync.collector.datadir", flags.get("collector_datadir"));
    c.put("offsync.collector.max-pack-size", flags.longValue("max_pack_size", 1));
    c.put("offsync.collector.hdd-root-path", flags.get("hdd_root_path"));
    c.put("offsync.collector.ssd-root-path", flags.get("ssd_root_path"));
    c.put("offsync.collector.tail-poll-interval", flags.longValue("tail_poll_interval_ms", 1) + " ms");
    c.put("offsync.collector.heartbeat-interval", flags.longValue("heartbeat_interval_ms", 1) + " ms");
    c.put("offsync.collector.link-retention", flags.longValue("link_retention_s", 0) + " s");
    c.put("offsync.collector.verify-crc", flags.booleanValue("verify_crc"));
    Config own = ConfigFactory.parseMap(c);
    Optional<ClusterTls> tls = flags.clusterTls();
    if (tls.isPresent()) {
      own = own.withFallback(tls.get().artery());
    }
    return own
        .withFallback(ConfigFactory.parseResources(CollectorNode.class.getClassLoader(), "offsync-collector.conf"))
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  /** Starts a collector node; {@code linker} makes the hard links (tests inject failures). */
  public static CollectorNode start(DataCollectorFlags flags, HardLinker linker) throws Exception {
    for (String ignored : flags.ignored()) {
      log.warn("flag {} of the original DataCollector has no effect in offsync; it is ignored", ignored);
    }
    Config config = config(flags);
    CollectorSettings settings = CollectorSettings.fromConfig(config).withLinker(linker);
    settings.checkFrameSize(config);
    Files.createDirectories(settings.datadir());
    if (!Files.isWritable(settings.datadir())) {
      throw new IllegalArgumentException("collector_datadir " + settings.datadir() + " is not writable");
    }
    String endpoint = flags.endpoint();
    HttpsConnectionContext https = flags.httpTls();
    BearerTokens tokens = flags.httpTokens();
    CollectorRegistration registration = CollectorRegistration.start(flags.get("zk_cluster"),
        flags.get("zk_root_path"), Duration.ofMillis(flags.longValue("zk_session_timeout", 1)),
        flags.get("zk_cert"), endpoint, Duration.ofSeconds(30));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), SYSTEM_NAME, config);
    try {
      // with seed nodes (the synctools) a collector never forms a cluster; without, it may (a stand-alone node)
      List<Address> seeds = seedAddresses(flags);
      ClusterMembership membership = ClusterMembership.start(system, registration.client(),
          flags.get("zk_root_path"), Collector.ROLE, seeds.isEmpty(), seeds);
      Collector.init(system, settings);
      Path datadir = settings.datadir();
      HealthProbes.get(system).register(List.of(
          HealthProbes.Probe.immediate("zookeeper",
              () -> registration.client().getZookeeperClient().isConnected() && registration.registered(),
              () -> registration.client().getZookeeperClient().isConnected()
                  ? "connected, but " + registration.path() + " is not registered"
                  : "not connected to " + flags.get("zk_cluster")),
          HealthProbes.Probe.immediate("synctool", () -> ClusterMembership.reachableSynctools(system) > 0,
              () -> "no synctool in the cluster: this collector serves nothing until a synctool joins"),
          HealthProbes.Probe.immediate("collector_datadir",
              () -> Files.isDirectory(datadir) && Files.isWritable(datadir),
              () -> "collector_datadir " + datadir + " is not a writable directory"),
          ClusterTls.seedProbe(flags.clusterTls(), "--cluster_tls_keystore and --cluster_tls_truststore",
              flags.seedNodes(), () -> Cluster.get(system).selfMember().status() == MemberStatus.up(),
              system.dispatchers().lookup(DispatcherSelector.blocking()))));
      if (flags.managementPort() != 0) {
        ServerBinding management = ManagementServer.bind(system, flags.httpBindHost(), flags.managementPort(), https,
            tokens, "--http_auth_token_file", Duration.ofSeconds(30));
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "management-unbind",
            () -> management.unbind().thenApply(x -> Done.done()));
      }
      StatusPage status = new StatusPage(system, endpoint, flags.host(), registration);
      ServerBuilder server = Http.get(system).newServerAt(flags.httpBindHost(), flags.httpPort());
      if (https != null) {
        server = server.enableHttps(https);
      }
      ServerBinding binding = server.bind(ManagementServer.readProtected(status.route(), tokens,
          "--http_auth_token_file")).toCompletableFuture().get(30, TimeUnit.SECONDS);
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceUnbind(), "status-unbind",
          () -> binding.unbind().thenApply(x -> Done.done()));
      CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
          "zookeeper-deregister", () -> {
            try {
              registration.close();
            } catch (Exception e) {
              log.warn("ZooKeeper deregistration failed: {}", e.toString());
            }
            return java.util.concurrent.CompletableFuture.completedFuture(Done.done());
          });
      log.info("data_collector {} of machine {} started: cluster {}, status and metrics {}://{}:{}/status "
          + "and /metrics, management port {} ({}), registered {}", endpoint, flags.host(), system.address(),
          https == null ? "http" : "https", flags.httpBindHost(), binding.localAddress().getPort(),
          flags.managementPort() == 0 ? "off" : flags.managementPort(),
          tokens.enabled() ? "bearer token" : "no authentication", registration.path());
      return new CollectorNode(system, registration, binding, endpoint, flags.managementPort());
    } catch (Exception e) {
      system.terminate();
      registration.close();
      throw e;
    }
  }

  @Override
  public ActorSystem<Void> system() {
    return system;
  }

  /** Nothing to release: coordinated shutdown closed the registration and unbound the ports. */
  @Override
  public void release() {}

  public String endpoint() {
    return endpoint;
  }

  public CollectorRegistration registration() {
    return registration;
  }

  /** The port the status page listens on. */
  public int httpPort() {
    return binding.localAddress().getPort();
  }

  /** The Pekko Management port ({@code /alive}, {@code /ready}, {@code /cluster/members}); 0 when off. */
  public int managementPort() {
    return managementPort;
  }

  /** Leaves the cluster gracefully (the entity hands off to a standby) and stops. */
  @Override
  public void close() throws Exception {
    CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason())
        .toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
