package io.offsync.protocol.codec;

/**
 * Receives the values of one row from {@link RowCodec#visit}, column by column in the order of the row's schema
 * version, without boxing and without copying strings: a string comes as its bytes in the caller's row buffer,
 * valid only during the call. NULL columns are not visited. Timestamps and bigints both come as {@link #int64}.
 */
public interface RowVisitor {

  void bool(int column, boolean value);

  void int16(int column, short value);

  void int32(int column, int value);

  /** bigint, and timestamp in epoch milliseconds. */
  void int64(int column, long value);

  void float32(int column, float value);

  void float64(int column, double value);

  /** A date as days since 1970-01-01. */
  void date(int column, int epochDay);

  /** A string's bytes as stored (UTF-8): {@code length} bytes of {@code buf} from {@code offset}. */
  void string(int column, byte[] buf, int offset, int length);
}
