package io.offsync.protocol.log;

import java.io.IOException;
import java.nio.file.Path;

/** A log file holds bytes that cannot be a valid record (or sequence of records) at the given offset. */
public class CorruptLogException extends IOException {

  private final transient Path file;
  private final long offset;
  private final String reason;

  public CorruptLogException(Path file, long offset, String reason) {
    super("corrupt log record in " + file + " at byte offset " + offset + ": " + reason);
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }

  public Path file() {
    return file;
  }

  public long offset() {
    return offset;
  }

  public String reason() {
    return reason;
  }
}
