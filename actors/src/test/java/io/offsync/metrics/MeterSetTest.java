package io.offsync.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

class MeterSetTest {

  record Part(int pid, long rows, long offset) {}

  @Test
  void followsTheSnapshotAndRemovesTheMetersOfWhatIsGone() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    MeterSet<Part> parts = MeterSet.<Part>builder(p -> Tags.of("pid", Integer.toString(p.pid())))
        .counter("test.rows", "Rows.", Part::rows)
        .gauge("test.offset", "Offset.", Part::offset)
        .register(registry);

    parts.update(List.of(new Part(0, 5, 100), new Part(1, 7, 200)));
    String page = registry.scrape();
    assertTrue(page.contains("# TYPE test_rows_total counter\n"), page);
    assertTrue(page.contains("test_rows_total{pid=\"0\"} 5.0\n"), page);
    assertTrue(page.contains("test_offset{pid=\"1\"} 200.0\n"), page);
    assertEquals(4, registry.getMeters().size());

    parts.update(List.of(new Part(1, 9, 250)));
    page = registry.scrape();
    assertTrue(page.contains("test_rows_total{pid=\"1\"} 9.0\n"), page);
    assertTrue(page.contains("test_offset{pid=\"1\"} 250.0\n"), page);
    assertFalse(page.contains("pid=\"0\""), page);
    assertEquals(2, registry.getMeters().size(), "the gone part's meters left the registry");
    assertEquals(1, parts.size());

    parts.update(List.of());
    assertTrue(registry.getMeters().isEmpty());
    assertFalse(registry.scrape().contains("test_"));
    registry.close();
  }
}
