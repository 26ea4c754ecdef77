package io.offsync.protocol.binlog;

import java.nio.file.Path;

/**
 * One binlog file of a partition.
 *
 * @param path the file, {@code <binlog dir>/NNNNNNNN.log}
 * @param fileIndex the number in its name
 * @param firstLogIndex {@code log_index} of its first entry, or {@link #NO_ENTRY} when it holds no complete entry
 *     (a file just created, or left empty by a tablet crash)
 */
public record BinlogFile(Path path, int fileIndex, long firstLogIndex) {

  /** {@link #firstLogIndex()} of a file without a complete entry (log indexes start at 1). */
  public static final long NO_ENTRY = 0;

  public boolean hasEntries() {
    return firstLogIndex != NO_ENTRY;
  }
}
