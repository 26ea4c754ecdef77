package io.offsync.testkit;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.ColumnType;
import io.offsync.protocol.codec.TableSchema;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random rows over every column type for checking a file writer against independent readers: a table with three
 * schema versions (version 2 and 3 add columns, so older rows have NULL there), NULLs, a column that is always
 * NULL, empty strings, strings whose first byte is above 0x7F (unsigned order), a few-valued string column, a
 * unique one, long strings that outgrow a 1 MiB dictionary, extremes, NaN, -0.0 and infinities. Row {@code i}
 * has id {@code i}; the first tenth of the rows are version 1 only. Deterministic for a seed.
 */
public final class RandomRows {

  public static final List<Column> BASE = List.of(
      new Column("id", ColumnType.BIGINT, true),
      Column.of("few", ColumnType.STRING),
      Column.of("ok", ColumnType.BOOL),
      Column.of("small", ColumnType.SMALLINT),
      Column.of("num", ColumnType.INT),
      Column.of("f", ColumnType.FLOAT),
      Column.of("d", ColumnType.DOUBLE),
      Column.of("day", ColumnType.DATE),
      Column.of("at", ColumnType.TIMESTAMP),
      Column.of("uniq", ColumnType.VARCHAR),
      Column.of("never", ColumnType.STRING),
      Column.of("long_text", ColumnType.VARCHAR));
  public static final List<Column> ADDED = List.of(
      Column.of("added_int", ColumnType.INT),
      Column.of("added_text", ColumnType.VARCHAR),
      Column.of("added_double", ColumnType.DOUBLE));
  /** Every column of the latest version. */
  public static final List<Column> ALL;

  static {
    List<Column> all = new ArrayList<>(BASE);
    all.addAll(ADDED);
    ALL = List.copyOf(all);
  }

  private static final String[] FEW = {"", "Beijing", "Zürich", "éclair", "ﬁ", "zz", "A"};
  private static final float[] FLOATS = {Float.NaN, -0.0f, 0.0f, Float.MIN_VALUE, -Float.MAX_VALUE, Float.MAX_VALUE,
      Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1.5f};
  private static final double[] DOUBLES = {Double.NaN, -0.0, 0.0, Double.MIN_VALUE, -Double.MAX_VALUE,
      Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -2.25};
  private static final int[] INTS = {Integer.MIN_VALUE, Integer.MAX_VALUE, 0, -1};
  /** Timestamps in epoch ms whose microseconds still fit a long (what readers convert them to). */
  private static final long[] TIMES = {-8_000_000_000_000_000L, 8_000_000_000_000_000L, 0L, -1L};

  private final Random random;
  private final long count;

  public RandomRows(long seed, long count) {
    this.random = new Random(seed);
    this.count = count;
  }

  /** The table: version 1 = {@link #BASE}, 2 adds two columns, 3 the last one. */
  public static TableSchema schema() {
    return TableSchema.of("random_rows", BASE, ADDED, Map.of(1, BASE.size(), 2, BASE.size() + 2, 3, ALL.size()));
  }

  /** Row {@code i}: its schema version, and its values in that version's columns (the codec's Java types). */
  public record Row(int version, Object[] values) {
    /** The values in all of the latest columns (NULL where the version has none). */
    public Object[] latest() {
      return Arrays.copyOf(values, ALL.size());
    }
  }

  /** The next row; call with i = 0, 1, 2, ... */
  public Row row(long i) {
    int version = i < count / 10 ? 1 : 1 + random.nextInt(3);
    int n = version == 1 ? BASE.size() : version == 2 ? BASE.size() + 2 : ALL.size();
    Object[] v = new Object[n];
    v[0] = i;
    v[1] = FEW[random.nextInt(FEW.length)];
    v[2] = random.nextBoolean();
    v[3] = random.nextInt(8) == 0 ? (random.nextBoolean() ? Short.MIN_VALUE : Short.MAX_VALUE)
        : (short) random.nextInt();
    v[4] = random.nextInt(8) == 0 ? INTS[random.nextInt(INTS.length)] : random.nextInt();
    v[5] = random.nextInt(4) == 0 ? FLOATS[random.nextInt(FLOATS.length)] : (random.nextFloat() - 0.5f) * 1e6f;
    v[6] = random.nextInt(4) == 0 ? DOUBLES[random.nextInt(DOUBLES.length)] : random.nextGaussian() * 1e9;
    v[7] = random.nextInt(16) == 0 ? (random.nextBoolean() ? LocalDate.of(1900, 1, 1) : LocalDate.of(9999, 12, 31))
        : LocalDate.ofEpochDay(random.nextInt(60_000) - 20_000);
    v[8] = random.nextInt(16) == 0 ? TIMES[random.nextInt(TIMES.length)]
        : 1_700_000_000_000L + random.nextInt(1 << 30);
    v[9] = text(random.nextInt(30)) + "#" + i;
    v[10] = null;
    v[11] = random.nextInt(5) == 0 ? text(200 + random.nextInt(2000)) : "short " + random.nextInt(50);
    if (n > BASE.size()) {
      v[12] = random.nextInt(100);
      v[13] = random.nextInt(3) == 0 ? "" : text(random.nextInt(12));
    }
    if (n > BASE.size() + 2) {
      v[14] = random.nextDouble();
    }
    for (int k = 1; k < n; k++) {
      if (random.nextInt(9) == 0) {
        v[k] = null;
      }
    }
    return new Row(version, v);
  }

  private String text(int length) {
    StringBuilder s = new StringBuilder(length);
    for (int k = 0; k < length; k++) {
      int c = random.nextInt(20);
      s.append(c < 14 ? (char) ('a' + random.nextInt(26)) : c < 17 ? (char) ('À' + random.nextInt(60))
          : c < 19 ? (char) ('一' + random.nextInt(500)) : "😀".charAt(0));
      if (c == 19) {
        s.append("😀".charAt(1));
      }
    }
    return s.toString();
  }
}
