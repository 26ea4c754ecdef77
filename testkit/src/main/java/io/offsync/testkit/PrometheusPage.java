package io.offsync.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format 0.0.4, for tests that scrape a node's {@code /metrics}:
 * every sample must belong to a family declared by a {@code # TYPE} line before it (a counter's samples carry the
 * family name, a summary's or histogram's may add {@code _sum}, {@code _count}, {@code _bucket}), label values are
 * unescaped, and a series (name and labels) may appear once. Anything else fails the parse with the line named.
 */
public final class PrometheusPage {

  /** One sample line: metric name, labels (in page order) and value. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern SAMPLE = Pattern.compile(
      "(" + NAME.pattern() + ")(?:\\{(.*)})?[ \\t]+(\\S+)(?:[ \\t]+-?\\d+)?");
  private static final Pattern LABEL = Pattern.compile(
      "\\s*([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\[\\\\\"n])*)\"\\s*(,|$)");
  private static final Set<String> TYPES = Set.of("counter", "gauge", "summary", "histogram", "untyped");

  private final Map<String, String> types;
  private final Map<String, String> help;
  private final List<Sample> samples;

  private PrometheusPage(Map<String, String> types, Map<String, String> help, List<Sample> samples) {
    this.types = types;
    this.help = help;
    this.samples = samples;
  }

  /**
   * {@code GET http://127.0.0.1:<port>/metrics}, parsed; IllegalStateException when it is not HTTP 200 with
   * content type {@code text/plain; version=0.0.4; charset=UTF-8}.
   */
  public static PrometheusPage scrape(int port) throws IOException, InterruptedException {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    String type = r.headers().firstValue("Content-Type").orElse("");
    if (r.statusCode() != 200 || !type.equals("text/plain; version=0.0.4; charset=UTF-8")) {
      throw new IllegalStateException("/metrics on port " + port + " answered " + r.statusCode() + " " + type
          + ": " + r.body());
    }
    return parse(r.body());
  }

  /** Parses {@code text}; IllegalArgumentException naming the line when it is not valid exposition text. */
  public static PrometheusPage parse(String text) {
    Map<String, String> types = new LinkedHashMap<>();
    Map<String, String> help = new HashMap<>();
    List<Sample> samples = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    int n = 0;
    for (String line : text.split("\n", -1)) {
      n++;
      if (line.isBlank()) {
        continue;
      }
      if (line.startsWith("# TYPE ") || line.startsWith("# HELP ")) {
        String[] parts = line.substring(7).split(" ", 2);
        if (!NAME.matcher(parts[0]).matches() || parts.length < 2) {
          throw bad(n, line, "malformed " + line.substring(2, 6) + " line");
        }
        if (line.startsWith("# TYPE ")) {
          if (!TYPES.contains(parts[1]) || types.put(parts[0], parts[1]) != null) {
            throw bad(n, line, "unknown type or family declared twice");
          }
        } else {
          help.put(parts[0], parts[1]);
        }
        continue;
      }
      if (line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      if (!m.matches()) {
        throw bad(n, line, "not a sample line");
      }
      String name = m.group(1);
      if (family(name, types) == null) {
        throw bad(n, line, "sample of no family declared by a # TYPE line before it");
      }
      Map<String, String> labels = labels(m.group(2) == null ? "" : m.group(2), n, line);
      double value;
      try {
        value = switch (m.group(3)) {
          case "+Inf" -> Double.POSITIVE_INFINITY;
          case "-Inf" -> Double.NEGATIVE_INFINITY;
          default -> Double.parseDouble(m.group(3));
        };
      } catch (NumberFormatException e) {
        throw bad(n, line, "value is not a number");
      }
      if (!seen.add(name + labels)) {
        throw bad(n, line, "series appears twice");
      }
      samples.add(new Sample(name, labels, value));
    }
    return new PrometheusPage(types, help, samples);
  }

  /** The declared type of family {@code name} (e.g. {@code offsync_x_total} for a counter), null when absent. */
  public String type(String name) {
    return types.get(name);
  }

  /** The HELP text of family {@code name}, null when absent. */
  public String help(String name) {
    return help.get(name);
  }

  /** Every sample named {@code name}, in page order. */
  public List<Sample> samples(String name) {
    return samples.stream().filter(s -> s.name().equals(name)).toList();
  }

  /** The samples named {@code name} whose labels include every entry of {@code labels}. */
  public List<Sample> samples(String name, Map<String, String> labels) {
    return samples(name).stream().filter(s -> s.labels().entrySet().containsAll(labels.entrySet())).toList();
  }

  /** The value of the one series {@code name} with exactly {@code labels}; AssertionError when absent. */
  public double value(String name, Map<String, String> labels) {
    return samples(name).stream().filter(s -> s.labels().equals(labels)).findFirst()
        .orElseThrow(() -> new AssertionError("no series " + name + labels + " on the page")).value();
  }

  /** True when the page has the series {@code name} with exactly {@code labels}. */
  public boolean has(String name, Map<String, String> labels) {
    return samples(name).stream().anyMatch(s -> s.labels().equals(labels));
  }

  private static String family(String sample, Map<String, String> types) {
    if (types.containsKey(sample)) {
      return sample;
    }
    for (String suffix : List.of("_sum", "_count", "_bucket")) {
      if (sample.endsWith(suffix)) {
        String base = sample.substring(0, sample.length() - suffix.length());
        String type = types.get(base);
        if ("summary".equals(type) || "histogram".equals(type)) {
          return base;
        }
      }
    }
    return null;
  }

  private static Map<String, String> labels(String text, int n, String line) {
    Map<String, String> labels = new LinkedHashMap<>();
    Matcher m = LABEL.matcher(text);
    int at = 0;
    while (at < text.length()) {
      if (!m.find(at) || m.start() != at) {
        throw bad(n, line, "malformed labels");
      }
      String value = m.group(2).replace("\\\\", "\u0000").replace("\\\"", "\"").replace("\\n", "\n")
          .replace("\u0000", "\\");
      if (labels.put(m.group(1), value) != null) {
        throw bad(n, line, "label " + m.group(1) + " twice");
      }
      at = m.end();
    }
    return labels;
  }

  private static IllegalArgumentException bad(int n, String line, String what) {
    return new IllegalArgumentException("line " + n + " of the metrics page: " + what + ": " + line);
  }
}
