package io.offsync.synctool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyncToolSettingsTest {

  @TempDir Path dir;

  private static Properties props(String... kv) {
    Properties p = new Properties();
    p.setProperty("zookeeper.cluster", "127.0.0.1:2181");
    p.setProperty("zookeeper.root_path", "/openmldb");
    for (int i = 0; i < kv.length; i += 2) {
      p.setProperty(kv[i], kv[i + 1]);
    }
    return p;
  }

  private static String error(Properties p) {
    return assertThrows(SyncToolSettings.SettingsException.class, () -> SyncToolSettings.parse(p, null))
        .getMessage();
  }

  @Test
  void defaultsMatchTheOriginalAndTheShippedFile() {
    SyncToolSettings s = SyncToolSettings.parse(props(), null);
    assertEquals("0.0.0.0", s.serverHost());
    assertEquals(8848, s.serverPort());
    assertEquals(Duration.ofSeconds(10), s.checkPeriod());
    assertEquals(Duration.ofSeconds(5), s.requestTimeout());
    assertEquals(Path.of("/tmp/sync_task_progress"), s.progressPath());
    assertEquals("jdbc:h2:file:/tmp/sync_task_progress/journal;DATABASE_TO_UPPER=false;WRITE_DELAY=0", s.journalUrl());
    assertEquals("/tmp/sync_task_progress/journal", s.journalLocation());
    assertEquals("127.0.0.1", s.clusterHost());
    assertEquals("127.0.0.1:8848", s.advertisedEndpoint());
    assertEquals("parquet", s.defaultFormat());
    assertEquals("", s.defaultPartitionBy());
    assertEquals("ts:hour", SyncToolSettings.parse(props("sync_task.partition_by", "ts : HOUR"), null)
        .defaultPartitionBy());
    assertEquals(128L << 20, s.rollSizeBytes());
    assertEquals(Duration.ofSeconds(60), s.rollTime());
    assertEquals(List.of(), s.seedNodes());
  }

  @Test
  void shippedFileDocumentsEveryKeyWithItsDefault() throws IOException {
    Path shipped = Path.of("..", "conf", "synctool.properties");
    SyncToolSettings s = SyncToolSettings.load(shipped);
    assertEquals(8848, s.serverPort());
    String text = Files.readString(shipped);
    Set<String> keys = new TreeSet<>();
    Matcher m = Pattern.compile("(?m)^([a-z0-9_.]+)=").matcher(text);
    while (m.find()) {
      keys.add(m.group(1));
    }
    for (String key : HELPER_READS) {
      assertTrue(keys.contains(key), "OpenMLDB's synctool_helper.py tool-status reads " + key);
    }
    keys.removeAll(SyncToolSettings.LEGACY_KEYS);
    assertEquals(new TreeSet<>(SyncToolSettings.knownKeys()), keys, "every key appears in the shipped file");
    for (String key : SyncToolSettings.knownKeys()) {
      int at = text.indexOf("\n" + key + "=");
      String before = text.substring(Math.max(0, text.lastIndexOf("\n\n", at)), at);
      assertTrue(before.contains("Default") || before.contains("Required") || before.contains("Default port"),
          "comment above " + key + " states its default");
    }
  }

  /** The keys OpenMLDB's tools/synctool_helper.py tool-status reads unconditionally (a missing one: KeyError). */
  static final List<String> HELPER_READS =
      List.of("server.host", "server.port", "sync_task.progress_path", "data.cache_path");

  @Test
  void theQuickstartsConfCarriesEveryKeyTheOriginalHelperReads() throws IOException {
    String script = Files.readString(Path.of("..", "bin", "quickstart.sh"));
    int start = script.indexOf("cat >\"$run/synctool/conf/synctool.properties\" <<EOF");
    assertTrue(start >= 0, "the quickstart writes its synctool.properties");
    String conf = script.substring(start, script.indexOf("\nEOF\n", start));
    for (String key : HELPER_READS) {
      assertTrue(conf.contains("\n" + key + "="), "the quickstart's conf has " + key + ":\n" + conf);
    }
  }

  @Test
  void unknownKeyIsNamed() {
    String msg = error(props("sync_task.chek_period", "3"));
    assertTrue(msg.contains("unknown key sync_task.chek_period"), msg);
  }

  @Test
  void originalKeysWithoutMeaningAreAcceptedAndListed() {
    SyncToolSettings s = SyncToolSettings.parse(props("data.cache_path", "/tmp/data_cache", "flink.slots", "32",
        "server.worker_threads", "16", "user", "root", "password", ""), null);
    assertEquals(Set.of("data.cache_path", "flink.slots", "server.worker_threads", "user"), s.ignoredKeys(),
        "an empty one (password) configures nothing and is not listed");
  }

  @Test
  void requiredAndMalformedValuesAreNamed() {
    Properties p = new Properties();
    p.setProperty("zookeeper.root_path", "/openmldb");
    assertTrue(error(p).contains("zookeeper.cluster is required"));
    assertTrue(error(props("server.port", "88a")).contains("server.port = '88a': expected a port number"));
    assertTrue(error(props("server.port", "70000")).contains("server.port"));
    assertTrue(error(props("sync_task.check_period", "-1")).contains("sync_task.check_period"));
    assertTrue(error(props("zookeeper.root_path", "openmldb")).contains("zookeeper.root_path"));
    assertTrue(error(props("journal.url", "jdbc:mysql://x/y")).contains("journal.url"));
    assertTrue(error(props("cluster.seed_nodes", "host-without-port")).contains("cluster.seed_nodes"));
    assertTrue(error(props("sync_task.default_format", "orc")).contains("expected parquet, csv or iceberg"));
    assertTrue(error(props("sync_task.partition_by", "ts:week")).contains("sync_task.partition_by = 'ts:week':"
        + " partition by 'ts:week': unknown time unit 'week', use hour, day or month"));
    assertTrue(error(props("management.port", "8848")).contains("must differ"));
    assertTrue(error(props("iceberg.catalog_type", "hive")).contains("iceberg.catalog_type = 'hive'"));
    assertTrue(error(props("iceberg.catalog_type", "rest")).contains("rest with the catalog's URI"));
    assertTrue(error(props("hadoop.conf.dir", dir.resolve("nope").toString())).contains("hadoop.conf.dir"));
  }

  @Test
  void icebergDefaultFormatAndCatalogReachTheNodeConfig() {
    SyncToolSettings s = SyncToolSettings.parse(props("sync_task.default_format", "Iceberg",
        "iceberg.catalog_type", "rest", "iceberg.catalog_uri", "http://127.0.0.1:8181/"), null);
    assertEquals("iceberg", s.defaultFormat());
    Config c = s.toPekkoConfig(ConfigFactory.empty());
    assertEquals("rest", c.getString("offsync.iceberg.catalog-type"));
    assertEquals("http://127.0.0.1:8181/", c.getString("offsync.iceberg.catalog-uri"));
    assertEquals("hadoop", SyncToolSettings.parse(props(), null).toPekkoConfig(ConfigFactory.empty())
        .getString("offsync.iceberg.catalog-type"));
  }

  @Test
  void hadoopConfDirFallsBackToTheEnvironment() {
    assertEquals(dir.toString(), SyncToolSettings.parse(props(), dir.toString()).hadoopConfDir());
    assertEquals("", SyncToolSettings.parse(props(), null).hadoopConfDir());
  }

  @Test
  void pekkoConfigCarriesClusterJournalAndManagement() {
    SyncToolSettings s = SyncToolSettings.parse(props("server.host", "10.1.2.3", "cluster.port", "25530",
        "cluster.seed_nodes", "10.1.2.4:2553, 10.1.2.5:2553", "management.port", "18849",
        "journal.url", "jdbc:postgresql://db:5432/offsync?ssl=false", "journal.user", "u",
        "journal.password", "p"), null);
    Config c = s.toPekkoConfig(ConfigFactory.empty());
    assertEquals(List.of("synctool"), c.getStringList("pekko.cluster.roles"));
    // the node joins through ClusterMembership (ZooKeeper's members and these), not Pekko's seed nodes
    assertEquals(List.of(), c.getStringList("pekko.cluster.seed-nodes"));
    assertEquals(List.of("pekko://offsync@10.1.2.4:2553", "pekko://offsync@10.1.2.5:2553"),
        s.seedAddresses().stream().map(Object::toString).toList());
    assertEquals("10.1.2.3", c.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals(25530, c.getInt("pekko.remote.artery.canonical.port"));
    assertEquals(18849, c.getInt("pekko.management.http.port"));
    assertEquals("on", c.getString("pekko.http.server.enable-http2"));
    assertEquals("slick.jdbc.PostgresProfile$", c.getString("jdbc-journal.slick.profile"));
    assertEquals("jdbc:postgresql://db:5432/offsync?ssl=false", c.getString("jdbc-journal.slick.db.url"));
    assertEquals("u", c.getString("jdbc-snapshot-store.slick.db.user"));
    assertEquals("jdbc:postgresql://db:5432/offsync", s.journalLocation());
    assertEquals(10_000, c.getDuration("offsync.sync.leader-check-interval").toMillis());
    assertEquals(30_000, c.getDuration("offsync.sync.init-timeout").toMillis());
    assertEquals(15_000, c.getDuration("offsync.sync.ask-timeout").toMillis());
    assertEquals(20_000, c.getDuration("offsync.sync.open-timeout").toMillis());
    assertFalse(c.getBoolean("offsync.sync.lease.enabled"), "fencing lease off by default");
  }

  @Test
  void theLeaseCanBeSwitchedOn() {
    Config on = SyncToolSettings.parse(props("sync_task.lease", "true"), null).toPekkoConfig(ConfigFactory.empty());
    assertTrue(on.getBoolean("offsync.sync.lease.enabled"));
    assertTrue(error(props("sync_task.lease", "maybe")).contains("sync_task.lease = 'maybe': expected true or false"));
  }
}
