package io.offsync.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * Several real Pekko cluster nodes in one JVM: one {@link ActorSystem} per node, Artery on {@code 127.0.0.1}
 * with a random port, each with its own roles, all joined to the first node. {@link #start} returns once every
 * node is {@code Up} (or throws naming the nodes that are not).
 *
 * <p>The config built for every node: {@code pekko.actor.provider = cluster},
 * {@code pekko.cluster.jmx.multi-mbeans-in-same-jvm = on}, {@code pekko.fail-mixed-versions = off} (pekko-discovery
 * is older than the rest of Pekko here), the split-brain resolver with a short {@code stable-after} so that a
 * stopped node is downed quickly, and coordinated shutdown that never exits the JVM; then the caller's config, then
 * {@code application.conf}/{@code reference.conf}. All nodes share the system name.
 */
public final class LocalCluster implements AutoCloseable {

  private final List<ActorSystem<Void>> systems;

  private LocalCluster(List<ActorSystem<Void>> systems) {
    this.systems = systems;
  }

  /** Starts one node per entry of {@code rolesPerNode}, with the default settings only. */
  public static LocalCluster start(String systemName, List<Set<String>> rolesPerNode) {
    return start(systemName, ConfigFactory.empty(), rolesPerNode);
  }

  /**
   * Starts one node per entry of {@code rolesPerNode}; {@code config} overrides the defaults above (e.g.
   * persistence plugins) and applies to every node.
   */
  public static LocalCluster start(String systemName, Config config, List<Set<String>> rolesPerNode) {
    if (rolesPerNode.isEmpty()) {
      throw new IllegalArgumentException("a cluster needs at least one node");
    }
    List<ActorSystem<Void>> systems = new ArrayList<>();
    LocalCluster cluster = new LocalCluster(systems);
    try {
      for (Set<String> roles : rolesPerNode) {
        systems.add(ActorSystem.create(Behaviors.empty(), systemName, nodeConfig(config, roles)));
      }
      var seed = Cluster.get(systems.get(0)).selfMember().address();
      for (ActorSystem<Void> s : systems) {
        Cluster.get(s).manager().tell(Join.create(seed));
      }
      cluster.awaitAllUp(Duration.ofSeconds(30));
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** The configuration one node of {@link #start} runs with. */
  public static Config nodeConfig(Config config, Set<String> roles) {
    Config defaults = ConfigFactory.parseString("""
        pekko {
          actor.provider = cluster
          fail-mixed-versions = off
          remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
          cluster {
            jmx.multi-mbeans-in-same-jvm = on
            downing-provider-class = "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider"
            split-brain-resolver { active-strategy = keep-majority, stable-after = 3s }
          }
          coordinated-shutdown.exit-jvm = off
          loglevel = WARNING
        }
        """);
    return ConfigFactory.empty()
        .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(List.copyOf(roles)))
        .withFallback(config)
        .withFallback(defaults)
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  public int size() {
    return systems.size();
  }

  /** Node {@code i}, in the order of {@code rolesPerNode}. */
  public ActorSystem<Void> system(int i) {
    return systems.get(i);
  }

  public List<ActorSystem<Void>> systems() {
    return Collections.unmodifiableList(systems);
  }

  /** Waits until every running node sees every running node {@code Up}. */
  public void awaitAllUp(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<String> notUp = new ArrayList<>();
      List<ActorSystem<Void>> live = systems.stream().filter(s -> !s.whenTerminated().isCompleted()).toList();
      for (ActorSystem<Void> s : live) {
        Cluster c = Cluster.get(s);
        long up = StreamSupport.stream(c.state().getMembers().spliterator(), false)
            .filter(m -> m.status() == MemberStatus.up()).count();
        if (c.selfMember().status() != MemberStatus.up() || up != live.size()) {
          notUp.add(c.selfMember().address() + " (" + c.selfMember().status() + ", sees " + up + " Up)");
        }
      }
      if (notUp.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("cluster nodes not Up within " + timeout + ": " + notUp);
      }
      sleep(100);
    }
  }

  /**
   * Makes {@code node} join the cluster of {@code seed} (its own address forms a new cluster) and waits until it is
   * {@code Up}, for nodes a test starts and stops itself outside a {@link LocalCluster}.
   */
  public static void joinAndAwaitUp(ActorSystem<?> node, Address seed, Duration timeout) {
    Cluster cluster = Cluster.get(node);
    cluster.manager().tell(Join.create(seed));
    long deadline = System.nanoTime() + timeout.toNanos();
    while (cluster.selfMember().status() != MemberStatus.up()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("node " + cluster.selfMember().address() + " not Up within " + timeout
            + " (" + cluster.selfMember().status() + ")");
      }
      sleep(50);
    }
  }

  /** Terminates node {@code i} (it leaves the cluster through coordinated shutdown) and waits for it. */
  public void stop(int i) {
    terminate(systems.get(i));
  }

  private static void terminate(ActorSystem<Void> s) {
    s.terminate();
    try {
      s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
      throw new IllegalStateException("node " + s.address() + " did not terminate within 30 s", e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Terminates every node, last first. */
  @Override
  public void close() {
    for (int i = systems.size() - 1; i >= 0; i--) {
      ActorSystem<Void> s = Objects.requireNonNull(systems.get(i));
      if (!s.whenTerminated().isCompleted()) {
        terminate(s);
      }
    }
  }
}
