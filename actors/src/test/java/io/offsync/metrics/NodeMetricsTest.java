package io.offsync.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Tags;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link NodeMetrics}' route on a real HTTP server: refresh per scrape, text 0.0.4 with JVM meters, 503. */
@ExtendWith(LogCapturingExtension.class)
class NodeMetricsTest {

  record Item(String name, long count) {}

  private static ActorTestKit kit;
  private static ServerBinding binding;
  private static final AtomicInteger refreshes = new AtomicInteger();
  private static final AtomicReference<List<Item>> items = new AtomicReference<>(List.of());
  private static final AtomicReference<RuntimeException> failure = new AtomicReference<>();

  @BeforeAll
  static void start() throws Exception {
    kit = ActorTestKit.create("NodeMetricsTest");
    NodeMetrics metrics = NodeMetrics.get(kit.system());
    assertSame(metrics, NodeMetrics.get(kit.system()), "one per actor system");
    MeterSet<Item> set = MeterSet.<Item>builder(i -> Tags.of("name", i.name()))
        .counter("test.items.seen", "Items seen.", Item::count).register(metrics.registry());
    binding = Http.get(kit.system()).newServerAt("127.0.0.1", 0).bind(metrics.route(() -> {
      refreshes.incrementAndGet();
      RuntimeException e = failure.get();
      return e != null ? CompletableFuture.failedFuture(e)
          : CompletableFuture.runAsync(() -> set.update(items.get()));
    })).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static HttpResponse<String> get() throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + binding.localAddress().getPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void refreshesOnEveryScrapeAndAnswers503WhenTheRefreshFails() throws Exception {
    items.set(List.of(new Item("a", 3)));
    int before = refreshes.get();
    HttpResponse<String> r = get();
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("text/plain; version=0.0.4; charset=UTF-8", r.headers().firstValue("Content-Type").orElseThrow());
    assertTrue(r.body().contains("# TYPE test_items_seen_total counter\ntest_items_seen_total{name=\"a\"} 3.0\n"),
        r.body());
    assertTrue(r.body().contains("# TYPE jvm_memory_used_bytes gauge\n"), r.body());
    assertTrue(r.body().contains("# TYPE jvm_threads_live_threads gauge\n"), r.body());
    assertTrue(r.body().contains("# TYPE jvm_gc_memory_allocated_bytes_total counter\n"), r.body());

    items.set(List.of(new Item("b", 4)));
    String next = get().body();
    assertTrue(next.contains("test_items_seen_total{name=\"b\"} 4.0\n") && !next.contains("name=\"a\""), next);
    assertEquals(before + 2, refreshes.get(), "one refresh per scrape");

    failure.set(new IllegalStateException("engine down"));
    try {
      HttpResponse<String> down = get();
      assertEquals(503, down.statusCode());
      assertEquals("metrics unavailable: engine down\n", down.body());
    } finally {
      failure.set(null);
    }
    assertEquals(200, get().statusCode());
  }
}
