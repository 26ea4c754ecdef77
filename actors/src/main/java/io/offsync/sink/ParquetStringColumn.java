package io.offsync.sink;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.io.api.Binary;

/**
 * A BINARY (STRING) column: the values' bytes one after the other in an arena, with each value's end offset.
 * A chunk is dictionary-encoded as parquet-mr's v1 writer does it (a PLAIN dictionary page and RLE/bit-packed
 * ids, both marked PLAIN_DICTIONARY) unless its dictionary page would pass {@link #MAX_DICTIONARY_BYTES}
 * (parquet-mr's {@code parquet.dictionary.page.size}) or would not make the chunk smaller than PLAIN; then the
 * whole chunk is PLAIN. Min and max compare bytes unsigned, lexicographically (the STRING order parquet-mr uses).
 */
final class ParquetStringColumn extends ParquetColumn {

  static final long MAX_DICTIONARY_BYTES = 1 << 20;

  private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private byte[] arena = new byte[4096];
  private int arenaLen;
  /** End offset in the arena per value. */
  private int[] ends = new int[256];
  private int[] ids = new int[0];
  private final StringDictionary dictionary = new StringDictionary();
  private boolean dictionaryEncoded;
  private int bitWidth;
  /** Per dictionary entry: the last page whose statistics have seen it. */
  private int[] seen = new int[0];
  private int page;
  /** The values holding the page's min and max so far, and their {@link #key}s. */
  private int min;
  private int max;
  private long minKey;
  private long maxKey;

  ParquetStringColumn(ColumnDescriptor d) {
    super(d);
  }

  void add(byte[] b, int off, int len) {
    if (values == ends.length) {
      ends = Arrays.copyOf(ends, grown(ends.length, values + 1));
    }
    if (len > arena.length - arenaLen) {
      arena = Arrays.copyOf(arena, grown(arena.length, (int) Math.min(Integer.MAX_VALUE, (long) arenaLen + len)));
      if (len > arena.length - arenaLen) {
        throw new IllegalStateException("a Parquet row group's strings cannot exceed 2 GiB in one column");
      }
    }
    System.arraycopy(b, off, arena, arenaLen, len);
    arenaLen += len;
    ends[values] = arenaLen;
    defined();
  }

  @Override
  long bufferedBytes() {
    return arenaLen + 4L * values;
  }

  private int start(int value) {
    return value == 0 ? 0 : ends[value - 1];
  }

  @Override
  Encoding prepareChunk(ParquetPages pages) throws IOException {
    dictionaryEncoded = false;
    if (values > 0) {
      if (ids.length < values) {
        ids = new int[grown(ids.length, values)];
      }
      if (dictionary.build(arena, ends, values, ids, MAX_DICTIONARY_BYTES)) {
        int entries = dictionary.size();
        bitWidth = Math.max(1, 32 - Integer.numberOfLeadingZeros(entries - 1));
        long idBytes = ((long) values * bitWidth + 7) / 8;
        dictionaryEncoded = idBytes + dictionary.bytes() < bufferedBytes();
      }
    }
    if (!dictionaryEncoded) {
      return Encoding.PLAIN;
    }
    int entries = dictionary.size();
    pages.startDictionary();
    for (int e = 0; e < entries; e++) {
      int v = dictionary.first(e);
      int s = start(v);
      pages.putBinary(arena, s, ends[v] - s);
    }
    pages.writeDictionaryPage(entries, Encoding.PLAIN_DICTIONARY);
    if (seen.length < entries) {
      seen = new int[grown(seen.length, entries)];
    }
    Arrays.fill(seen, 0, entries, -1);
    page = 0;
    return Encoding.PLAIN_DICTIONARY;
  }

  @Override
  int pageEnd(int row, int value) {
    if (dictionaryEncoded) {
      return super.pageEnd(row, value);
    }
    int r = row;
    int v = value;
    long bytes = 0;
    int last = Math.min(rows, row + ParquetPages.PAGE_ROWS);
    while (r < last && bytes < ParquetPages.PAGE_BYTES) {
      if (isDefined(r)) {
        bytes += 4 + ends[v] - start(v);
        v++;
      }
      r++;
    }
    return r;
  }

  @Override
  long writeValues(ParquetPages pages, int from, int to, Statistics<?> stats) {
    if (dictionaryEncoded) {
      pages.putIds(ids, from, to, bitWidth); // the bit width even for a page of NULLs only, as parquet-mr does
    }
    if (to == from) {
      return 0;
    }
    if (dictionaryEncoded) {
      int p = page++;
      int e = ids[from];
      seen[e] = p;
      minMax(dictionary.first(e), true);
      for (int i = from + 1; i < to; i++) {
        e = ids[i];
        if (seen[e] != p) {
          seen[e] = p;
          minMax(dictionary.first(e), false);
        }
      }
    } else {
      for (int v = from; v < to; v++) {
        int s = start(v);
        pages.putBinary(arena, s, ends[v] - s);
        minMax(v, v == from);
      }
    }
    stats.updateStats(binary(min));
    stats.updateStats(binary(max));
    return ends[to - 1] - start(from);
  }

  /** Takes value {@code v} into the page's min and max (the first value of the page: {@code first}). */
  private void minMax(int v, boolean first) {
    long k = key(v);
    if (first) {
      min = v;
      max = v;
      minKey = k;
      maxKey = k;
      return;
    }
    int c = Long.compareUnsigned(k, minKey);
    if (c < 0 || c == 0 && compare(v, min) < 0) {
      min = v;
      minKey = k;
    }
    c = Long.compareUnsigned(k, maxKey);
    if (c > 0 || c == 0 && compare(v, max) > 0) {
      max = v;
      maxKey = k;
    }
  }

  /**
   * The first 8 bytes of a value, big-endian, zero-padded: keys that differ order their values (unsigned) as the
   * whole bytes do; equal keys need the bytes compared.
   */
  private long key(int value) {
    int s = start(value);
    int len = ends[value] - s;
    if (len >= 8) {
      return (long) LONG_BE.get(arena, s);
    }
    long k = 0;
    for (int i = 0; i < 8; i++) {
      k = (k << 8) | (i < len ? arena[s + i] & 0xFF : 0);
    }
    return k;
  }

  private int compare(int a, int b) {
    return Arrays.compareUnsigned(arena, start(a), ends[a], arena, start(b), ends[b]);
  }

  private Binary binary(int value) {
    return Binary.fromConstantByteArray(Arrays.copyOfRange(arena, start(value), ends[value]));
  }

  @Override
  void dropValue() {
    arenaLen = start(values);
  }

  @Override
  void reset() {
    arenaLen = 0;
  }
}
