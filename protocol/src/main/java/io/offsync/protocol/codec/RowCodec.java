package io.offsync.protocol.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;

/**
 * OpenMLDB's row encoding (the value format of tablet puts, binlog entries and disk snapshots).
 *
 * <p>A row is: format version (1 byte, always 1), schema version (1 byte), total size (uint32 LE, header
 * included), a null bitmap (bit {@code i & 7} of byte {@code i >> 3} set = column i is NULL; unused bits 1),
 * the fixed-width columns in schema order (little-endian; NULL columns keep their slot), one string offset per
 * string column (absolute offsets from the row start, 1/2/3/4 bytes wide for rows of at most 255 / 65535 /
 * 16777215 / more bytes; the 3-byte form is big-endian, the others little-endian), then the UTF-8 string bytes.
 *
 * <p>Decoded values are {@code Boolean, Short, Integer, Long, Float, Double, java.time.LocalDate} (date),
 * {@code Long} epoch milliseconds (timestamp) and {@code String}; {@code null} is NULL. Decoding reads the
 * caller's array in place with little-endian view reads: no copy and no buffer object per row.
 *
 * <p>Every bound is checked: a header or size field beyond the buffer, a wrong format version, offsets
 * outside the row or an invalid date throw {@link RowFormatException} naming the byte offset; a schema
 * version the table does not know throws {@link UnknownSchemaVersionException}. Stateless and thread-safe.
 */
public final class RowCodec {

  /** Bytes before the null bitmap: format version, schema version, size. */
  public static final int HEADER_LENGTH = RowLayout.HEADER;

  private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  private RowCodec() {}

  /**
   * The total length of the row starting at {@code off}, read from its header. Only the
   * {@link #HEADER_LENGTH} header bytes need to be in the buffer, so a framer can learn how much to wait for.
   *
   * @throws RowFormatException if the header is cut off, the format version is not 1 or the size is
   *     smaller than the header
   */
  public static int rowLength(byte[] buf, int off) {
    if (off < 0 || buf.length - off < HEADER_LENGTH) {
      throw new RowFormatException("row header at offset " + off + " is cut off: " + Math.max(0, buf.length - off)
          + " of " + HEADER_LENGTH + " bytes in a buffer of " + buf.length);
    }
    if (buf[off] != 1) {
      throw new RowFormatException("row at offset " + off + " has format version " + (buf[off] & 0xFF)
          + ", expected 1: not an OpenMLDB row (a snappy-compressed value of a kSnappy table not decompressed,"
          + " or a framing error)");
    }
    long size = (int) INT.get(buf, off + 2) & 0xFFFFFFFFL;
    if (size < HEADER_LENGTH + 1 || size > Integer.MAX_VALUE) {
      throw new RowFormatException("row at offset " + off + " has an impossible size field " + size);
    }
    return (int) size;
  }

  /** The schema version byte of the row starting at {@code off} (1 = the table's base schema). */
  public static int schemaVersion(byte[] buf, int off) {
    if (off < 0 || buf.length - off < 2) {
      throw new RowFormatException("row header at offset " + off + " is cut off in a buffer of " + buf.length);
    }
    return buf[off + 1] & 0xFF;
  }

  /**
   * Decodes the row starting at {@code off} with the columns of its own schema version.
   *
   * @return one value per column of the row's version (fewer than {@code schema.latest()} for rows written
   *     before an ADD COLUMN)
   * @throws RowFormatException if the row is truncated or malformed
   * @throws UnknownSchemaVersionException if the schema does not know the row's version
   */
  public static Object[] decode(TableSchema schema, byte[] buf, int off) {
    int size = checkedSize(schema, buf, off);
    return schema.layout(buf[off + 1] & 0xFF).decode(buf, off, size, schema.table());
  }

  /**
   * Visits the values of the row starting at {@code off} (columns of its own schema version, NULLs skipped)
   * without boxing or copying strings: what a writer that takes primitives and byte ranges needs.
   *
   * @return the row's schema version
   * @throws RowFormatException if the row is truncated or malformed
   * @throws UnknownSchemaVersionException if the schema does not know the row's version
   */
  public static int visit(TableSchema schema, byte[] buf, int off, RowVisitor visitor) {
    int size = checkedSize(schema, buf, off);
    int version = buf[off + 1] & 0xFF;
    schema.layout(version).visit(buf, off, size, schema.table(), visitor);
    return version;
  }

  /**
   * Reads one bigint, timestamp or date column of the row starting at {@code off} without decoding the others:
   * what a writer that partitions rows by time needs.
   *
   * @param column the column's index in the row's schema version (a later version's column is NULL here)
   * @param out receives the value in {@code out[0]}: epoch milliseconds, or days since 1970-01-01 for a date
   * @return false if the value is NULL or the row's version has no such column
   * @throws RowFormatException if the row is truncated or malformed
   * @throws IllegalArgumentException if the column is of another type
   */
  public static boolean timeValue(TableSchema schema, byte[] buf, int off, int column, long[] out) {
    int size = checkedSize(schema, buf, off);
    return schema.layout(buf[off + 1] & 0xFF).timeValue(buf, off, size, column, schema.table(), out);
  }

  private static int checkedSize(TableSchema schema, byte[] buf, int off) {
    int size = rowLength(buf, off);
    if (size > buf.length - off) {
      throw new RowFormatException("table " + schema.table() + ": row at offset " + off + " has size " + size
          + " but only " + (buf.length - off) + " bytes remain in the buffer (truncated row)");
    }
    return size;
  }

  /**
   * Encodes a row exactly as an OpenMLDB tablet does.
   *
   * @param cols the columns of {@code schemaVersion} (e.g. {@code schema.columns(v)})
   * @param values one value per column, of the Java types listed in the class comment; null = NULL
   * @throws IllegalArgumentException on a count or type mismatch, a null in a NOT NULL column, a date outside
   *     1900..9999 or a version outside 1..255
   */
  public static byte[] encode(List<Column> cols, int schemaVersion, Object[] values) {
    if (schemaVersion < 1 || schemaVersion > TableSchema.MAX_VERSION) {
      throw new IllegalArgumentException("schema version " + schemaVersion + " is outside 1.." + TableSchema.MAX_VERSION);
    }
    if (cols.isEmpty()) {
      throw new IllegalArgumentException("cannot encode a row without columns");
    }
    return new RowLayout(cols).encode(schemaVersion, values);
  }

  /** Encodes a row of {@code schema}'s version {@code schemaVersion}, reusing its precomputed layout. */
  public static byte[] encode(TableSchema schema, int schemaVersion, Object[] values) {
    return schema.layout(schemaVersion).encode(schemaVersion, values);
  }
}
