package io.offsync.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.ColumnType;
import java.time.LocalDate;
import java.util.List;
import java.util.Random;
import java.util.TimeZone;
import org.apache.commons.lang3.StringEscapeUtils;
import org.junit.jupiter.api.Test;

/** Golden lines from the compatibility reference, and commons-lang3's escapeJson (what the original calls) as oracle. */
class CsvLinesTest {

  private static Column col(String name, ColumnType type) {
    return new Column(name, type, false);
  }

  private static String inZone(String zone, java.util.function.Supplier<String> body) {
    TimeZone saved = TimeZone.getDefault();
    TimeZone.setDefault(TimeZone.getTimeZone(zone));
    try {
      return body.get();
    } finally {
      TimeZone.setDefault(saved);
    }
  }

  @Test
  void referenceRowInShanghai() {
    List<Column> cols = List.of(col("c1", ColumnType.INT), col("c2", ColumnType.STRING),
        col("c3", ColumnType.TIMESTAMP), col("c4", ColumnType.STRING), col("c5", ColumnType.DATE),
        col("c6", ColumnType.BOOL));
    Object[] row = {1, "ab", 1681180000123L, null, LocalDate.of(2023, 4, 11), true};
    assertEquals("1,\"ab\",2023-04-11 10:26:40.123,null,2023-04-11,true\n",
        inZone("Asia/Shanghai", () -> CsvLines.line(cols, row)));
    assertEquals("1,\"ab\",2023-04-11 02:26:40.123,null,2023-04-11,true\n",
        inZone("UTC", () -> CsvLines.line(cols, row)));
  }

  @Test
  void everyTypeAsTheOriginalPrintsIt() {
    List<Column> cols = List.of(col("b", ColumnType.BOOL), col("s", ColumnType.SMALLINT), col("i", ColumnType.INT),
        col("l", ColumnType.BIGINT), col("f", ColumnType.FLOAT), col("d", ColumnType.DOUBLE),
        col("day", ColumnType.DATE), col("ts", ColumnType.TIMESTAMP), col("v", ColumnType.VARCHAR),
        col("added", ColumnType.STRING));
    Object[] row = {false, (short) -7, Integer.MIN_VALUE, Long.MAX_VALUE, 0.1f, 1.50000005E10, LocalDate.of(1970, 1, 1),
        1681180000000L, "a\"b/c\\d\ne\t中文é"};
    assertEquals("false,-7,-2147483648,9223372036854775807,0.1,1.50000005E10,1970-01-01,"
            + "2023-04-11 10:26:40.0,\"a\\\"b\\/c\\\\d\\ne\\t\\u4E2D\\u6587\\u00E9\",null\n",
        inZone("Asia/Shanghai", () -> CsvLines.line(cols, row)));
  }

  @Test
  void referenceEscapeVector() {
    StringBuilder sb = new StringBuilder();
    CsvLines.appendJsonEscaped(sb, "a\"b/c\\d\ne\t中文é");
    assertEquals("a\\\"b\\/c\\\\d\\ne\\t\\u4E2D\\u6587\\u00E9", sb.toString());
  }

  @Test
  @SuppressWarnings("deprecation")
  void escapingMatchesCommonsLang3() {
    StringBuilder all = new StringBuilder();
    for (char c = 0; c < 0x300; c++) {
      all.append(c);
    }
    all.append("\uFFFF\uFEFF\u2028\uD83D\uDE00 \uD800 end");
    check(all.toString());
    Random rnd = new Random(7);
    for (int n = 0; n < 2000; n++) {
      StringBuilder s = new StringBuilder();
      int len = rnd.nextInt(20);
      for (int i = 0; i < len; i++) {
        s.append(rnd.nextInt(4) == 0 ? (char) rnd.nextInt(0x10000) : (char) rnd.nextInt(0x80));
      }
      check(s.toString());
    }
  }

  @SuppressWarnings("deprecation")
  private static void check(String s) {
    StringBuilder sb = new StringBuilder();
    CsvLines.appendJsonEscaped(sb, s);
    assertEquals(StringEscapeUtils.escapeJson(s), sb.toString(), () -> "escaping " + s.chars().mapToObj(
        Integer::toHexString).toList());
  }
}
