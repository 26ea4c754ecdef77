package io.offsync.sync;

import io.offsync.serialization.CborSerializable;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.PartitionBy;
import io.offsync.sink.RollPolicy;
import java.util.Optional;

/**
 * What a user asks to sync: one table, a mode, a destination.
 *
 * @param db the OpenMLDB database
 * @param table the table name
 * @param mode 0 = full (snapshot + binlog to its end, then done), 1 = incremental from {@code startTs} (rows with
 *     ts &lt; startTs skipped, runs forever), 2 = full and continuous (snapshot, then tail the binlog forever)
 * @param startTs epoch milliseconds, used by mode 1 only
 * @param dest destination directory, any Hadoop FileSystem URI ({@code hdfs://nn:8020/path}, {@code file:///path})
 * @param format part file format
 * @param roll when part files roll
 * @param partitionBy the time partitioning of the output; null = none (journals written before it existed read as
 *     none)
 */
public record TaskSpec(String db, String table, int mode, long startTs, String dest, OutputFormat format,
    RollPolicy roll, PartitionBy partitionBy) implements CborSerializable {

  public static final int MODE_FULL = 0;
  public static final int MODE_INCREMENTAL_BY_TIMESTAMP = 1;
  public static final int MODE_FULL_AND_CONTINUOUS = 2;

  /** An unpartitioned task. */
  public TaskSpec(String db, String table, int mode, long startTs, String dest, OutputFormat format,
      RollPolicy roll) {
    this(db, table, mode, startTs, dest, format, roll, null);
  }

  /** The same task partitioned by {@code by} (null = unpartitioned). */
  public TaskSpec withPartitionBy(PartitionBy by) {
    return new TaskSpec(db, table, mode, startTs, dest, format, roll, by);
  }

  /** The time partitioning of the output, if any. */
  public Optional<PartitionBy> partitioning() {
    return Optional.ofNullable(partitionBy);
  }

  /** The task's identity: {@code db.table}. */
  public String key() {
    return key(db, table);
  }

  public static String key(String db, String table) {
    return db + "." + table;
  }

  /** Refuses incomplete or invalid specs with a message naming the field and the accepted values. */
  public TaskSpec validate() {
    if (db == null || db.isBlank() || table == null || table.isBlank()) {
      throw new IllegalArgumentException("the table is required as db.table (got db '" + db + "', table '" + table
          + "')");
    }
    if (mode < MODE_FULL || mode > MODE_FULL_AND_CONTINUOUS) {
      throw new IllegalArgumentException("mode must be 0 (full), 1 (incremental by timestamp) or 2 (full and"
          + " continuous), got " + mode);
    }
    if (mode == MODE_INCREMENTAL_BY_TIMESTAMP && startTs < 0) {
      throw new IllegalArgumentException("mode 1 needs a start timestamp (epoch ms) >= 0, got " + startTs);
    }
    if (dest == null || dest.isBlank()) {
      throw new IllegalArgumentException("the destination directory is required (e.g. hdfs://namenode:8020/path"
          + " or file:///path)");
    }
    if (format == null) {
      throw new IllegalArgumentException("the output format is required: parquet, csv or iceberg");
    }
    if (roll == null) {
      throw new IllegalArgumentException("the roll policy is required");
    }
    return this;
  }

  /** The start timestamp the collector applies: {@code startTs} in mode 1, 0 (no filter) otherwise. */
  public long effectiveStartTs() {
    return mode == MODE_INCREMENTAL_BY_TIMESTAMP ? startTs : 0;
  }
}
