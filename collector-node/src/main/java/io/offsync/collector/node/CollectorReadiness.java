package io.offsync.collector.node;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;

/**
 * Pekko Management readiness check of a collector node ({@code /ready}): ZooKeeper connected and this node's
 * registration present. Cluster membership (this node Up) is checked by pekko-management-cluster-http's own
 * readiness check. Until {@link CollectorNode} has set the ZooKeeper probe, the node is not ready.
 */
public final class CollectorReadiness implements Supplier<CompletionStage<Boolean>> {

  private final ActorSystem system;

  public CollectorReadiness(ActorSystem system) {
    this.system = system;
  }

  @Override
  public CompletionStage<Boolean> get() {
    BooleanSupplier zk = ZooKeeperProbe.ID.get(system).check;
    return CompletableFuture.completedFuture(zk != null && zk.getAsBoolean());
  }

  /** Holds the ZooKeeper check of the node's actor system. */
  static final class ZooKeeperProbe implements Extension {
    static final Id ID = new Id();
    volatile BooleanSupplier check;

    static final class Id extends AbstractExtensionId<ZooKeeperProbe> implements ExtensionIdProvider {
      @Override
      public ZooKeeperProbe createExtension(ExtendedActorSystem system) {
        return new ZooKeeperProbe();
      }

      @Override
      public Id lookup() {
        return ID;
      }
    }
  }
}
