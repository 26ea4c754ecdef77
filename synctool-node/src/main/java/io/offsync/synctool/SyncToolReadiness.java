package io.offsync.synctool;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;

/**
 * Pekko Management readiness check of a synctool node ({@code /ready}): ZooKeeper connected and the journal
 * answering. Cluster membership is checked by pekko-management-cluster-http's own readiness check.
 */
public final class SyncToolReadiness implements Supplier<CompletionStage<Boolean>> {

  private final ActorSystem system;

  public SyncToolReadiness(ActorSystem system) {
    this.system = system;
  }

  @Override
  public CompletionStage<Boolean> get() {
    return HealthProbes.get(system).allReady();
  }
}
