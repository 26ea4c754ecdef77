package io.offsync.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Property-style cross-checks against OpenMLDB's published codec ({@code openmldb-common} 0.9.3): random schemas
 * and rows encoded by one side decode identically on the other, and rows around the 255 / 65535 / 16 MiB
 * offset-width boundaries.
 */
class RowCodecOracleTest {

  private static final int ITERATIONS = 3000;

  @Test
  void rowsEncodedHereDecodeIdenticallyWithRowView() throws Exception {
    RandomRows gen = new RandomRows(20260101L);
    for (int it = 0; it < ITERATIONS; it++) {
      List<Column> cols = gen.schema(24);
      Object[] values = gen.row(cols, it % 3 == 0 ? 40 : 6);
      int version = 1 + gen.random().nextInt(255);
      byte[] row = RowCodec.encode(cols, version, values);
      assertEquals(version, RowCodec.schemaVersion(row, 0));
      assertEquals(row.length, RowCodec.rowLength(row, 0));
      assertArrayEquals(values, OfficialCodec.decode(cols, row), () -> "official decode of " + describe(cols, values));
      TableSchema schema = TableSchema.of("t", cols, List.of(), Map.of(version, cols.size()));
      assertArrayEquals(values, RowCodec.decode(schema, row, 0), () -> describe(cols, values));
    }
  }

  @Test
  void rowsOfClassicRowBuilderDecodeIdenticallyAndMatchByteForByte() throws Exception {
    RandomRows gen = new RandomRows(42L);
    for (int it = 0; it < ITERATIONS; it++) {
      List<Column> cols = gen.schema(24);
      Object[] values = gen.row(cols, it % 3 == 0 ? 40 : 6);
      byte[] official = OfficialCodec.encodeClassic(cols, 1, values);
      assertArrayEquals(values, RowCodec.decode(TableSchema.of("t", cols), official, 0), () -> describe(cols, values));
      if (firstStringColumnIsSet(cols, values)) {
        // the official builder leaves the first offset unwritten (0) when the first string column is NULL
        assertArrayEquals(official, RowCodec.encode(cols, 1, values), () -> describe(cols, values));
      }
    }
  }

  @Test
  void rowsOfFlexibleRowBuilderDecodeIdentically() throws Exception {
    RandomRows gen = new RandomRows(7L);
    for (int it = 0; it < ITERATIONS; it++) {
      List<Column> cols = gen.schema(24);
      Object[] values = gen.row(cols, it % 3 == 0 ? 40 : 6);
      byte[] official = OfficialCodec.encodeFlexible(cols, 1, values);
      assertArrayEquals(values, RowCodec.decode(TableSchema.of("t", cols), official, 0), () -> describe(cols, values));
    }
  }

  @Test
  void rowsAroundTheOffsetWidthBoundariesAgreeWithTheOfficialCodec() throws Exception {
    List<Column> cols = List.of(
        Column.of("id", ColumnType.INT), Column.of("a", ColumnType.STRING), Column.of("ts", ColumnType.TIMESTAMP),
        Column.of("n", ColumnType.VARCHAR), Column.of("b", ColumnType.VARCHAR), Column.of("d", ColumnType.DATE));
    TableSchema schema = TableSchema.of("boundaries", cols);
    int fixedEnd = RowCodec.HEADER_LENGTH + 1 + 4 + 8 + 4;
    int strings = 3;
    for (long limit : new long[] {0xFFL, 0xFFFFL, 0xFFFFFFL}) {
      // both sides of each width change, and bases where a narrower width fits before its offsets are added
      for (long delta : new long[] {-3 * strings - 1, -3 * strings, -3 * strings + 1, -2 * strings, -strings, 0, 1}) {
        long base = limit + delta;
        int stringBytes = (int) (base - fixedEnd);
        Object[] values = {7, nonAscii(stringBytes / 2), 1681180000123L, null, ascii(stringBytes - stringBytes / 2),
            LocalDate.of(2023, 4, 11)};
        byte[] ours = RowCodec.encode(cols, 1, values);
        int width = ours.length <= 0xFF ? 1 : ours.length <= 0xFFFF ? 2 : ours.length <= 0xFFFFFF ? 3 : 4;
        assertEquals(base + (long) width * strings, ours.length, "smallest offset width that fits, base " + base);
        assertArrayEquals(values, RowCodec.decode(schema, ours, 0));
        assertArrayEquals(values, OfficialCodec.decode(cols, ours), "RowView on a row of " + ours.length + " bytes");
        if (ours.length <= 0xFFFFFF) {
          // ClassicRowBuilder 0.9.3 cannot size rows over 16 MiB (its UINT32_MAX constant overflows to 0)
          assertArrayEquals(ours, OfficialCodec.encodeClassic(cols, 1, values), "row of " + ours.length + " bytes");
        }
        assertArrayEquals(values, RowCodec.decode(schema, OfficialCodec.encodeFlexible(cols, 1, values), 0));
      }
    }
  }

  @Test
  void rowsOver16MiBUseFourByteOffsets() throws Exception {
    List<Column> cols = List.of(Column.of("s1", ColumnType.STRING), Column.of("x", ColumnType.DOUBLE),
        Column.of("s2", ColumnType.STRING));
    Object[] values = {ascii(9 << 20), 2.5, nonAscii(9 << 20)};
    byte[] ours = RowCodec.encode(cols, 1, values);
    assertEquals(RowCodec.HEADER_LENGTH + 1 + 8 + 2 * 4 + (18 << 20), ours.length);
    assertArrayEquals(values, OfficialCodec.decode(cols, ours));
    byte[] flexible = OfficialCodec.encodeFlexible(cols, 1, values);
    assertArrayEquals(values, RowCodec.decode(TableSchema.of("big", cols), flexible, 0));
  }

  private static boolean firstStringColumnIsSet(List<Column> cols, Object[] values) {
    for (int i = 0; i < cols.size(); i++) {
      if (cols.get(i).type().isString()) {
        return values[i] != null;
      }
    }
    return true;
  }

  /** A string of exactly {@code bytes} UTF-8 bytes, mostly 3-byte characters. */
  private static String nonAscii(int bytes) {
    return "中".repeat(bytes / 3) + "x".repeat(bytes % 3);
  }

  private static String ascii(int bytes) {
    return "y".repeat(bytes);
  }

  private static String describe(List<Column> cols, Object[] values) {
    return cols + " " + Arrays.toString(values);
  }
}
