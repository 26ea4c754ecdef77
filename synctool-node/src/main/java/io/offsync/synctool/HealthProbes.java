package io.offsync.synctool;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;

/**
 * Per actor system registry of the dependencies a node needs to be ready (ZooKeeper, the journal), read by
 * {@link SyncToolReadiness}. A node registers its probes when it has built the clients; until then the node is not
 * ready.
 */
public final class HealthProbes implements Extension {

  /** A named dependency check; it completes with false (or fails) when the dependency is not usable. */
  public record Probe(String name, Supplier<CompletionStage<Boolean>> check) {}

  public static final Id ID = new Id();

  private final List<Probe> probes = new CopyOnWriteArrayList<>();
  private volatile boolean registered;

  public static HealthProbes get(org.apache.pekko.actor.ActorSystem system) {
    return ID.get(system);
  }

  public void register(List<Probe> all) {
    probes.addAll(all);
    registered = true;
  }

  /** True when probes are registered and every one answers true. */
  public CompletionStage<Boolean> allReady() {
    if (!registered) {
      return CompletableFuture.completedFuture(false);
    }
    CompletableFuture<Boolean> result = CompletableFuture.completedFuture(true);
    for (Probe p : probes) {
      CompletableFuture<Boolean> one = p.check().get().toCompletableFuture().exceptionally(t -> false);
      result = result.thenCombine(one, Boolean::logicalAnd);
    }
    return result;
  }

  /** The extension id. */
  public static final class Id extends AbstractExtensionId<HealthProbes> implements ExtensionIdProvider {
    @Override
    public HealthProbes createExtension(ExtendedActorSystem system) {
      return new HealthProbes();
    }

    @Override
    public Id lookup() {
      return ID;
    }
  }
}
