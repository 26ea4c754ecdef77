package io.offsync.collector.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.offsync.collector.Collector;
import io.offsync.collector.HardLinker;
import io.offsync.collector.RowPack;
import io.offsync.protocol.position.Position;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.stream.SourceRef;

/** Collector nodes and a client node on 127.0.0.1 for tests. */
public final class TestNodes {

  private TestNodes() {}

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** A collector node of {@code machine} (its endpoint's host) with real ZooKeeper, cluster and HTTP. */
  public static CollectorNode collector(String zk, String machine, Path datadir, Path hddRoot, int maxPackSize,
      String seed, HardLinker linker) throws Exception {
    int clusterPort = freePort();
    Map<String, String> values = new java.util.HashMap<>(Map.of(
        "endpoint", machine + ":" + freePort(),
        "zk_cluster", zk,
        "collector_datadir", datadir.toString(),
        "hdd_root_path", hddRoot.toString(),
        "ssd_root_path", hddRoot.toString(),
        "max_pack_size", String.valueOf(maxPackSize),
        "http_bind_host", "127.0.0.1",
        "cluster_host", "127.0.0.1",
        "cluster_port", String.valueOf(clusterPort),
        "cluster_seed_nodes", seed == null ? "" : seed));
    values.put("management_port", String.valueOf(freePort()));
    return CollectorNode.start(DataCollectorFlags.of(values), linker);
  }

  public static String seedOf(CollectorNode node) {
    Address a = node.system().address();
    return a.getHost().get() + ":" + a.getPort().get();
  }

  /** A client node (no collector role) joined to the cluster of {@code seed}, with the collector proxy. */
  public static ActorSystem<Void> client(CollectorNode seed) {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), CollectorNode.SYSTEM_NAME,
        ConfigFactory.parseString("""
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
            pekko.cluster.roles = [client]
            """).withFallback(ConfigFactory.load()));
    Cluster.get(system).manager().tell(Join.create(seed.system().address()));
    Collector.init(system);
    return system;
  }

  /** A bare cluster node with role {@code role} (e.g. {@code synctool}) joined to the cluster of {@code seed}. */
  public static ActorSystem<Void> member(CollectorNode seed, String role) {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), CollectorNode.SYSTEM_NAME,
        ConfigFactory.parseString("""
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
            """).withFallback(ConfigFactory.parseMap(Map.of("pekko.cluster.roles", List.of(role))))
            .withFallback(ConfigFactory.load()));
    Cluster.get(system).manager().tell(Join.create(seed.system().address()));
    return system;
  }

  /** Waits until {@code system} sees {@code members} members up. */
  public static void awaitUp(ActorSystem<?> system, int members) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      long up = 0;
      for (var m : Cluster.get(system).state().getMembers()) {
        if (m.status() == MemberStatus.up()) {
          up++;
        }
      }
      if (up >= members) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError(system.address() + " does not see " + members + " members up: "
        + Cluster.get(system).state().getMembers());
  }

  /** Asks the collector of {@code host} for a stream. */
  public static CompletionStage<SourceRef<RowPack>> open(ActorSystem<?> client, String host, int tid, int pid, int mode,
      long startTs, Position from, byte[] tableInfo, String subtaskId) {
    return open(client, host, tid, pid, mode, startTs, from, tableInfo, subtaskId, Duration.ofSeconds(30));
  }

  /** Asks the collector of {@code host} for a stream, waiting at most {@code timeout} for the answer. */
  public static CompletionStage<SourceRef<RowPack>> open(ActorSystem<?> client, String host, int tid, int pid, int mode,
      long startTs, Position from, byte[] tableInfo, String subtaskId, Duration timeout) {
    return ClusterSharding.get(client).entityRefFor(Collector.TYPE_KEY, host)
        .askWithStatus(replyTo -> new Collector.OpenStream(tid, pid, mode, startTs, from, tableInfo, subtaskId,
            replyTo), timeout);
  }

  /**
   * Reassembles rows from packs, checking the framing contract: no pack over {@code maxPackSize}, a pack ends
   * inside a row exactly when its {@code next} is null.
   */
  public static List<byte[]> rows(List<RowPack> packs, int maxPackSize) {
    List<byte[]> rows = new ArrayList<>();
    ByteArrayOutputStream partial = new ByteArrayOutputStream();
    for (RowPack p : packs) {
      if (p.isHeartbeat()) {
        assertEquals(0, partial.size(), "a heartbeat never comes between the parts of a split row");
        continue;
      }
      assertTrue(p.data().length <= maxPackSize, "pack of " + p.data().length + " bytes > " + maxPackSize);
      partial.writeBytes(p.data());
      byte[] buf = partial.toByteArray();
      int off = 0;
      while (buf.length - off >= 6) {
        int len = (buf[off + 2] & 0xff) | (buf[off + 3] & 0xff) << 8 | (buf[off + 4] & 0xff) << 16
            | (buf[off + 5] & 0xff) << 24;
        if (buf.length - off < len) {
          break;
        }
        byte[] row = new byte[len];
        System.arraycopy(buf, off, row, 0, len);
        rows.add(row);
        off += len;
      }
      partial.reset();
      partial.write(buf, off, buf.length - off);
      if (p.next() == null) {
        assertTrue(partial.size() > 0, "a pack with next == null must end inside a row");
      } else {
        assertEquals(0, partial.size(), "a pack with a position must end at a row boundary: " + p);
      }
    }
    assertNotNull(packs);
    return rows;
  }
}
