package io.offsync.sink;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.statistics.SizeStatistics;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.schema.PrimitiveType;
import org.xerial.snappy.Snappy;

/**
 * Builds one page at a time in a reused buffer and hands it, snappy-compressed, to parquet-mr's
 * {@link ParquetFileWriter}, which writes the page header (with its CRC) and keeps the column chunk's statistics,
 * column index and offset index. Pages are data page v1, as parquet-mr's default writer makes them: the
 * definition levels (bit width 1, as every column is optional) RLE/bit-packed hybrid with a 4-byte length prefix,
 * then the values; no repetition levels (flat schema: encoding BIT_PACKED of nothing, as parquet-mr declares it).
 * One per part file, used by one thread.
 */
final class ParquetPages {

  /** parquet-mr's page size threshold ({@code parquet.page.size}): values bytes of one page, uncompressed. */
  static final int PAGE_BYTES = 1 << 20;
  /** parquet-mr's page row count limit ({@code parquet.page.row.count.limit}). */
  static final int PAGE_ROWS = 20_000;

  private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final ParquetFileWriter out;
  private byte[] buf = new byte[64 << 10];
  private int len;
  private byte[] compressed = new byte[0];
  private int[] levels = new int[PAGE_ROWS];

  ParquetPages(ParquetFileWriter out) {
    this.out = out;
  }

  ParquetFileWriter file() {
    return out;
  }

  /**
   * Starts a data page with the definition levels of rows {@code [from, to)}: {@code defs} 1 = value, 0 = NULL,
   * or null when the chunk has no NULL (one run of 1s).
   */
  void startPage(byte[] defs, int from, int to) {
    len = 0;
    ensure(8);
    len = 4;
    if (defs == null) {
      runHeader(to - from, 1, 1);
    } else {
      if (levels.length < to - from) {
        levels = new int[to - from];
      }
      for (int i = from; i < to; i++) {
        levels[i - from] = defs[i];
      }
      hybrid(levels, 0, to - from, 1);
    }
    INT.set(buf, 0, len - 4);
  }

  /** Starts a dictionary page (PLAIN values). */
  void startDictionary() {
    len = 0;
  }

  int size() {
    return len;
  }

  void putByte(int b) {
    ensure(1);
    buf[len++] = (byte) b;
  }

  void putInts(int[] values, int from, int to) {
    ensure(4L * (to - from));
    for (int i = from; i < to; i++) {
      INT.set(buf, len, values[i]);
      len += 4;
    }
  }

  void putLongs(long[] values, int from, int to) {
    ensure(8L * (to - from));
    for (int i = from; i < to; i++) {
      LONG.set(buf, len, values[i]);
      len += 8;
    }
  }

  /** Booleans PLAIN: bit-packed, least significant bit first. */
  void putBits(boolean[] values, int from, int to) {
    int n = to - from;
    ensure((n + 7) >>> 3);
    int i = from;
    while (i < to) {
      int b = 0;
      for (int k = 0; k < 8 && i < to; k++, i++) {
        if (values[i]) {
          b |= 1 << k;
        }
      }
      buf[len++] = (byte) b;
    }
  }

  /** A byte array PLAIN: 4-byte little-endian length, then the bytes. */
  void putBinary(byte[] src, int off, int length) {
    ensure(4L + length);
    INT.set(buf, len, length);
    System.arraycopy(src, off, buf, len + 4, length);
    len += 4 + length;
  }

  /** Dictionary ids of a data page: the bit width, then the ids RLE/bit-packed hybrid. */
  void putIds(int[] ids, int from, int to, int bitWidth) {
    putByte(bitWidth);
    hybrid(ids, from, to, bitWidth);
  }

  /**
   * Compresses the page and writes it with {@code stats} (min, max, null count as parquet-mr keeps them) and
   * {@code binaryBytes} (the string bytes of the page, for a BINARY column's size statistics).
   */
  void writeDataPage(PrimitiveType type, int rows, Statistics<?> stats, long binaryBytes, Encoding values)
      throws IOException {
    int n = compress();
    SizeStatistics size = new SizeStatistics(type, binaryBytes, List.of(), List.of());
    out.writeDataPage(rows, len, BytesInput.from(compressed, 0, n), stats, rows, Encoding.BIT_PACKED, Encoding.RLE,
        values, null, null, size);
  }

  void writeDictionaryPage(int entries, Encoding encoding) throws IOException {
    int n = compress();
    out.writeDictionaryPage(new DictionaryPage(BytesInput.from(compressed, 0, n), len, entries, encoding));
  }

  private int compress() throws IOException {
    int max = Snappy.maxCompressedLength(len);
    if (compressed.length < max) {
      compressed = new byte[Math.max(max, compressed.length + (compressed.length >> 1))];
    }
    return Snappy.compress(buf, 0, len, compressed, 0);
  }

  /**
   * The RLE/bit-packed hybrid encoding of {@code values[from, to)} (each below {@code 2^bitWidth}): a repeat of
   * 8 or more at a group boundary becomes an RLE run, the rest bit-packed groups of 8 (the last one padded).
   */
  void hybrid(int[] values, int from, int to, int bitWidth) {
    int i = from;
    while (i < to) {
      int v = values[i];
      int j = i + 1;
      while (j < to && values[j] == v) {
        j++;
      }
      if (j - i >= 8) {
        runHeader(j - i, v, bitWidth);
        i = j;
        continue;
      }
      int end = i + 8;
      while (end < to && !repeats8(values, end, to)) {
        end += 8;
      }
      end = Math.min(end, to);
      int groups = (end - i + 7) >>> 3;
      ensure(5 + (long) groups * bitWidth);
      varint((groups << 1) | 1);
      long acc = 0;
      int bits = 0;
      for (int k = 0, count = groups << 3; k < count; k++) {
        int x = i + k < end ? values[i + k] : 0;
        acc |= (long) x << bits;
        bits += bitWidth;
        while (bits >= 8) {
          buf[len++] = (byte) acc;
          acc >>>= 8;
          bits -= 8;
        }
      }
      i = end;
    }
  }

  private static boolean repeats8(int[] values, int p, int to) {
    if (to - p < 8) {
      return false;
    }
    int v = values[p];
    for (int k = 1; k < 8; k++) {
      if (values[p + k] != v) {
        return false;
      }
    }
    return true;
  }

  private void runHeader(int count, int value, int bitWidth) {
    ensure(9);
    varint(count << 1);
    for (int b = 0; b < (bitWidth + 7) >>> 3; b++) {
      buf[len++] = (byte) (value >>> (8 * b));
    }
  }

  private void varint(int v) {
    while ((v & ~0x7F) != 0) {
      buf[len++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[len++] = (byte) v;
  }

  private void ensure(long more) {
    long need = len + more;
    if (need > buf.length) {
      if (need > Integer.MAX_VALUE - 16) {
        throw new IllegalStateException("a Parquet page of " + need + " bytes is too large");
      }
      buf = Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 16, Math.max(need, 2L * buf.length)));
    }
  }
}
