package io.offsync.protocol.codec;

import io.offsync.protocol.openmldb.Type;
import java.io.IOException;
import org.xerial.snappy.Snappy;

/**
 * Value compression of OpenMLDB tables: tablets of {@code compress_type = kSnappy} tables store every row
 * snappy-compressed (raw snappy block format, no framing) in the binlog and in disk snapshots; kNoCompress
 * tables store rows as they are. A corrupt compressed value throws {@link RowFormatException}.
 */
public final class RowCompression {

  private static final int MAX_EXPANSION = 64;

  private RowCompression() {}

  /** The encoded row inside a stored value; {@code value} itself for kNoCompress. */
  public static byte[] decompress(byte[] value, Type.CompressType type) {
    return decompress(value, 0, value.length, type);
  }

  /** The encoded row inside {@code buf[off, off + len)}. */
  public static byte[] decompress(byte[] buf, int off, int len, Type.CompressType type) {
    if (type != Type.CompressType.kSnappy) {
      if (off == 0 && len == buf.length) {
        return buf;
      }
      byte[] copy = new byte[len];
      System.arraycopy(buf, off, copy, 0, len);
      return copy;
    }
    try {
      int length = Snappy.uncompressedLength(buf, off, len);
      // a snappy element of at most 3 bytes yields at most 64 bytes
      if (length < 0 || length > MAX_EXPANSION * (long) len + MAX_EXPANSION) {
        throw new IOException("header claims " + (length & 0xFFFFFFFFL) + " uncompressed bytes");
      }
      byte[] out = new byte[length];
      Snappy.uncompress(buf, off, len, out, 0);
      return out;
    } catch (IOException e) {
      throw new RowFormatException("snappy-compressed value of " + len + " bytes is corrupt (" + e.getMessage()
          + "); is the table's compress_type really kSnappy?", e);
    }
  }

  /** The value a tablet stores for an encoded row; {@code row} itself for kNoCompress. */
  public static byte[] compress(byte[] row, Type.CompressType type) {
    if (type != Type.CompressType.kSnappy) {
      return row;
    }
    try {
      return Snappy.compress(row);
    } catch (IOException e) {
      throw new IllegalStateException("snappy compression failed: " + e.getMessage(), e);
    }
  }
}
