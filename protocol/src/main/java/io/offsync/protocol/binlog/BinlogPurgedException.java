package io.offsync.protocol.binlog;

import java.io.IOException;
import java.nio.file.Path;

/** The requested {@code log_index} is older than every binlog file left: the tablet has deleted those entries. */
public class BinlogPurgedException extends IOException {

  private final long requested;
  private final long oldestAvailable;

  public BinlogPurgedException(Path dir, long requested, long oldestAvailable) {
    super("binlog entries before " + oldestAvailable + " were purged by the tablet; log_index " + requested
        + " was requested but the oldest binlog entry in " + dir + " is " + oldestAvailable
        + ". This position cannot be resumed from the binlog: restart the partition's sync from its current"
        + " snapshot (mode 0 or 1), which covers the purged entries");
    this.requested = requested;
    this.oldestAvailable = oldestAvailable;
  }

  public long requested() {
    return requested;
  }

  public long oldestAvailable() {
    return oldestAvailable;
  }
}
