package io.offsync.collector.node;

import io.offsync.collector.CollectorDirectory;
import io.offsync.collector.CollectorRegistry;
import io.offsync.collector.StreamStats;
import io.offsync.membership.ClusterMembership;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The collector's {@code /status} page (plain text, for {@code curl http://<endpoint>/status}): node, its cluster
 * membership ({@code cluster: Up, synctools reachable: N}; {@code bin/start.sh} waits for {@code Up}), machine,
 * whether this node is the machine's active collector or a standby, ZooKeeper registration, and every open
 * stream with tid, pid, phase, position, rows and bytes sent and rates; and {@code /metrics} for Prometheus
 * ({@link CollectorMetrics}).
 */
final class StatusPage extends AllDirectives {

  private final ActorSystem<?> system;
  private final String endpoint;
  private final String host;
  private final CollectorRegistration registration;
  private final Instant started = Instant.now();
  private final CollectorMetrics metrics;

  StatusPage(ActorSystem<?> system, String endpoint, String host, CollectorRegistration registration) {
    this.system = system;
    this.endpoint = endpoint;
    this.host = host;
    this.registration = registration;
    this.metrics = new CollectorMetrics(system);
  }

  Route route() {
    return concat(
        path("status", () -> get(() -> complete(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, render())))),
        metrics.route());
  }

  /** "active" when the machine's collector entity runs here or would be placed here, else "standby". */
  String role() {
    if (CollectorRegistry.get(system).isActive(host)) {
      return "active";
    }
    List<Member> live = CollectorDirectory.liveCollectors(system, host);
    Member self = Cluster.get(system).selfMember();
    return !live.isEmpty() && live.get(0).address().equals(self.address()) ? "active" : "standby";
  }

  String render() {
    StringBuilder sb = new StringBuilder();
    Member self = Cluster.get(system).selfMember();
    sb.append("offsync data_collector\n");
    sb.append("node: ").append(endpoint).append(" (cluster ").append(self.address()).append(", ")
        .append(self.status()).append(")\n");
    sb.append("cluster: ").append(self.status()).append(", synctools reachable: ")
        .append(ClusterMembership.reachableSynctools(system)).append('\n');
    sb.append("machine: ").append(host).append('\n');
    sb.append("state: ").append(role()).append('\n');
    sb.append("collectors of this machine: ")
        .append(CollectorDirectory.liveCollectors(system, host).stream().map(m -> m.address().toString()).toList())
        .append('\n');
    sb.append("zookeeper: ").append(registration.path())
        .append(registration.registered() ? " (registered)" : " (NOT registered)").append('\n');
    sb.append("uptime: ").append(Duration.between(started, Instant.now()).toSeconds()).append(" s\n");
    List<StreamStats> streams = CollectorRegistry.get(system).streams();
    sb.append("streams: ").append(streams.size()).append('\n');
    if (!streams.isEmpty()) {
      sb.append(String.format(Locale.ROOT, "%-6s %-5s %-4s %-8s %-14s %-14s %12s %12s %-38s %s%n", "tid", "pid",
          "mode", "phase", "rows", "bytes", "rows/s", "MB/s", "subtask", "position"));
      for (StreamStats s : streams) {
        sb.append(String.format(Locale.ROOT, "%-6d %-5d %-4d %-8s %-14d %-14d %12.1f %12.3f %-38s %s%n", s.tid(),
            s.pid(), s.mode(), s.phase(), s.rows(), s.bytes(), s.rowRate(), s.byteRate() / (1024 * 1024),
            s.subtaskId(), s.position()));
      }
    }
    return sb.toString();
  }
}
