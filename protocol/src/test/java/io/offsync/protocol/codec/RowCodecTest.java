package io.offsync.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDate;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class RowCodecTest {

  /** The reference's test vector (openmldb-sync.md §7), produced by the published ClassicRowBuilder. */
  private static final byte[] VECTOR = HexFormat.of().parseHex(
      "01011c000000" + "c8" + "01000000" + "7bff226e87010000" + "0b037b00" + "01" + "1a1c" + "6162");
  private static final List<Column> VECTOR_COLUMNS = List.of(
      Column.of("c1", ColumnType.INT), Column.of("c2", ColumnType.STRING), Column.of("c3", ColumnType.TIMESTAMP),
      Column.of("c4", ColumnType.STRING), Column.of("c5", ColumnType.DATE), Column.of("c6", ColumnType.BOOL));
  private static final Object[] VECTOR_VALUES = {1, "ab", 1681180000123L, null, LocalDate.of(2023, 4, 11), true};

  @Test
  void encodesTheReferenceVector() throws Exception {
    assertArrayEquals(VECTOR, RowCodec.encode(VECTOR_COLUMNS, 1, VECTOR_VALUES));
    assertArrayEquals(VECTOR, OfficialCodec.encodeClassic(VECTOR_COLUMNS, 1, VECTOR_VALUES));
  }

  @Test
  void decodesTheReferenceVector() {
    assertEquals(28, RowCodec.rowLength(VECTOR, 0));
    assertEquals(1, RowCodec.schemaVersion(VECTOR, 0));
    assertArrayEquals(VECTOR_VALUES, RowCodec.decode(TableSchema.of("vector", VECTOR_COLUMNS), VECTOR, 0));
  }

  @Test
  void decodesARowInTheMiddleOfABuffer() {
    byte[] buf = new byte[5 + VECTOR.length + 3];
    System.arraycopy(VECTOR, 0, buf, 5, VECTOR.length);
    assertArrayEquals(VECTOR_VALUES, RowCodec.decode(TableSchema.of("vector", VECTOR_COLUMNS), buf, 5));
  }

  @Test
  void nullBitmapKeepsUnusedBitsSet() {
    List<Column> cols = List.of(Column.of("a", ColumnType.BIGINT), Column.of("b", ColumnType.SMALLINT),
        Column.of("c", ColumnType.FLOAT), Column.of("d", ColumnType.DOUBLE), Column.of("e", ColumnType.VARCHAR),
        Column.of("f", ColumnType.INT), Column.of("g", ColumnType.BOOL), Column.of("h", ColumnType.DATE),
        Column.of("i", ColumnType.TIMESTAMP));
    Object[] values = {-1L, (short) -2, 1.5f, -0.25, "", null, false, LocalDate.of(1900, 1, 1), -1L};
    byte[] row = RowCodec.encode(cols, 1, values);
    assertEquals((byte) 0x20, row[6], "only f (bit 5) is NULL in the first byte");
    assertEquals((byte) 0xFE, row[7], "column i present, the 7 unused bits stay 1");
    assertArrayEquals(values, RowCodec.decode(TableSchema.of("t", cols), row, 0));
  }

  @Test
  void refusesATruncatedRow() {
    TableSchema schema = TableSchema.of("db1.t1 (tid 3)", VECTOR_COLUMNS);
    byte[] cut = java.util.Arrays.copyOf(VECTOR, 20);
    RowFormatException e = assertThrows(RowFormatException.class, () -> RowCodec.decode(schema, cut, 0));
    assertTrue(e.getMessage().contains("db1.t1 (tid 3)") && e.getMessage().contains("truncated"), e.getMessage());
    assertThrows(RowFormatException.class, () -> RowCodec.rowLength(VECTOR, VECTOR.length - 3));
  }

  @Test
  void refusesAWrongFormatVersionOrSize() {
    byte[] bad = VECTOR.clone();
    bad[0] = 0x1c;
    RowFormatException e = assertThrows(RowFormatException.class, () -> RowCodec.rowLength(bad, 0));
    assertTrue(e.getMessage().contains("format version 28"), e.getMessage());
    byte[] tiny = VECTOR.clone();
    tiny[2] = 3;
    assertThrows(RowFormatException.class, () -> RowCodec.rowLength(tiny, 0));
    byte[] huge = VECTOR.clone();
    huge[5] = (byte) 0x80;
    assertThrows(RowFormatException.class, () -> RowCodec.rowLength(huge, 0));
  }

  @Test
  void refusesStringOffsetsOutsideTheRow() {
    TableSchema schema = TableSchema.of("t", VECTOR_COLUMNS);
    byte[] bad = VECTOR.clone();
    bad[24] = 0x1d; // c2 would end before it starts
    RowFormatException e = assertThrows(RowFormatException.class, () -> RowCodec.decode(schema, bad, 0));
    assertTrue(e.getMessage().contains("column 'c2'"), e.getMessage());
    byte[] before = VECTOR.clone();
    before[24] = 0x05; // c2 would start inside the header
    assertThrows(RowFormatException.class, () -> RowCodec.decode(schema, before, 0));
  }

  @Test
  void refusesARowTooShortForItsSchema() {
    byte[] shortRow = VECTOR.clone();
    shortRow[2] = 0x18;
    RowFormatException e = assertThrows(RowFormatException.class,
        () -> RowCodec.decode(TableSchema.of("t", VECTOR_COLUMNS), shortRow, 0));
    assertTrue(e.getMessage().contains("at least 26 bytes"), e.getMessage());
  }

  @Test
  void refusesAnInvalidDate() {
    byte[] bad = VECTOR.clone();
    bad[19] = 0x00; // day 0
    RowFormatException e = assertThrows(RowFormatException.class,
        () -> RowCodec.decode(TableSchema.of("t", VECTOR_COLUMNS), bad, 0));
    assertTrue(e.getMessage().contains("column 'c5'"), e.getMessage());
  }

  /** Month bytes 0..13, 255 and day bytes 0..32, 255 of leap, century and plain years; month ends, 1900..9999. */
  @Test
  void datesDecodeAsJavaTimeDoesOrAreRefused() {
    List<Column> cols = List.of(new Column("id", ColumnType.BIGINT, true), Column.of("d", ColumnType.DATE));
    TableSchema schema = TableSchema.of("t", cols);
    byte[] row = RowCodec.encode(cols, 1, new Object[] {1L, LocalDate.of(2000, 1, 1)});
    int slot = row.length - 4;
    for (int year : new int[] {1900, 2000, 2023, 2024, 9999}) {
      for (int month = 0; month < 256; month = month == 13 ? 255 : month + 1) {
        for (int day = 0; day < 256; day = day == 32 ? 255 : day + 1) {
          int v = ((year - 1900) << 16) | (month << 8) | day;
          java.nio.ByteBuffer.wrap(row, slot, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(v);
          LocalDate want = null;
          try {
            want = LocalDate.of(year, month + 1, day);
          } catch (java.time.DateTimeException invalid) {
            // the codec must refuse it too
          }
          if (want == null) {
            assertThrows(RowFormatException.class, () -> RowCodec.decode(schema, row, 0), Integer.toHexString(v));
          } else {
            assertEquals(want, RowCodec.decode(schema, row, 0)[1]);
          }
        }
      }
    }
    for (int year = 1900; year <= 9999; year++) {
      LocalDate first = LocalDate.of(year, 1, 1);
      for (LocalDate d : List.of(first, first.withMonth(2).withDayOfMonth(first.withMonth(2).lengthOfMonth()),
          first.withMonth(3), first.withMonth(12).withDayOfMonth(31))) {
        assertEquals(d, RowCodec.decode(schema, RowCodec.encode(cols, 1, new Object[] {1L, d}), 0)[1]);
      }
    }
  }

  @Test
  void timeValueReadsOneColumnOfAnyVersion() {
    List<Column> base = List.of(new Column("id", ColumnType.BIGINT, true), Column.of("s", ColumnType.STRING),
        Column.of("d", ColumnType.DATE), Column.of("ts", ColumnType.TIMESTAMP));
    TableSchema schema = TableSchema.of("t", base, List.of(Column.of("later", ColumnType.TIMESTAMP)),
        java.util.Map.of(1, 4, 2, 5));
    long[] out = new long[1];
    byte[] v1 = RowCodec.encode(schema, 1, new Object[] {7L, "x", LocalDate.of(1969, 12, 31), -5L});
    assertTrue(RowCodec.timeValue(schema, v1, 0, 2, out));
    assertEquals(-1, out[0]);
    assertTrue(RowCodec.timeValue(schema, v1, 0, 3, out));
    assertEquals(-5, out[0]);
    assertTrue(!RowCodec.timeValue(schema, v1, 0, 4, out), "a column version 1 lacks is NULL");
    byte[] v2 = RowCodec.encode(schema, 2, new Object[] {7L, null, null, null, 1681180000123L});
    assertTrue(!RowCodec.timeValue(schema, v2, 0, 3, out));
    assertTrue(RowCodec.timeValue(schema, v2, 0, 4, out));
    assertEquals(1681180000123L, out[0]);
    assertThrows(IllegalArgumentException.class, () -> RowCodec.timeValue(schema, v1, 0, 1, out));
  }

  @Test
  void encodeRefusesBadValuesWithTheColumnName() {
    List<Column> cols = List.of(new Column("id", ColumnType.BIGINT, true), Column.of("d", ColumnType.DATE));
    IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
        () -> RowCodec.encode(cols, 1, new Object[] {1, null}));
    assertTrue(type.getMessage().contains("'id' (BIGINT) expects Long, got java.lang.Integer"), type.getMessage());
    IllegalArgumentException notNull = assertThrows(IllegalArgumentException.class,
        () -> RowCodec.encode(cols, 1, new Object[] {null, null}));
    assertTrue(notNull.getMessage().contains("'id' is NOT NULL"), notNull.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> RowCodec.encode(cols, 1, new Object[] {1L, LocalDate.of(1899, 12, 31)}));
    assertThrows(IllegalArgumentException.class, () -> RowCodec.encode(cols, 1, new Object[] {1L}));
    assertThrows(IllegalArgumentException.class, () -> RowCodec.encode(cols, 256, new Object[] {1L, null}));
  }
}
