package io.offsync.protocol.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.offsync.protocol.openmldb.Type;
import java.util.List;
import org.junit.jupiter.api.Test;

class RowCompressionTest {

  @Test
  void snappyRoundTripOfEncodedRows() {
    RandomRows gen = new RandomRows(99L);
    for (int i = 0; i < 200; i++) {
      List<Column> cols = gen.schema(16);
      Object[] values = gen.row(cols, 50);
      byte[] row = RowCodec.encode(cols, 1, values);
      byte[] stored = RowCompression.compress(row, Type.CompressType.kSnappy);
      byte[] framed = new byte[stored.length + 4];
      System.arraycopy(stored, 0, framed, 2, stored.length);
      byte[] back = RowCompression.decompress(framed, 2, stored.length, Type.CompressType.kSnappy);
      assertArrayEquals(row, back);
      assertArrayEquals(values, RowCodec.decode(TableSchema.of("t", cols), back, 0));
    }
  }

  @Test
  void compressibleRowsShrink() {
    List<Column> cols = List.of(Column.of("s", ColumnType.STRING));
    byte[] row = RowCodec.encode(cols, 1, new Object[] {"abc".repeat(1000)});
    byte[] stored = RowCompression.compress(row, Type.CompressType.kSnappy);
    assertNotEquals(row.length, stored.length);
    assertArrayEquals(row, RowCompression.decompress(stored, Type.CompressType.kSnappy));
  }

  @Test
  void uncompressedTablesPassValuesThrough() {
    byte[] row = {1, 1, 7, 0, 0, 0, 0};
    assertSame(row, RowCompression.compress(row, Type.CompressType.kNoCompress));
    assertSame(row, RowCompression.decompress(row, Type.CompressType.kNoCompress));
  }

  @Test
  void corruptSnappyInputIsAClearError() {
    byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 1, 2, 3};
    assertThrows(RowFormatException.class, () -> RowCompression.decompress(garbage, Type.CompressType.kSnappy));
  }
}
