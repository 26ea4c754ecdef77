package io.offsync.collector.node;

import io.offsync.cluster.ClusterTls;
import io.offsync.security.BearerTokens;
import io.offsync.security.ServerTls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;

/**
 * The collector's flags: {@code conf/data_collector.flags} in gflags syntax ({@code --key=value} one per line,
 * {@code #} starts a comment, blank lines ignored), then {@code --key=value} command-line arguments, which win.
 *
 * <p>The original DataCollector's keys keep their meaning ({@code endpoint}, {@code zk_cluster}, {@code
 * zk_root_path}, {@code zk_session_timeout}, {@code zk_cert}, {@code collector_datadir}, {@code max_pack_size},
 * {@code hdd_root_path}, {@code ssd_root_path}); the keys offsync adds are documented in the shipped file. Keys
 * of the original that have no effect here are accepted with a warning so an old flags file still starts; any
 * other key is an error naming it.
 */
public final class DataCollectorFlags {

  /** Keys and their defaults. */
  static final Map<String, String> DEFAULTS = defaults();

  /** Keys of the original DataCollector that mean nothing to offsync (its brpc server, thread pools, timers). */
  static final Set<String> OBSOLETE = Set.of(
      "zk_keep_alive_check_interval", "zk_auth_schema", "task_thread_pool_size", "sync_task_long_interval_ms",
      "sync_task_short_interval_ms", "request_timeout_ms", "thread_pool_size", "socket_max_unwritten_bytes",
      "enable_status_service", "binlog_name_length", "binlog_enable_crc", "max_traverse_cnt", "openmldb_log_dir",
      "log_level", "role");

  private final Map<String, String> values;
  private final List<String> ignored;

  private DataCollectorFlags(Map<String, String> values, List<String> ignored) {
    this.values = values;
    this.ignored = ignored;
  }

