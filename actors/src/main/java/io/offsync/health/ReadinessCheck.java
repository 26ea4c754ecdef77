package io.offsync.health;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;

/**
 * Pekko Management readiness check ({@code /ready}) of every offsync node: the node's {@link HealthProbes}. When a
 * probe fails, the returned future fails with the reasons, which Pekko Management shows in the response body
 * ({@code Health Check Failed: ...}); cluster membership (this node Up) is checked by
 * pekko-management-cluster-http's own readiness check.
 */
public final class ReadinessCheck implements Supplier<CompletionStage<Boolean>> {

  private final ActorSystem system;

  public ReadinessCheck(ActorSystem system) {
    this.system = system;
  }

  @Override
  public CompletionStage<Boolean> get() {
    return HealthProbes.get(system).allReady();
  }
}
