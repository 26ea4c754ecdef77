package io.offsync.synctool;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.offsync.cluster.ClusterTls;
import io.offsync.iceberg.IcebergSettings;
import io.offsync.sink.PartitionBy;
import io.offsync.sync.JournalConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The settings of a synctool node, read from {@code conf/synctool.properties}.
 *
 * <p>The original SyncTool's keys keep their meaning where offsync has the same concept ({@code server.*},
 * {@code zookeeper.*}, {@code hadoop.conf.dir}, {@code sync_task.check_period}, {@code request.timeout}).
 * {@code sync_task.progress_path} is kept: offsync keeps progress in its journal, and by default that journal is
 * an H2 file database inside this directory. Keys of the original that configured parts offsync does not have
 * (brpc thread pools, the SQL SDK login, the unused Flink cache) are accepted and ignored, listed by
 * {@link #ignoredKeys()}. Any other key is refused with an error naming it, so a typo never silently falls
 * back to a default.
 *
 * <p>Every problem is reported as a {@link SettingsException} naming the key, the bad value and what is expected.
 */
public record SyncToolSettings(
    String serverHost,
    int serverPort,
    AdminSecurity adminSecurity,
    String zookeeperCluster,
    String zookeeperRootPath,
    String zookeeperCert,
    String hadoopConfDir,
    Kerberos kerberos,
    Duration checkPeriod,
    Duration requestTimeout,
    Path progressPath,
    String journalUrl,
    String journalUser,
    String journalPassword,
    String clusterHost,
    int clusterPort,
    List<String> seedNodes,
    Optional<ClusterTls> clusterTls,
    String managementHost,
    int managementPort,
    String defaultFormat,
    String defaultPartitionBy,
    long rollSizeBytes,
    Duration rollTime,
    Duration rollIdle,
    boolean lease,
    Set<String> ignoredKeys,
    String icebergCatalogType,
    String icebergCatalogUri) {

  /**
   * The Kerberos login of the destination ({@code hadoop.kerberos.*}); {@link #enabled()} when a principal is set.
   *
   * @param krb5Conf the krb5.conf to use, or null for the JVM's default
   */
  public record Kerberos(String principal, Path keytab, Path krb5Conf, Duration reloginCheck) {
    public boolean enabled() {
      return !principal.isEmpty();
    }
  }

  /**
   * Security of the admin port ({@code server.tls.*}, {@code server.auth.*}).
   *
   * @param keyStore PKCS#12 (or .jks) key store of the admin port's TLS certificate; null = plain HTTP
   * @param tokenFile file of the admin bearer token; null = no authentication
   * @param readTokenFile file of the read-only bearer token; null = none
   * @param insecure the operator allows an unauthenticated admin port on a non-loopback address
   */
  public record AdminSecurity(Path keyStore, String keyStorePassword, Path tokenFile, Path readTokenFile,
      boolean insecure) {}

  /** Name of the actor system of every offsync node (collectors and synctools form one cluster). */
  public static final String SYSTEM_NAME = "offsync";

  /** The original's keys that configured parts offsync does not have: accepted, logged, without effect. */
  public static final Set<String> LEGACY_KEYS =
      Set.of("server.worker_threads", "server.io_threads", "user", "password", "data.cache_path", "flink.slots");

  /** Every key this file may contain, with its default ({@code null} = required, "" = empty). */
  private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

  static {
    DEFAULTS.put("server.host", "0.0.0.0");
    DEFAULTS.put("server.port", "8848");
    DEFAULTS.put("server.tls.keystore", "");
    DEFAULTS.put("server.tls.keystore_password", "");
    DEFAULTS.put("server.auth.token_file", "");
    DEFAULTS.put("server.auth.read_token_file", "");
    DEFAULTS.put("server.auth.insecure", "false");
    DEFAULTS.put("zookeeper.cluster", null);
    DEFAULTS.put("zookeeper.root_path", null);
    DEFAULTS.put("zookeeper.cert", "");
    DEFAULTS.put("hadoop.conf.dir", "");
    DEFAULTS.put("hadoop.kerberos.principal", "");
    DEFAULTS.put("hadoop.kerberos.keytab", "");
    DEFAULTS.put("hadoop.kerberos.krb5_conf", "");
    DEFAULTS.put("hadoop.kerberos.relogin_check", "60");
    DEFAULTS.put("sync_task.check_period", "10");
    DEFAULTS.put("request.timeout", "5");
    DEFAULTS.put("sync_task.progress_path", "/tmp/sync_task_progress");
    DEFAULTS.put("journal.url", "");
    DEFAULTS.put("journal.user", "");
    DEFAULTS.put("journal.password", "");
    DEFAULTS.put("cluster.host", "");
    DEFAULTS.put("cluster.port", "2553");
    DEFAULTS.put("cluster.seed_nodes", "");
    DEFAULTS.put("cluster.tls.keystore", "");
    DEFAULTS.put("cluster.tls.keystore_password", "");
    DEFAULTS.put("cluster.tls.truststore", "");
    DEFAULTS.put("cluster.tls.truststore_password", "");
    DEFAULTS.put("management.host", "");
    DEFAULTS.put("management.port", "8849");
    DEFAULTS.put("sync_task.default_format", "parquet");
    DEFAULTS.put("sync_task.partition_by", "");
    DEFAULTS.put("sync_task.roll_size", "134217728");
    DEFAULTS.put("sync_task.roll_time", "60");
    DEFAULTS.put("sync_task.roll_idle", "10");
    DEFAULTS.put("sync_task.lease", "false");
    DEFAULTS.put("iceberg.catalog_type", "hadoop");
    DEFAULTS.put("iceberg.catalog_uri", "");
  }

  /** Thrown for a bad settings file; the message names the key and the fix. */
  public static final class SettingsException extends RuntimeException {
    public SettingsException(String message) {
      super(message);
    }
  }

  /** Every key a synctool.properties may hold (not counting {@link #LEGACY_KEYS}). */
  public static Set<String> knownKeys() {
    return DEFAULTS.keySet();
  }

  /** Reads and validates a properties file. */
  public static SyncToolSettings load(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new SettingsException("settings file " + file.toAbsolutePath() + " does not exist or is not a file");
    }
    Properties props = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      props.load(in);
    } catch (IOException | IllegalArgumentException e) {
      throw new SettingsException("cannot read settings file " + file.toAbsolutePath() + ": " + e.getMessage());
    }
    try {
      return parse(props, System.getenv("HADOOP_CONF_DIR"));
    } catch (SettingsException e) {
      throw new SettingsException(file + ": " + e.getMessage());
    }
  }

  /**
   * Validates properties.
   *
   * @param hadoopConfDirEnv the value of {@code HADOOP_CONF_DIR}, used when {@code hadoop.conf.dir} is unset
   */
  public static SyncToolSettings parse(Properties props, String hadoopConfDirEnv) {
    Set<String> ignored = new TreeSet<>();
    List<String> unknown = new ArrayList<>();
    for (String key : props.stringPropertyNames()) {
      if (LEGACY_KEYS.contains(key)) {
        if (!props.getProperty(key).isBlank()) {
          ignored.add(key); // left empty (as the shipped file has data.cache_path) is not worth a warning
        }
      } else if (!DEFAULTS.containsKey(key)) {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      unknown.sort(null);
      throw new SettingsException("unknown key" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
          + " (a typo? known keys: " + String.join(", ", DEFAULTS.keySet()) + ")");
    }
    Props r = new Props(props);
    String serverHost = r.text("server.host");
    int serverPort = r.port("server.port");
    AdminSecurity adminSecurity = adminSecurity(r);
    String zkCluster = r.text("zookeeper.cluster");
    String zkRoot = r.text("zookeeper.root_path");
    if (!zkRoot.startsWith("/") || (zkRoot.length() > 1 && zkRoot.endsWith("/"))) {
      throw new SettingsException("zookeeper.root_path = '" + zkRoot
          + "': expected an absolute ZooKeeper path without a trailing slash, like /openmldb");
    }
    String hadoopConfDir = r.text("hadoop.conf.dir");
    if (hadoopConfDir.isEmpty() && hadoopConfDirEnv != null) {
      hadoopConfDir = hadoopConfDirEnv.trim();
    }
    if (!hadoopConfDir.isEmpty() && !Files.isDirectory(Path.of(hadoopConfDir))) {
      throw new SettingsException("hadoop.conf.dir = '" + hadoopConfDir
          + "' is not a directory: point it at the directory holding core-site.xml and hdfs-site.xml"
          + " (or leave it and HADOOP_CONF_DIR empty to use the local file system)");
    }
    Kerberos kerberos = kerberos(r);
    Duration checkPeriod = r.seconds("sync_task.check_period");
    Duration requestTimeout = r.seconds("request.timeout");
    Path progressPath = Path.of(r.text("sync_task.progress_path")).toAbsolutePath().normalize();

    String journalUrl = r.text("journal.url");
    if (journalUrl.isEmpty()) {
      journalUrl = JournalConfig.h2Url(progressPath.resolve("journal"));
    } else if (!journalUrl.startsWith("jdbc:h2:") && !journalUrl.startsWith("jdbc:postgresql:")) {
      throw new SettingsException("journal.url = '" + journalUrl
          + "': expected jdbc:h2:file:<path> (single node) or jdbc:postgresql://<host>:<port>/<database>");
    } else {
      journalUrl = JournalConfig.durable(journalUrl);
    }
    String clusterHost = r.text("cluster.host");
    if (clusterHost.isEmpty()) {
      clusterHost = isWildcard(serverHost) ? "127.0.0.1" : serverHost;
    }
    int clusterPort = r.port("cluster.port");
    List<String> seeds = new ArrayList<>();
    for (String s : r.text("cluster.seed_nodes").split(",")) {
      String seed = s.trim();
      if (seed.isEmpty()) {
        continue;
      }
      int colon = seed.lastIndexOf(':');
      if (colon <= 0 || !seed.substring(colon + 1).matches("\\d{1,5}")) {
        throw new SettingsException("cluster.seed_nodes: '" + seed + "' is not host:port (the cluster.host and"
            + " cluster.port of a node to join)");
      }
      seeds.add(seed);
    }
    Optional<ClusterTls> tls;
    try {
      tls = ClusterTls.of(r.text("cluster.tls.keystore"), r.text("cluster.tls.keystore_password"),
          r.text("cluster.tls.truststore"), r.text("cluster.tls.truststore_password"),
          List.of("cluster.tls.keystore", "cluster.tls.keystore_password", "cluster.tls.truststore",
              "cluster.tls.truststore_password"), "cluster.tls.*");
    } catch (IllegalArgumentException e) {
      throw new SettingsException(e.getMessage());
    }
    String managementHost = r.text("management.host");
    if (managementHost.isEmpty()) {
      managementHost = clusterHost;
    }
    int managementPort = r.port("management.port");
    if (managementPort == serverPort || clusterPort == serverPort || clusterPort == managementPort) {
      throw new SettingsException("server.port, cluster.port and management.port must differ, got "
          + serverPort + ", " + clusterPort + ", " + managementPort);
    }
    String format = r.text("sync_task.default_format").toLowerCase(Locale.ROOT);
    if (!format.equals("parquet") && !format.equals("csv") && !format.equals("iceberg")) {
      throw new SettingsException("sync_task.default_format = '" + format + "': expected parquet, csv or iceberg");
    }
    String partitionBy = r.text("sync_task.partition_by");
    if (!partitionBy.isEmpty()) {
      try {
        partitionBy = PartitionBy.parse(partitionBy).toString();
      } catch (IllegalArgumentException e) {
        throw new SettingsException("sync_task.partition_by = '" + partitionBy + "': " + e.getMessage()
            + "; or leave it empty for unpartitioned output");
      }
    }
    String catalogType = r.text("iceberg.catalog_type").toLowerCase(Locale.ROOT);
    String catalogUri = r.text("iceberg.catalog_uri");
    try {
      new IcebergSettings(catalogType, catalogUri, Map.of(), 0, Map.of(), java.time.Duration.ZERO, 1);
    } catch (IllegalArgumentException e) {
      throw new SettingsException("iceberg.catalog_type = '" + catalogType + "', iceberg.catalog_uri = '"
          + catalogUri + "': expected catalog type hadoop, or rest with the catalog's URI");
    }
    long rollSize = r.positiveLong("sync_task.roll_size");
    String lease = r.text("sync_task.lease").toLowerCase(Locale.ROOT);
    if (!lease.equals("true") && !lease.equals("false")) {
      throw new SettingsException("sync_task.lease = '" + lease + "': expected true or false");
    }
    return new SyncToolSettings(serverHost, serverPort, adminSecurity, zkCluster, zkRoot, r.text("zookeeper.cert"),
        hadoopConfDir, kerberos, checkPeriod, requestTimeout, progressPath, journalUrl, r.text("journal.user"),
        r.text("journal.password"), clusterHost, clusterPort, List.copyOf(seeds), tls, managementHost,
        managementPort, format, partitionBy, rollSize, r.seconds("sync_task.roll_time"), r.seconds("sync_task.roll_idle"),
        lease.equals("true"), Set.copyOf(ignored), catalogType, catalogUri);
  }

  private static AdminSecurity adminSecurity(Props r) {
    String keyStore = r.text("server.tls.keystore");
    if (!keyStore.isEmpty() && !Files.isRegularFile(Path.of(keyStore))) {
      throw new SettingsException("server.tls.keystore = '" + keyStore + "' is not a file: point it at the PKCS#12"
          + " key store of the admin port's certificate, or leave it empty for plain HTTP");
    }
    String token = r.text("server.auth.token_file");
    String readToken = r.text("server.auth.read_token_file");
    if (token.isEmpty() && !readToken.isEmpty()) {
      throw new SettingsException("server.auth.read_token_file needs server.auth.token_file (the admin token)");
    }
    String insecure = r.text("server.auth.insecure").toLowerCase(Locale.ROOT);
    if (!insecure.equals("true") && !insecure.equals("false")) {
      throw new SettingsException("server.auth.insecure = '" + insecure + "': expected true or false");
    }
    return new AdminSecurity(keyStore.isEmpty() ? null : Path.of(keyStore).toAbsolutePath(),
        r.text("server.tls.keystore_password"), token.isEmpty() ? null : Path.of(token).toAbsolutePath(),
        readToken.isEmpty() ? null : Path.of(readToken).toAbsolutePath(), insecure.equals("true"));
  }

  /**
   * Refuses an admin or management port that anyone on the network could use: no {@code server.auth.token_file}
   * on a {@code server.host} or {@code management.host} that is not a loopback address, unless
   * {@code server.auth.insecure=true} says so.
   */
  public void checkAdminExposure() {
    if (adminSecurity.tokenFile() != null || adminSecurity.insecure()) {
      return;
    }
    if (!isLoopback(serverHost)) {
      throw new SettingsException("server.host = " + serverHost + " would let anyone who reaches port " + serverPort
          + " create and delete sync tasks: set server.auth.token_file (a bearer token the helper passes with"
          + " --token-file), bind server.host to 127.0.0.1, or set server.auth.insecure=true to allow it"
          + " explicitly (e.g. for OpenMLDB's synctool_helper.py, which sends no credentials)");
    }
    if (!isLoopback(managementHost)) {
      throw new SettingsException("management.host = " + managementHost + " would show this node's cluster members"
          + " and the state of its dependencies to anyone who reaches port " + managementPort + ": set"
          + " server.auth.token_file (management then asks for it or the read-only token, except the status code of"
          + " /alive and /ready), bind management.host to 127.0.0.1, or set server.auth.insecure=true to allow it");
    }
  }

  private static boolean isLoopback(String host) {
    return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
  }

  private static Kerberos kerberos(Props r) {
    String principal = r.text("hadoop.kerberos.principal");
    String keytab = r.text("hadoop.kerberos.keytab");
    if (principal.isEmpty() != keytab.isEmpty()) {
      throw new SettingsException("hadoop.kerberos.principal and hadoop.kerberos.keytab go together: set both (the"
          + " principal, e.g. offsync/host@REALM, and the keytab file holding its key) or neither");
    }
    if (!keytab.isEmpty() && !Files.isRegularFile(Path.of(keytab))) {
      throw new SettingsException("hadoop.kerberos.keytab = '" + keytab + "' is not a file: point it at the keytab"
          + " of " + principal);
    }
    String krb5 = r.text("hadoop.kerberos.krb5_conf");
    if (!krb5.isEmpty() && !Files.isRegularFile(Path.of(krb5))) {
      throw new SettingsException("hadoop.kerberos.krb5_conf = '" + krb5 + "' is not a file: point it at the"
          + " krb5.conf naming the realm and its KDCs, or leave it empty for the JVM's default (/etc/krb5.conf)");
    }
    return new Kerberos(principal, keytab.isEmpty() ? null : Path.of(keytab).toAbsolutePath(),
        krb5.isEmpty() ? null : Path.of(krb5).toAbsolutePath(), r.seconds("hadoop.kerberos.relogin_check"));
  }

  private static boolean isWildcard(String host) {
    return host.isEmpty() || host.equals("0.0.0.0") || host.equals("::");
  }

  /** The host:port other processes use to reach this node's server (the original's {@code des_endpoint}). */
  public String advertisedEndpoint() {
    return (isWildcard(serverHost) ? clusterHost : serverHost) + ":" + serverPort;
  }

  /** True when the journal is an H2 database (usable by one process only). */
  public boolean journalIsH2() {
    return journalUrl.startsWith("jdbc:h2:");
  }

  /** The journal user: {@code journal.user}, or "root" for an H2 journal when unset. */
  public String journalEffectiveUser() {
    return journalUser.isEmpty() && journalIsH2() ? "root" : journalUser;
  }

  /** The journal password: {@code journal.password}, or "root" for an H2 journal when neither is set. */
  public String journalEffectivePassword() {
    return journalUser.isEmpty() && journalPassword.isEmpty() && journalIsH2() ? "root" : journalPassword;
  }

  /**
   * Where progress lives, as shown in the original's {@code readableInfo} ({@code progressPath=...}): the journal
   * location without JDBC parameters (which would contain the {@code ;} and {@code =} the helper splits on).
   */
  public String journalLocation() {
    String s = journalUrl;
    if (s.startsWith("jdbc:h2:file:")) {
      s = s.substring("jdbc:h2:file:".length());
    }
    int cut = s.length();
    for (char c : new char[] {';', '?'}) {
      int i = s.indexOf(c);
      if (i >= 0) {
        cut = Math.min(cut, i);
      }
    }
    return s.substring(0, cut);
  }

  /**
   * The Pekko configuration of this node: cluster (role {@code synctool}), remoting, HTTP/2 for gRPC, management
   * and the JDBC journal, on top of {@code fallback} (normally {@code ConfigFactory.load()}).
   */
  public Config toPekkoConfig(Config fallback) {
    Config own = ConfigFactory.empty()
        .withValue("pekko.actor.provider", ConfigValueFactory.fromAnyRef("cluster"))
        .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(List.of("synctool")))
        .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(List.of()))
        .withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(clusterHost))
        .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(clusterPort))
        .withValue("pekko.http.server.enable-http2", ConfigValueFactory.fromAnyRef("on"))
        .withValue("pekko.management.http.hostname", ConfigValueFactory.fromAnyRef(managementHost))
        .withValue("pekko.management.http.port", ConfigValueFactory.fromAnyRef(managementPort))
        .withValue("pekko.fail-mixed-versions", ConfigValueFactory.fromAnyRef("off"))
        .withValue("offsync.sync.leader-check-interval", millis(checkPeriod))
        .withValue("offsync.sync.init-timeout", millis(checkPeriod.multipliedBy(3)))
        .withValue("offsync.sync.ask-timeout", millis(requestTimeout.multipliedBy(3)))
        .withValue("offsync.sync.open-timeout", millis(requestTimeout.multipliedBy(4)))
        .withValue("offsync.sync.lease.enabled", ConfigValueFactory.fromAnyRef(lease))
        .withValue("offsync.iceberg.catalog-type", ConfigValueFactory.fromAnyRef(icebergCatalogType))
        .withValue("offsync.iceberg.catalog-uri", ConfigValueFactory.fromAnyRef(icebergCatalogUri))
        .withValue("offsync.synctool.readiness.filesystem-timeout", millis(requestTimeout))
        .withFallback(JournalConfig.forUrl(journalUrl, journalEffectiveUser(), journalEffectivePassword()));
    if (clusterTls.isPresent()) {
      own = own.withFallback(clusterTls.get().artery());
    }
    return own.withFallback(ConfigFactory.parseResources("offsync-synctool.conf")).withFallback(fallback)
        .resolve();
  }

  /** cluster.seed_nodes as Pekko addresses; {@code ClusterMembership} tries them besides ZooKeeper's members. */
  public List<org.apache.pekko.actor.Address> seedAddresses() {
    List<org.apache.pekko.actor.Address> out = new ArrayList<>();
    for (String seed : seedNodes) {
      int colon = seed.lastIndexOf(':');
      out.add(new org.apache.pekko.actor.Address("pekko", SYSTEM_NAME, seed.substring(0, colon),
          Integer.parseInt(seed.substring(colon + 1))));
    }
    return out;
  }

  private static com.typesafe.config.ConfigValue millis(Duration d) {
    return ConfigValueFactory.fromAnyRef(d.toMillis() + " ms");
  }

  private record Props(Properties props) {
    String text(String key) {
      String v = props.getProperty(key);
      if (v == null || v.isBlank()) {
        String def = DEFAULTS.get(key);
        if (def == null) {
          throw new SettingsException(key + " is required (e.g. " + example(key) + ")");
        }
        return def;
      }
      return v.trim();
    }

    int port(String key) {
      String v = text(key);
      try {
        int p = Integer.parseInt(v);
        if (p >= 1 && p <= 65535) {
          return p;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new SettingsException(key + " = '" + v + "': expected a port number 1..65535");
    }

    long positiveLong(String key) {
      String v = text(key);
      try {
        long n = Long.parseLong(v);
        if (n > 0) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new SettingsException(key + " = '" + v + "': expected a positive whole number");
    }

    Duration seconds(String key) {
      String v = text(key);
      try {
        long n = Long.parseLong(v);
        if (n > 0) {
          return Duration.ofSeconds(n);
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new SettingsException(key + " = '" + v + "': expected a positive whole number of seconds");
    }

    private static String example(String key) {
      return switch (key) {
        case "zookeeper.cluster" -> "zookeeper.cluster=127.0.0.1:2181";
        case "zookeeper.root_path" -> "zookeeper.root_path=/openmldb";
        default -> key + "=...";
      };
    }
  }
}
