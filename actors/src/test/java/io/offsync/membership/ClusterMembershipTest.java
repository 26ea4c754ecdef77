package io.offsync.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.offsync.testkit.EmbeddedZooKeeper;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Real actor systems on 127.0.0.1 and a real ZooKeeper: nodes find the one cluster through ZooKeeper whatever the
 * order they start in, a collector never forms a cluster, a downed synctool restarted on its address joins the
 * collectors that downed it, and a collector on an island leaves for the cluster of a registered synctool.
 */
@ExtendWith(LogCapturingExtension.class)
class ClusterMembershipTest {

  private static final String ROOT = "/membership";

  private EmbeddedZooKeeper zk;
  private final List<ActorSystem<Void>> systems = new ArrayList<>();
  private final List<ClusterMembership> memberships = new ArrayList<>();

  @BeforeEach
  void startZooKeeper() {
    zk = EmbeddedZooKeeper.start();
  }

  @AfterEach
  void stop() throws Exception {
    for (ClusterMembership m : memberships) {
      m.close();
    }
    for (ActorSystem<Void> s : systems) {
      s.terminate();
      s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    zk.close();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private ActorSystem<Void> system(String role, int port) {
    ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), "offsync", ConfigFactory.parseMap(Map.of(
        "pekko.cluster.roles", List.of(role),
        "pekko.remote.artery.canonical.port", port))
        .withFallback(ConfigFactory.parseString("""
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical.hostname = "127.0.0.1"
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            pekko.cluster.split-brain-resolver.stable-after = 3s
            pekko.coordinated-shutdown.exit-jvm = off
            pekko.loglevel = WARNING
            offsync.cluster { join-retry = 1 s, island-timeout = 3 s }
            """))
        .withFallback(ConfigFactory.load()).resolve());
    systems.add(s);
    return s;
  }

  private ActorSystem<Void> node(String role, int port) {
    ActorSystem<Void> s = system(role, port);
    memberships.add(ClusterMembership.start(s, zk.client(), ROOT, role, role.equals("synctool"), List.of()));
    return s;
  }

  private static Set<String> upMembers(ActorSystem<?> s) {
    return StreamSupport.stream(Cluster.get(s).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up()).map(m -> m.address().toString()).collect(Collectors.toSet());
  }

  /** Every given live system sees exactly the given systems Up. */
  private static void awaitOneCluster(List<ActorSystem<Void>> nodes, Duration timeout) throws InterruptedException {
    Set<String> all = nodes.stream().map(s -> s.address().toString()).collect(Collectors.toSet());
    await(() -> nodes.stream().allMatch(s -> upMembers(s).equals(all)), timeout,
        () -> nodes.stream().map(s -> s.address() + " sees " + upMembers(s)).toList().toString());
  }

  private static void await(BooleanSupplier condition, Duration timeout, java.util.function.Supplier<String> what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeout + ": " + what.get());
      }
      Thread.sleep(100);
    }
  }

  @Test
  void collectorsStartedFirstWaitAndTwoSynctoolsStartingTogetherFormOneCluster() throws Exception {
    ActorSystem<Void> c1 = node("collector", freePort());
    Thread.sleep(2000);
    assertEquals(MemberStatus.removed(), Cluster.get(c1).selfMember().status(), "a collector formed a cluster");
    ActorSystem<Void> s1 = node("synctool", freePort());
    ActorSystem<Void> s2 = node("synctool", freePort());
    ActorSystem<Void> c2 = node("collector", freePort());
    awaitOneCluster(List.of(c1, s1, s2, c2), Duration.ofSeconds(30));
  }

  @Test
  void aDownedSynctoolRestartedOnItsAddressJoinsTheCollectorsThatDownedIt() throws Exception {
    int port = freePort();
    ActorSystem<Void> s1 = node("synctool", port);
    ActorSystem<Void> c1 = node("collector", freePort());
    ActorSystem<Void> c2 = node("collector", freePort());
    awaitOneCluster(List.of(s1, c1, c2), Duration.ofSeconds(30));

    Cluster.get(c1).manager().tell(new Down(s1.address()));
    s1.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertTrue(ClusterMembership.restartWanted(s1), "a downed node must restart its actor system");
    awaitOneCluster(List.of(c1, c2), Duration.ofSeconds(30));

    ActorSystem<Void> restarted = node("synctool", port);
    awaitOneCluster(List.of(restarted, c1, c2), Duration.ofSeconds(30));
  }

  @Test
  void aCollectorOnAnIslandLeavesForTheClusterOfARegisteredSynctool() throws Exception {
    ActorSystem<Void> island = system("collector", freePort());
    Cluster.get(island).manager().tell(Join.create(island.address())); // an island formed before the fix
    await(() -> Cluster.get(island).selfMember().status() == MemberStatus.up(), Duration.ofSeconds(20), () -> "");
    ActorSystem<Void> s1 = node("synctool", freePort());
    awaitOneCluster(List.of(s1), Duration.ofSeconds(30));

    memberships.add(ClusterMembership.start(island, zk.client(), ROOT, "collector", false, List.of()));
    island.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertTrue(ClusterMembership.restartWanted(island), "the island's collector must restart to rejoin");
    int port = island.address().getPort().get();
    ActorSystem<Void> rejoined = node("collector", port);
    awaitOneCluster(List.of(s1, rejoined), Duration.ofSeconds(30));
    assertFalse(ClusterMembership.restartWanted(s1));
  }
}
