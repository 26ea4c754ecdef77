package io.offsync.metrics;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The Prometheus metrics of one node (one per actor system): a Micrometer {@link PrometheusMeterRegistry} with the
 * JVM's memory, GC, thread, class-loader, processor and uptime meters bound, and the {@code GET /metrics} route
 * that serves it in the Prometheus text exposition format 0.0.4. Each node kind registers its domain meters on
 * {@link #registry()} (per-key meters through {@link MeterSet}).
 *
 * <p>Domain values that live elsewhere (journaled subtask progress, open streams) are read at scrape time: the
 * route first runs the node's refresh, then renders the registry. A refresh that fails answers HTTP 503 naming the
 * reason; nothing is served half-refreshed. The registry is closed when the actor system terminates.
 */
public final class NodeMetrics implements Extension {

  /** Prometheus text exposition format 0.0.4. */
  public static final ContentType CONTENT_TYPE = ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");

  private static final Id ID = new Id();

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  private NodeMetrics(ActorSystem<?> system) {
    new JvmMemoryMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    system.getWhenTerminated().thenRun(() -> {
      gc.close();
      registry.close();
    });
  }

  /** The metrics of {@code system}'s node (created with the JVM meters on first use). */
  public static NodeMetrics get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** Where a node registers its domain meters. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Every meter in the Prometheus text exposition format 0.0.4, as they are now (no refresh). */
  public String scrape() {
    return registry.scrape();
  }

  /**
   * {@code GET /metrics}: runs {@code refresh} (brings the node's domain meters up to date; a fresh stage per
   * request), then answers the scrape, or HTTP 503 with the reason when the refresh failed.
   */
  public Route route(Supplier<? extends CompletionStage<?>> refresh) {
    return path("metrics", () -> Directives.get(() -> onComplete(() -> refresh.get().thenApply(done -> scrape()),
        result -> result.isSuccess()
            ? complete(StatusCodes.OK, HttpEntities.create(CONTENT_TYPE, result.get().getBytes(StandardCharsets.UTF_8)))
            : complete(StatusCodes.SERVICE_UNAVAILABLE, HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8,
                "metrics unavailable: " + result.failed().get().getMessage() + "\n")))));
  }

  private static final class Id extends ExtensionId<NodeMetrics> {
    @Override
    public NodeMetrics createExtension(ActorSystem<?> system) {
      return new NodeMetrics(system);
    }
  }
}
