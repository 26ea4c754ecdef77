package io.offsync.sink;

import io.offsync.protocol.codec.Column;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.List;

/**
 * The text of one row as the original SyncTool wrote it: values in column order separated by {@code ,}, the line
 * ended by {@code \n}, no header. NULL is {@code null}; strings are double-quoted and JSON-escaped the way
 * commons-lang3 {@code StringEscapeUtils.escapeJson} does ({@code "} {@code \} and {@code /} get a backslash,
 * {@code \b \f \n \r \t} their short escapes, every other char below 0x20 or above 0x7F {@code \}{@code uXXXX}
 * in upper-case hex, per UTF-16 unit); bool is {@code true}/{@code false}; numbers are Java's
 * {@code toString}; date is {@code yyyy-mm-dd}; timestamp is {@link Timestamp#toString()} in the JVM's default
 * time zone. The output is pure ASCII.
 */
public final class CsvLines {

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private CsvLines() {}

  /**
   * Appends the line of {@code values} (in the order of {@code columns}; missing trailing values are NULL) and
   * its {@code \n} to {@code sb}.
   */
  public static void appendLine(StringBuilder sb, List<Column> columns, Object[] values) {
    for (int i = 0; i < columns.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      appendValue(sb, columns.get(i), i < values.length ? values[i] : null);
    }
    sb.append('\n');
  }

  /** The line of one row, with its {@code \n}. */
  public static String line(List<Column> columns, Object[] values) {
    StringBuilder sb = new StringBuilder();
    appendLine(sb, columns, values);
    return sb.toString();
  }

  private static void appendValue(StringBuilder sb, Column col, Object v) {
    if (v == null) {
      sb.append("null");
      return;
    }
    switch (col.type()) {
      case VARCHAR, STRING -> {
        sb.append('"');
        appendJsonEscaped(sb, (String) v);
        sb.append('"');
      }
      case DATE -> sb.append(java.sql.Date.valueOf((LocalDate) v));
      case TIMESTAMP -> sb.append(new Timestamp((Long) v));
      default -> sb.append(v);
    }
  }

  /** commons-lang3 {@code escapeJson}, per UTF-16 unit. */
  static void appendJsonEscaped(StringBuilder sb, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '/' -> sb.append("\\/");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c > 0x7f) {
            sb.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xf]).append(HEX[(c >> 4) & 0xf])
                .append(HEX[c & 0xf]);
          } else {
            sb.append(c);
          }
        }
      }
    }
  }
}
