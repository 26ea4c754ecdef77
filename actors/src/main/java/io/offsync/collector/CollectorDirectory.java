package io.offsync.collector;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Which machines have a live collector, from the cluster membership: a member that is up, reachable and has the
 * roles {@code collector} and {@code host:<H>}. Ask it before sending to a {@link Collector} entity: a machine
 * without a collector gets a clear refusal instead of a request that waits for a shard that cannot be placed.
 */
public final class CollectorDirectory {

  private static final String HOST_ROLE_PREFIX = "host:";

  private CollectorDirectory() {}

  /** The cluster role that marks a collector node of machine {@code host}. */
  public static String hostRole(String host) {
    return HOST_ROLE_PREFIX + host;
  }

  /** True when an up and reachable collector node of machine {@code host} is in the cluster. */
  public static boolean hasLiveCollector(ActorSystem<?> system, String host) {
    return !liveCollectors(system, host).isEmpty();
  }

  /** Up, reachable collector nodes of machine {@code host}, oldest (the active one) first. */
  public static List<Member> liveCollectors(ActorSystem<?> system, String host) {
    var state = Cluster.get(system).state();
    List<Member> found = new ArrayList<>();
    for (Member m : state.getMembers()) {
      if (m.status() == MemberStatus.up()
          && m.hasRole(Collector.ROLE)
          && m.hasRole(hostRole(host))
          && !state.getUnreachable().contains(m)) {
        found.add(m);
      }
    }
    found.sort(Member.ageOrdering());
    return found;
  }

  /** Machines with at least one live collector node. */
  public static List<String> machines(ActorSystem<?> system) {
    var state = Cluster.get(system).state();
    List<String> hosts = new ArrayList<>();
    for (Member m : state.getMembers()) {
      if (m.status() == MemberStatus.up() && m.hasRole(Collector.ROLE) && !state.getUnreachable().contains(m)) {
        m.getRoles().stream()
            .filter(r -> r.startsWith(HOST_ROLE_PREFIX))
            .map(r -> r.substring(HOST_ROLE_PREFIX.length()))
            .filter(h -> !hosts.contains(h))
            .forEach(hosts::add);
      }
    }
    return hosts;
  }

  /** The refusal for a machine without a live collector. */
  public static String refusal(String host) {
    return "no live collector on host " + host + ": start data_collector there (its endpoint's host must be "
        + "exactly '" + host + "', as the tablet writes it)";
  }
}
