package io.offsync.collector;

import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.dispatch.Futures;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;

/**
 * Places the shard of machine H (shard id = entity id = H) on a collector node of machine H only: a node whose
 * roles include {@code host:H}. Several such nodes: the oldest member wins, the others are standbys; when the
 * active node leaves, its shard is allocated anew and lands on the oldest remaining one. No such node: the
 * allocation fails (the coordinator retries) and callers should have asked {@link CollectorDirectory} first for a
 * clear refusal. Shards are never rebalanced away from a live node of their machine.
 */
final class HostShardAllocation extends ShardCoordinator.AbstractShardAllocationStrategy
    implements ShardCoordinator.ActorSystemDependentAllocationStrategy {

  private volatile Cluster cluster;

  @Override
  public void start(ActorSystem system) {
    cluster = Cluster.get(system);
  }

  @Override
  public Future<ActorRef> allocateShard(
      ActorRef requester, String shardId, Map<ActorRef, IndexedSeq<String>> currentShardAllocations) {
    Optional<ActorRef> region = currentShardAllocations.keySet().stream()
        .filter(r -> member(r).filter(m -> isOn(m, shardId)).isPresent())
        .min(Comparator.comparing(r -> member(r).orElseThrow(), Member.ageOrdering()));
    return region
        .map(Futures::successful)
        .orElseGet(() -> Futures.failed(new NoCollectorException(shardId)));
  }

  @Override
  public Future<Set<String>> rebalance(
      Map<ActorRef, IndexedSeq<String>> currentShardAllocations, Set<String> rebalanceInProgress) {
    return Futures.successful(Set.of());
  }

  /** The allocation of a machine's shard failed: no collector of that machine (logged without stack trace). */
  static final class NoCollectorException extends IllegalStateException {
    NoCollectorException(String host) {
      super(CollectorDirectory.refusal(host));
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  private Optional<Member> member(ActorRef region) {
    Address address = region.path().address().hasGlobalScope()
        ? region.path().address()
        : cluster.selfAddress();
    for (Member m : cluster.state().getMembers()) {
      if (m.address().equals(address)) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }

  private static boolean isOn(Member m, String host) {
    return (m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp())
        && m.hasRole(Collector.ROLE)
        && m.hasRole(CollectorDirectory.hostRole(host));
  }
}
