package io.offsync.iceberg;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code offsync.iceberg} configuration section (see reference.conf for meanings and defaults).
 *
 * @param catalogType {@code hadoop} (the table's metadata on the destination file system itself) or {@code rest}
 * @param uri the REST catalog's base URI; unused by the Hadoop catalog
 * @param catalogProperties further catalog properties, passed to Iceberg as they are (credentials, headers ...)
 * @param commitRetries how many times one commit is retried after an optimistic conflict with another writer
 * @param tableProperties properties of the tables offsync creates
 * @param expireSnapshotsAfter snapshots older than this are expired by the committing subtasks (their metadata
 *     and manifests deleted; data files stay, nothing is ever deleted from the table); zero = never
 * @param retainSnapshots the newest snapshots expiry always keeps, however old
 * @param maxOpenDataFiles a subtask writing a partitioned table keeps at most this many data files open at once
 *     (one per partition value of the current roll); beyond it the least recently written one is closed, and that
 *     partition's next row starts another data file of the same roll
 */
public record IcebergSettings(String catalogType, String uri, Map<String, String> catalogProperties,
    int commitRetries, Map<String, String> tableProperties, Duration expireSnapshotsAfter, int retainSnapshots,
    int maxOpenDataFiles) {

  /** The default of {@code max-open-data-files}. */
  public static final int MAX_OPEN_DATA_FILES = 32;

  public static final String HADOOP = "hadoop";
  public static final String REST = "rest";

  /**
   * Hadoop catalog, no extra properties, 100 commit retries, the table properties of reference.conf, snapshots
   * expired after 1 h keeping the newest 100.
   */
  public static final IcebergSettings DEFAULT = new IcebergSettings(HADOOP, "", Map.of(), 100, Map.of(
      "commit.retry.min-wait-ms", "10",
      "commit.retry.max-wait-ms", "2000",
      "write.metadata.delete-after-commit.enabled", "true",
      "write.metadata.previous-versions-max", "100"), Duration.ofHours(1), 100, MAX_OPEN_DATA_FILES);

  /** Settings with the default {@code max-open-data-files}. */
  public IcebergSettings(String catalogType, String uri, Map<String, String> catalogProperties, int commitRetries,
      Map<String, String> tableProperties, Duration expireSnapshotsAfter, int retainSnapshots) {
    this(catalogType, uri, catalogProperties, commitRetries, tableProperties, expireSnapshotsAfter, retainSnapshots,
        MAX_OPEN_DATA_FILES);
  }

  public IcebergSettings {
    catalogType = catalogType == null ? HADOOP : catalogType.trim().toLowerCase(Locale.ROOT);
    if (!catalogType.equals(HADOOP) && !catalogType.equals(REST)) {
      throw new IllegalArgumentException("offsync.iceberg.catalog-type must be hadoop or rest, got '" + catalogType
          + "'");
    }
    if (catalogType.equals(REST) && (uri == null || uri.isBlank())) {
      throw new IllegalArgumentException("the REST catalog needs offsync.iceberg.catalog-uri (e.g."
          + " http://catalog:8181/)");
    }
    if (expireSnapshotsAfter == null || expireSnapshotsAfter.isNegative()) {
      throw new IllegalArgumentException("offsync.iceberg.expire-snapshots-after must be a duration >= 0 (0 = never),"
          + " got " + expireSnapshotsAfter);
    }
    if (retainSnapshots < 1) {
      throw new IllegalArgumentException("offsync.iceberg.retain-snapshots must be >= 1, got " + retainSnapshots);
    }
    if (maxOpenDataFiles < 1) {
      throw new IllegalArgumentException("offsync.iceberg.max-open-data-files must be >= 1, got " + maxOpenDataFiles);
    }
    if (commitRetries < 0) {
      throw new IllegalArgumentException("offsync.iceberg.commit-retries must be >= 0, got " + commitRetries);
    }
    uri = uri == null ? "" : uri.trim();
    catalogProperties = Map.copyOf(catalogProperties);
    tableProperties = Map.copyOf(tableProperties);
  }

  public static IcebergSettings fromConfig(Config root) {
    Config c = root.getConfig("offsync.iceberg");
    return new IcebergSettings(c.getString("catalog-type"), c.getString("catalog-uri"),
        strings(c.getConfig("catalog-properties")), c.getInt("commit-retries"),
        strings(c.getConfig("table-properties")), c.getDuration("expire-snapshots-after"),
        c.getInt("retain-snapshots"), c.getInt("max-open-data-files"));
  }

  private static Map<String, String> strings(Config c) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
      out.put(unquote(e.getKey()), String.valueOf(e.getValue().unwrapped()));
    }
    return out;
  }

  private static String unquote(String key) {
    return key.replace("\"", "");
  }
}
