package io.offsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusPageTest {

  @Test
  void readsFamiliesLabelsAndValues() {
    PrometheusPage page = PrometheusPage.parse("""
        # HELP rows_total Rows.
        # TYPE rows_total counter
        rows_total{db="d\\"q\\\\b\\nn",tid="1"} 5.0
        rows_total{db="e",tid="2",} 1.5E9
        # TYPE pause_seconds summary
        pause_seconds_count{gc="young"} 3.0
        pause_seconds_sum{gc="young"} 0.25
        # TYPE up gauge
        up NaN 1700000000000
        """);
    assertEquals("counter", page.type("rows_total"));
    assertEquals("Rows.", page.help("rows_total"));
    assertEquals(5.0, page.value("rows_total", Map.of("db", "d\"q\\b\nn", "tid", "1")));
    assertEquals(1.5e9, page.value("rows_total", Map.of("db", "e", "tid", "2")));
    assertEquals(1, page.samples("rows_total", Map.of("tid", "2")).size());
    assertEquals(3.0, page.value("pause_seconds_count", Map.of("gc", "young")));
    assertTrue(Double.isNaN(page.value("up", Map.of())));
    assertFalse(page.has("rows_total", Map.of("tid", "1")));
    assertThrows(AssertionError.class, () -> page.value("rows_total", Map.of("tid", "3")));
  }

  @Test
  void refusesWhatIsNotExpositionText() {
    assertThrows(IllegalArgumentException.class, () -> PrometheusPage.parse("rows_total 1\n"), "no TYPE");
    assertThrows(IllegalArgumentException.class, () -> PrometheusPage.parse(
        "# TYPE rows counter\nrows_total 1\n"), "a counter family's samples carry its name");
    assertThrows(IllegalArgumentException.class, () -> PrometheusPage.parse(
        "# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n"), "series twice");
    assertThrows(IllegalArgumentException.class, () -> PrometheusPage.parse(
        "# TYPE a gauge\na{x=1} 1\n"), "unquoted label");
    assertThrows(IllegalArgumentException.class, () -> PrometheusPage.parse(
        "# TYPE a gauge\na one\n"), "not a number");
    assertThrows(IllegalArgumentException.class, () -> PrometheusPage.parse(
        "# TYPE a meter\na 1\n"), "unknown type");
  }
}
