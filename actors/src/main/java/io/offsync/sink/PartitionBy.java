package io.offsync.sink;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.ColumnType;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How a task partitions its output by time: {@code --partition-by COLUMN[:hour|day|month]}. Files go to Hive-style
 * directories {@code <dest>/<column>_<transform>=<value>/}; an Iceberg table gets the partition spec
 * {@code <transform>(<column>)}, whose partition field Iceberg names {@code <column>_<transform>} as well.
 *
 * <p>The column is a {@code timestamp}, a {@code bigint} holding epoch milliseconds (as OpenMLDB's ts columns
 * commonly do) or a {@code date} (day and month only). Values are taken in UTC, as Iceberg's transforms do:
 * hour {@code 2026-12-04-13}, day {@code 2026-12-04}, month {@code 2026-12} (Iceberg's human strings, which sort as
 * time does; Spark's partition discovery reads the day as a date, the others as strings). A null value goes to
 * {@link #NULL_VALUE}, which Hive and Spark read back as null. The directory is not named after the column
 * itself: Spark gives a partition column that shares a name with a data column the directory's value, which would
 * turn every {@code ts} into its day.
 *
 * @param column the partitioning column of the table
 * @param transform the time unit of a partition
 */
public record PartitionBy(String column, Transform transform) {

  /** Hive's and Spark's directory value of a null partition value. */
  public static final String NULL_VALUE = "__HIVE_DEFAULT_PARTITION__";

  private static final Set<ColumnType> MILLIS = Set.of(ColumnType.TIMESTAMP, ColumnType.BIGINT);

  /** A partition's time unit; the names are Iceberg's transform names. */
  public enum Transform {
    HOUR("hour", DateTimeFormatter.ofPattern("uuuu-MM-dd-HH", Locale.ROOT)),
    DAY("day", DateTimeFormatter.ofPattern("uuuu-MM-dd", Locale.ROOT)),
    MONTH("month", DateTimeFormatter.ofPattern("uuuu-MM", Locale.ROOT));

    private final String label;
    private final DateTimeFormatter format;

    Transform(String label, DateTimeFormatter format) {
      this.label = label;
      this.format = format.withZone(ZoneOffset.UTC);
    }

    /** {@code hour}, {@code day} or {@code month}: the name in {@code --partition-by} and Iceberg's transform. */
    public String label() {
      return label;
    }

    static Transform parse(String name, String spec) {
      for (Transform t : values()) {
        if (t.label.equals(name.trim().toLowerCase(Locale.ROOT))) {
          return t;
        }
      }
      throw new IllegalArgumentException("partition by '" + spec + "': unknown time unit '" + name
          + "', use hour, day or month (COLUMN[:hour|day|month], day when omitted)");
    }
  }

  public PartitionBy {
    if (column == null || column.isBlank()) {
      throw new IllegalArgumentException("partition by: the column is required (COLUMN[:hour|day|month])");
    }
    if (transform == null) {
      throw new IllegalArgumentException("partition by '" + column + "': the time unit is required (hour, day or"
          + " month)");
    }
  }

  /**
   * Parses {@code COLUMN[:hour|day|month]} (day when the unit is omitted).
   *
   * @throws IllegalArgumentException naming the accepted form
   */
  public static PartitionBy parse(String spec) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("partition by: give COLUMN[:hour|day|month], got nothing");
    }
    int colon = spec.lastIndexOf(':');
    String column = (colon < 0 ? spec : spec.substring(0, colon)).trim();
    Transform transform = colon < 0 ? Transform.DAY : Transform.parse(spec.substring(colon + 1), spec);
    if (column.isEmpty()) {
      throw new IllegalArgumentException("partition by '" + spec + "': the column is missing (COLUMN[:hour|day"
          + "|month])");
    }
    return new PartitionBy(column, transform);
  }

  /**
   * Checks that the table's columns allow this partitioning.
   *
   * @return this
   * @throws IllegalArgumentException naming the column and the types and units it would need
   */
  public PartitionBy validate(String table, List<Column> columns) {
    Column c = columns.stream().filter(col -> col.name().equals(column)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("cannot partition " + table + " by '" + column + "': no"
            + " such column (columns: " + columns.stream().map(Column::name).toList() + "); partition by a"
            + " timestamp, date or bigint (epoch ms) column"));
    if (c.type() == ColumnType.DATE ? transform == Transform.HOUR : !MILLIS.contains(c.type())) {
      throw new IllegalArgumentException("cannot partition " + table + " by " + this + ": column '" + column
          + "' is " + c.type().name().toLowerCase(Locale.ROOT) + "; a timestamp or bigint (epoch ms) column takes"
          + " hour, day or month, a date column day or month");
    }
    if (columns.stream().anyMatch(col -> col.name().equals(field()))) {
      throw new IllegalArgumentException("cannot partition " + table + " by " + this + ": its directories would be"
          + " named '" + field() + "=…', the name of a column of the table, and Spark would read that column"
          + " from the directory; partition by another unit");
    }
    return this;
  }

  /** The partition field: {@code <column>_<transform>}, the directory's key and Iceberg's partition field name. */
  public String field() {
    return column + "_" + transform.label;
  }

  /**
   * The partition value of a row whose column holds {@code value}: epoch milliseconds ({@link Long}) or a
   * {@link LocalDate}; {@link #NULL_VALUE} for null.
   */
  public String value(Object value) {
    if (value == null) {
      return NULL_VALUE;
    }
    if (value instanceof Long millis) {
      return transform.format.format(Instant.ofEpochMilli(millis));
    }
    if (value instanceof LocalDate date) {
      return transform.format.format(date.atStartOfDay(ZoneOffset.UTC));
    }
    throw new IllegalArgumentException("partition by " + this + ": value " + value + " of type "
        + value.getClass().getSimpleName() + " is neither epoch milliseconds nor a date");
  }

  /**
   * The time bucket of epoch milliseconds: all milliseconds of one bucket have one {@link #value} (hours since the
   * epoch for hour, days for day and month: a UTC day lies in one month).
   */
  public long bucketOfMillis(long millis) {
    return Math.floorDiv(millis, transform == Transform.HOUR ? 3_600_000L : 86_400_000L);
  }

  /** The time bucket of a date (days since 1970-01-01): as {@link #bucketOfMillis} of its first millisecond. */
  public long bucketOfDay(long epochDay) {
    return transform == Transform.HOUR ? epochDay * 24 : epochDay;
  }

  /** The directory (relative to dest) of partition value {@code value}: {@code <field>=<value>}. */
  public String directory(String value) {
    return escape(field()) + "=" + value;
  }

  /** Hive's path escaping ({@code FileUtils.escapePathName}, as Spark's): {@code %XX} for characters a path breaks on. */
  private static String escape(String name) {
    StringBuilder b = new StringBuilder(name.length());
    for (char ch : name.toCharArray()) {
      if (ch < 0x20 || ch == 0x7f || "\"#%'*/:=?\\{[]^".indexOf(ch) >= 0) {
        b.append(String.format(Locale.ROOT, "%%%02X", (int) ch));
      } else {
        b.append(ch);
      }
    }
    return b.toString();
  }

  /** {@code COLUMN:unit}, the form {@link #parse} reads. */
  @Override
  public String toString() {
    return column + ":" + transform.label;
  }
}
