package io.offsync.protocol.snapshot;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A disk-table RocksDB key taken apart: {@code pk ‖ ts} (8 bytes, uint64 little-endian), or
 * {@code pk ‖ tsColumnId ‖ ts} (4-byte uint32 little-endian id, then the ts) in a column family shared by several
 * indexes. {@link #tsColumnId} is {@link DiskTableLayout#AUTO_TS_COLUMN_ID} for an index without a ts column
 * (and meaningless, {@code 0}, in a key without the id).
 *
 * @param pk the index key bytes (UTF-8 of the pk string)
 * @param tsColumnId the ts column id, or 0 when the key has none
 * @param ts the timestamp (unsigned)
 */
public record DiskKey(byte[] pk, int tsColumnId, long ts) {

  static final int TS_LEN = 8;
  static final int TS_ID_LEN = 4;

  /** Encodes {@code pk ‖ ts}. */
  public static byte[] encode(byte[] pk, long ts) {
    byte[] key = Arrays.copyOf(pk, pk.length + TS_LEN);
    writeLongLE(key, pk.length, ts);
    return key;
  }

  /** Encodes {@code pk ‖ tsColumnId ‖ ts}. */
  public static byte[] encode(byte[] pk, int tsColumnId, long ts) {
    byte[] key = Arrays.copyOf(pk, pk.length + TS_ID_LEN + TS_LEN);
    writeIntLE(key, pk.length, tsColumnId);
    writeLongLE(key, pk.length + TS_ID_LEN, ts);
    return key;
  }

  /**
   * Takes a key apart.
   *
   * @param withTsColumnId whether the key's column family is shared by several indexes (keys carry the ts column id)
   * @throws IllegalArgumentException if the key is too short to hold the ts (and id)
   */
  public static DiskKey parse(byte[] key, boolean withTsColumnId) {
    int suffix = withTsColumnId ? TS_ID_LEN + TS_LEN : TS_LEN;
    if (key.length < suffix) {
      throw new IllegalArgumentException("a disk-table key has at least " + suffix + " bytes, got " + key.length
          + " (" + HexFormat.of().formatHex(key) + ")");
    }
    int pkLen = key.length - suffix;
    int id = withTsColumnId ? readIntLE(key, pkLen) : 0;
    return new DiskKey(Arrays.copyOf(key, pkLen), id, readLongLE(key, key.length - TS_LEN));
  }

  /** The pk as the string it was built from. */
  public String pkString() {
    return new String(pk, StandardCharsets.UTF_8);
  }

  static long readLongLE(byte[] b, int off) {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[off + i] & 0xffL);
    }
    return v;
  }

  static int readIntLE(byte[] b, int off) {
    return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
  }

  static void writeLongLE(byte[] b, int off, long v) {
    for (int i = 0; i < 8; i++) {
      b[off + i] = (byte) (v >>> (8 * i));
    }
  }

  static void writeIntLE(byte[] b, int off, int v) {
    for (int i = 0; i < 4; i++) {
      b[off + i] = (byte) (v >>> (8 * i));
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DiskKey k && tsColumnId == k.tsColumnId && ts == k.ts && Arrays.equals(pk, k.pk);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(pk) + tsColumnId) + Long.hashCode(ts);
  }

  @Override
  public String toString() {
    return "DiskKey(" + pkString() + ", tsColumnId=" + Integer.toUnsignedString(tsColumnId) + ", ts="
        + Long.toUnsignedString(ts) + ")";
  }
}
