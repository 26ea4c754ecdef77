package io.offsync.sync;

import io.offsync.collector.Collector;
import io.offsync.collector.CollectorDirectory;
import io.offsync.collector.RowPack;
import io.offsync.protocol.position.Position;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Opens partition streams at the collector entity of the leader's machine (Cluster Sharding, entity id = host).
 * A machine without a live collector is refused at once with {@link CollectorDirectory#refusal}.
 */
public final class CollectorRowSource implements RowSource {

  private final ActorSystem<?> system;
  private final Duration timeout;

  /** Also initializes the collector sharding on this node (a proxy on nodes without role {@code collector}). */
  public CollectorRowSource(ActorSystem<?> system, Duration timeout) {
    this.system = system;
    this.timeout = timeout;
    Collector.init(system);
  }

  @Override
  public void release(String host, int tid, int pid, String subtaskId, Position upTo) {
    if (!host.isEmpty()) {
      ClusterSharding.get(system).entityRefFor(Collector.TYPE_KEY, host)
          .tell(new Collector.Release(tid, pid, subtaskId, upTo));
    }
  }

  @Override
  public Optional<String> unavailable(String host) {
    return CollectorDirectory.hasLiveCollector(system, host)
        ? Optional.empty() : Optional.of(CollectorDirectory.refusal(host));
  }

  @Override
  public CompletionStage<Source<RowPack, NotUsed>> open(OpenRequest r) {
    Optional<String> refused = unavailable(r.host());
    if (refused.isPresent()) {
      return CompletableFuture.failedFuture(new IllegalStateException(refused.get()));
    }
    CompletionStage<SourceRef<RowPack>> ref = ClusterSharding.get(system)
        .entityRefFor(Collector.TYPE_KEY, r.host())
        .askWithStatus(
            replyTo -> new Collector.OpenStream(r.tid(), r.pid(), r.mode(), r.startTs(), r.from(), r.tableInfo(),
                r.subtaskId(), replyTo),
            timeout);
    return ref.thenApply(SourceRef::getSource);
  }
}
