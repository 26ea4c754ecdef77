package io.offsync.sink;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.ColumnType;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.commons.lang3.StringEscapeUtils;

/** Columns of every type and rows that exercise them: nulls, non-ASCII, extremes (for every output format). */
public final class Fixtures {

  public static final List<Column> ALL_TYPES = List.of(
      new Column("id", ColumnType.BIGINT, true),
      new Column("name", ColumnType.STRING, false),
      new Column("ok", ColumnType.BOOL, false),
      new Column("small", ColumnType.SMALLINT, false),
      new Column("num", ColumnType.INT, false),
      new Column("f", ColumnType.FLOAT, false),
      new Column("d", ColumnType.DOUBLE, false),
      new Column("day", ColumnType.DATE, false),
      new Column("at", ColumnType.TIMESTAMP, false),
      new Column("note", ColumnType.VARCHAR, false));

  private static final String[] TEXTS = {"", "plain", "中文é", "quote\"slash/back\\", "tab\tnl\nnul\0", "emoji \uD83D\uDE00",
      "ÅÄÖ-üß", "\u007f del"};

  private Fixtures() {}

  /** Row {@code i} over {@link #ALL_TYPES}; every 7th value is null (never the id). */
  public static Object[] row(long i) {
    Random r = new Random(i);
    Object[] v = {
        i,
        TEXTS[(int) (i % TEXTS.length)] + i,
        i % 2 == 0,
        (short) (i % 3 == 0 ? Short.MIN_VALUE : r.nextInt(Short.MAX_VALUE)),
        i % 5 == 0 ? Integer.MAX_VALUE : r.nextInt(),
        r.nextFloat() * 1e6f,
        i % 4 == 0 ? 1.50000005E10 : r.nextDouble(),
        LocalDate.of(1900 + (int) (i % 200), 1 + (int) (i % 12), 1 + (int) (i % 28)),
        1681180000123L + i * 1_000_003L,
        i % 3 == 0 ? "varchar " + TEXTS[(int) ((i + 3) % TEXTS.length)] : "v" + i};
    for (int k = 1; k < v.length; k++) {
      if ((i + k) % 7 == 0) {
        v[k] = null;
      }
    }
    return v;
  }

  public static List<Object[]> rows(long from, long count) {
    List<Object[]> rows = new ArrayList<>();
    for (long i = from; i < from + count; i++) {
      rows.add(row(i));
    }
    return rows;
  }

  /** {@code values} padded with nulls to {@code n} columns, as a comparable list. */
  public static List<Object> padded(Object[] values, int n) {
    return Arrays.asList(Arrays.copyOf(values, n));
  }

  /** The original SyncTool's line for a row, built independently of {@link CsvLines} (commons-lang3, java.sql). */
  @SuppressWarnings("deprecation")
  static String expectedCsvLine(List<Column> cols, Object[] values) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < cols.size(); i++) {
      Object v = i < values.length ? values[i] : null;
      if (v == null) {
        parts.add("null");
        continue;
      }
      parts.add(switch (cols.get(i).type()) {
        case STRING, VARCHAR -> "\"" + StringEscapeUtils.escapeJson((String) v) + "\"";
        case DATE -> java.sql.Date.valueOf((LocalDate) v).toString();
        case TIMESTAMP -> new Timestamp((Long) v).toString();
        case FLOAT -> Float.toString((Float) v);
        case DOUBLE -> Double.toString((Double) v);
        default -> String.valueOf(v);
      });
    }
    return String.join(",", parts) + "\n";
  }
}
