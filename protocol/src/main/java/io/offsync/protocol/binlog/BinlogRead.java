package io.offsync.protocol.binlog;

import io.offsync.protocol.openmldb.Tablet;

/** What {@link BinlogReader#next()} returns: the next entry, or nothing more for now. */
public sealed interface BinlogRead permits BinlogRead.Entry, BinlogRead.CaughtUp {

  BinlogRead CAUGHT_UP = new CaughtUp();

  /** The entry with {@code log_index} equal to the reader's previous {@link BinlogReader#nextLogIndex()}. */
  record Entry(Tablet.LogEntry entry) implements BinlogRead {}

  /** The reader is at the live end of the binlog; call again later to see newer entries and files. */
  record CaughtUp() implements BinlogRead {}
}
