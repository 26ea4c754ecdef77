package io.offsync.health;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per actor system registry of what a node needs to serve (ZooKeeper, the journal, destination file systems, a
 * data directory), read by {@link ReadinessCheck} for Pekko Management's {@code /ready}. A node registers its
 * probes once it has built its clients; until then it is not ready.
 *
 * <p>{@link #allReady()} runs every probe, gives each at most {@code offsync.health.answer-within}, and either
 * completes with true or fails with a {@link NotReadyException} whose message lists every failing probe with its
 * reason: Pekko Management puts that message in the {@code /ready} response body. Whenever the set of failing
 * probes changes, the change is logged once (WARN with the reasons when not ready, INFO when ready again), not on
 * every poll. The node also checks itself every {@code offsync.health.self-check-interval}, so its log names a
 * failing dependency (a TLS mismatch with the cluster, a NameNode that refuses it) even when nothing polls
 * {@code /ready}.
 */
public final class HealthProbes implements Extension {

  /** A named dependency check: completes normally when the dependency is usable, exceptionally with why not. */
  public record Probe(String name, Supplier<? extends CompletionStage<?>> check) {

    /** A probe answered at once: usable when {@code ok} is true, otherwise not ready with {@code reason}. */
    public static Probe immediate(String name, BooleanSupplier ok, Supplier<String> reason) {
      return new Probe(name, () -> ok.getAsBoolean() ? CompletableFuture.completedFuture(null)
          : CompletableFuture.failedFuture(new NotReadyException(reason.get())));
    }
  }

  /** Why a node (or one of its dependencies) is not ready; the message is meant for an operator. */
  public static final class NotReadyException extends RuntimeException {
    public NotReadyException(String message) {
      super(message, null, false, false);
    }
  }

  public static final Id ID = new Id();

  private static final Logger log = LoggerFactory.getLogger(HealthProbes.class);

  private final ExtendedActorSystem system;
  private final Duration answerWithin;
  private final Duration selfCheck;
  private final List<Probe> probes = new CopyOnWriteArrayList<>();
  private final AtomicBoolean checking = new AtomicBoolean();
  private volatile boolean registered;
  private List<String> lastFailing;

  private HealthProbes(ExtendedActorSystem system) {
    this.system = system;
    this.answerWithin = system.settings().config().getDuration("offsync.health.answer-within");
    this.selfCheck = system.settings().config().getDuration("offsync.health.self-check-interval");
  }

  public static HealthProbes get(ActorSystem system) {
    return ID.get(system);
  }

  public static HealthProbes get(org.apache.pekko.actor.typed.ActorSystem<?> system) {
    return ID.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system));
  }

  /** Adds probes; the node counts as ready from now on when every probe answers. */
  public void register(List<Probe> all) {
    probes.addAll(all);
    registered = true;
    if (!selfCheck.isZero() && checking.compareAndSet(false, true)) {
      system.scheduler().scheduleWithFixedDelay(selfCheck, selfCheck, this::allReady, system.dispatcher());
    }
  }

  /** True when probes are registered and every one answers; otherwise fails with a {@link NotReadyException}. */
  public CompletionStage<Boolean> allReady() {
    if (!registered) {
      return CompletableFuture.failedFuture(new NotReadyException("starting: dependencies not probed yet"));
    }
    List<Probe> all = List.copyOf(probes);
    List<CompletableFuture<String>> answers = new ArrayList<>(all.size());
    for (Probe p : all) {
      answers.add(run(p).handle((ok, failure) -> failure == null ? null : p.name() + ": " + reason(failure)));
    }
    // completed directly (not thrown in a stage) so that Pekko Management sees the NotReadyException itself
    CompletableFuture<Boolean> result = new CompletableFuture<>();
    CompletableFuture.allOf(answers.toArray(new CompletableFuture<?>[0])).whenComplete((v, never) -> {
      List<String> names = new ArrayList<>();
      List<String> reasons = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        String reason = answers.get(i).join();
        if (reason != null) {
          names.add(all.get(i).name());
          reasons.add(reason);
        }
      }
      noteState(names, reasons);
      if (reasons.isEmpty()) {
        result.complete(true);
      } else {
        result.completeExceptionally(new NotReadyException("not ready: " + String.join("; ", reasons)));
      }
    });
    return result;
  }

  private CompletableFuture<?> run(Probe p) {
    try {
      // a copy: the probe may hand out a shared future, which the timeout must not complete
      return p.check().get().toCompletableFuture().copy()
          .orTimeout(answerWithin.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private String reason(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof TimeoutException) {
      return "no answer within " + answerWithin.toMillis() + " ms";
    }
    if (t instanceof NotReadyException) {
      return t.getMessage();
    }
    return t.getMessage() == null ? t.getClass().getName() : t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  private synchronized void noteState(List<String> failing, List<String> reasons) {
    if (Objects.equals(failing, lastFailing)) {
      return;
    }
    if (failing.isEmpty()) {
      log.info("/ready: ready, every dependency answers (probes: {})", all());
    } else {
      log.warn("/ready: not ready: {}", String.join("; ", reasons));
    }
    lastFailing = List.copyOf(failing);
  }

  private List<String> all() {
    return probes.stream().map(Probe::name).toList();
  }

  /** The extension id. */
  public static final class Id extends AbstractExtensionId<HealthProbes> implements ExtensionIdProvider {
    @Override
    public HealthProbes createExtension(ExtendedActorSystem system) {
      return new HealthProbes(system);
    }

    @Override
    public Id lookup() {
      return ID;
    }
  }
}
