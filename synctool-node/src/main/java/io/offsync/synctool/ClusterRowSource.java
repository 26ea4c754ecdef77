package io.offsync.synctool;

import io.offsync.collector.Collector;
import io.offsync.collector.CollectorDirectory;
import io.offsync.collector.RowPack;
import io.offsync.sync.RowSource;
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
 * Rows from the collector entity of the partition leader's machine (Cluster Sharding proxy on synctool nodes):
 * {@link Collector.OpenStream} answered with a {@link SourceRef}. A machine without a live collector node is
 * refused at once with {@link CollectorDirectory#refusal}; a collector that does not answer within
 * {@code openTimeout} fails the open (the subtask retries with backoff).
 */
final class ClusterRowSource implements RowSource {

  private final ActorSystem<?> system;
  private final Duration openTimeout;

  ClusterRowSource(ActorSystem<?> system, Duration openTimeout) {
    this.system = system;
    this.openTimeout = openTimeout;
    Collector.init(system);
  }

  @Override
  public CompletionStage<Source<RowPack, NotUsed>> open(OpenRequest r) {
    Optional<String> refused = unavailable(r.host());
    if (refused.isPresent()) {
      return CompletableFuture.failedFuture(new IllegalStateException(refused.get()));
    }
    return ClusterSharding.get(system).entityRefFor(Collector.TYPE_KEY, r.host())
        .<SourceRef<RowPack>>askWithStatus(replyTo -> new Collector.OpenStream(r.tid(), r.pid(), r.mode(),
            r.startTs(), r.from(), r.tableInfo(), r.subtaskId(), replyTo), openTimeout)
        .thenApply(SourceRef::getSource);
  }

  @Override
  public Optional<String> unavailable(String host) {
    return CollectorDirectory.hasLiveCollector(system, host) ? Optional.empty()
        : Optional.of(CollectorDirectory.refusal(host));
  }
}
