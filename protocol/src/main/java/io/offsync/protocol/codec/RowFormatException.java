package io.offsync.protocol.codec;

/**
 * An encoded row that cannot be decoded: truncated, a size field beyond the buffer, a wrong format version,
 * string offsets out of range, or an invalid date. The message names the byte offset and the problem.
 */
public class RowFormatException extends RuntimeException {

  public RowFormatException(String message) {
    super(message);
  }

  public RowFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