  private static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("endpoint", "127.0.0.1:8888");
    d.put("zk_cluster", "127.0.0.1:2181");
    d.put("zk_root_path", "/openmldb");
    d.put("zk_session_timeout", "2000");
    d.put("zk_cert", "");
    d.put("collector_datadir", "/tmp/data_collector");
    d.put("max_pack_size", "1048576");
    d.put("hdd_root_path", "");
    d.put("ssd_root_path", "");
    d.put("http_bind_host", "");
    d.put("http_tls_keystore", "");
    d.put("http_tls_keystore_password", "");
    d.put("http_auth_token_file", "");
    d.put("http_auth_insecure", "false");
    d.put("management_port", "");
    d.put("cluster_host", "");
    d.put("cluster_port", "7790");
    d.put("cluster_seed_nodes", "");
    d.put("cluster_tls_keystore", "");
    d.put("cluster_tls_keystore_password", "");
    d.put("cluster_tls_truststore", "");
    d.put("cluster_tls_truststore_password", "");
    d.put("tail_poll_interval_ms", "100");
    d.put("heartbeat_interval_ms", "1000");
    d.put("link_retention_s", "3600");
    d.put("verify_crc", "true");
    return d;
  }

  /**
   * Reads the flags file (absent is allowed only when it is the default path) and applies {@code args}. An
   * argument {@code --flagfile=<path>} names another file.
   *
   * @throws IllegalArgumentException naming the file, line and key of anything malformed or unknown
   */
  public static DataCollectorFlags load(Path defaultFile, String... args) throws IOException {
    Path file = defaultFile;
    boolean explicit = false;
    List<String[]> cli = new ArrayList<>();
    for (String arg : args) {
      String[] kv = split(arg, "command line");
      if (kv[0].equals("flagfile")) {
        file = Path.of(kv[1]);
        explicit = true;
      } else {
        cli.add(kv);
      }
    }
    Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
    List<String> ignored = new ArrayList<>();
    if (Files.exists(file)) {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        put(values, ignored, split(line, file + ":" + (i + 1)), file + ":" + (i + 1));
      }
    } else if (explicit) {
      throw new IllegalArgumentException("flags file " + file.toAbsolutePath() + " does not exist");
    }
    for (String[] kv : cli) {
      put(values, ignored, kv, "command line");
    }
    return new DataCollectorFlags(values, ignored);
  }

  /** Flags from a map, for tests and embedding; same validation as the file. */
  public static DataCollectorFlags of(Map<String, String> flags) {
    Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
    List<String> ignored = new ArrayList<>();
    flags.forEach((k, v) -> put(values, ignored, new String[] {k, v}, "flags"));
    return new DataCollectorFlags(values, ignored);
  }

  private static String[] split(String token, String where) {
    String t = token.strip();
    if (!t.startsWith("--") || t.indexOf('=') < 3) {
      throw new IllegalArgumentException(where + ": expected --key=value, got '" + token + "'");
    }
    int eq = t.indexOf('=');
    return new String[] {t.substring(2, eq).strip(), t.substring(eq + 1).strip()};
  }

  private static void put(Map<String, String> values, List<String> ignored, String[] kv, String where) {
    if (OBSOLETE.contains(kv[0])) {
      ignored.add(kv[0]);
    } else if (DEFAULTS.containsKey(kv[0])) {
      values.put(kv[0], kv[1]);
    } else {
      throw new IllegalArgumentException(where + ": unknown flag '" + kv[0] + "'; known flags: "
          + String.join(", ", DEFAULTS.keySet()));
    }
  }

  /** Original keys given that offsync ignores (to be logged as a warning). */
  public List<String> ignored() {
    return List.copyOf(ignored);
  }

  public String get(String key) {
    String v = values.get(key);
    if (v == null) {
      throw new IllegalArgumentException("unknown flag '" + key + "'");
    }
    return v;
  }

  public String endpoint() {
    String e = get("endpoint");
    int colon = e.lastIndexOf(':');
    if (colon <= 0 || colon == e.length() - 1) {
      throw new IllegalArgumentException("flag endpoint must be <host>:<port> as tablets write it, got '" + e + "'");
    }
    port(e.substring(colon + 1), "endpoint");
    return e;
  }

  /** The machine's host string: the host part of {@code endpoint}, exactly as tablets write their endpoints. */
  public String host() {
    String e = endpoint();
    return e.substring(0, e.lastIndexOf(':'));
  }

  public int httpPort() {
    String e = endpoint();
    return port(e.substring(e.lastIndexOf(':') + 1), "endpoint");
  }

  /**
   * Port of Pekko Management ({@code /alive}, {@code /ready}, {@code /cluster/members}): {@code management_port},
   * empty = the endpoint's port + 1; 0 = no management server.
   */
  public int managementPort() {
    String v = get("management_port");
    if (v.isEmpty()) {
      int p = httpPort() + 1;
      if (p > 65535) {
        throw new IllegalArgumentException("flag management_port: the endpoint's port + 1 is " + p
            + ", not a port; set management_port (0 = no management server)");
      }
      return p;
    }
    return port(v, "management_port");
  }

  /** Address of the status page and the management port: {@code http_bind_host}, empty = the endpoint's host. */
  public String httpBindHost() {
    String h = get("http_bind_host");
    return h.isEmpty() ? host() : h;
  }

  /**
   * HTTPS of the status page and the management port ({@code http_tls_keystore}), or null for plain HTTP.
   *
   * @throws IllegalArgumentException naming the flag of a missing key store or a wrong password
   */
  public HttpsConnectionContext httpTls() {
    String keyStore = get("http_tls_keystore");
    if (keyStore.isEmpty()) {
      return null;
    }
    if (!Files.isRegularFile(Path.of(keyStore))) {
      throw new IllegalArgumentException("flag http_tls_keystore: '" + keyStore + "' is not a file: point it at the"
          + " PKCS#12 key store of the status page's certificate, or leave it empty for plain HTTP");
    }
    return ServerTls.https(Path.of(keyStore), get("http_tls_keystore_password"), "flag http_tls_keystore",
        "flag http_tls_keystore_password");
  }

  /**
   * The bearer token of {@code /status}, {@code /metrics}, {@code /cluster/*} and {@code /ready}'s reason
   * ({@code http_auth_token_file}); none when empty, which is refused on an {@code http_bind_host} that is not a
   * loopback address unless {@code http_auth_insecure=true}.
   *
   * @throws IllegalArgumentException naming the flag to set
   */
  public BearerTokens httpTokens() {
    String file = get("http_auth_token_file");
    if (!file.isEmpty()) {
      return BearerTokens.fromFiles(Path.of(file).toAbsolutePath(), "flag http_auth_token_file", null, null);
    }
    String bind = httpBindHost();
    boolean loopback = bind.equals("localhost") || bind.startsWith("127.") || bind.equals("::1");
    if (!loopback && !booleanValue("http_auth_insecure")) {
      throw new IllegalArgumentException("http_bind_host = " + bind + " would show this collector's streams,"
          + " metrics and cluster members to anyone who reaches ports " + httpPort() + " and " + managementPort()
          + ": set --http_auth_token_file (a bearer token; the synctool's read-only token serves), bind"
          + " --http_bind_host=127.0.0.1, or set --http_auth_insecure=true to allow it explicitly");
    }
    return BearerTokens.none();
  }

  public String clusterHost() {
    String h = get("cluster_host");
    return h.isEmpty() ? host() : h;
  }

  public int clusterPort() {
    return port(get("cluster_port"), "cluster_port");
  }

  /** Seed nodes as {@code host:port}; empty means this node starts a cluster of its own. */
  public List<String> seedNodes() {
    List<String> seeds = new ArrayList<>();
    for (String s : get("cluster_seed_nodes").split(",")) {
      String seed = s.strip();
      if (seed.isEmpty()) {
        continue;
      }
      int colon = seed.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("flag cluster_seed_nodes: '" + seed + "' is not <host>:<port>");
      }
      port(seed.substring(colon + 1), "cluster_seed_nodes");
      seeds.add(seed);
    }
    return seeds;
  }

  public long longValue(String key, long min) {
    String v = get(key);
    try {
      long n = Long.parseLong(v);
      if (n < min) {
        throw new IllegalArgumentException("flag " + key + " must be >= " + min + ", got " + v);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("flag " + key + " must be an integer, got '" + v + "'");
    }
  }

  /**
   * TLS between the nodes ({@code cluster_tls_*}): empty for plain TCP.
   *
   * @throws IllegalArgumentException naming the flag of a missing store or a wrong password
   */
  public Optional<ClusterTls> clusterTls() {
    return ClusterTls.of(get("cluster_tls_keystore"), get("cluster_tls_keystore_password"),
        get("cluster_tls_truststore"), get("cluster_tls_truststore_password"),
        List.of("flag cluster_tls_keystore", "flag cluster_tls_keystore_password", "flag cluster_tls_truststore",
            "flag cluster_tls_truststore_password"), "--cluster_tls_*");
  }

  public boolean booleanValue(String key) {
    String v = get(key);
    if (v.equalsIgnoreCase("true") || v.equals("1")) {
      return true;
    }
    if (v.equalsIgnoreCase("false") || v.equals("0")) {
      return false;
    }
    throw new IllegalArgumentException("flag " + key + " must be true or false, got '" + v + "'");
  }

  private static int port(String v, String key) {
    try {
      int p = Integer.parseInt(v);
      if (p < 0 || p > 65535) {
        throw new NumberFormatException();
      }
      return p;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("flag " + key + ": '" + v + "' is not a port number (0..65535)");
    }
  }
}
