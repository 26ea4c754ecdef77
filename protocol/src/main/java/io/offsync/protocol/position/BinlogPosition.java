package io.offsync.protocol.position;

/**
 * A position in a partition's binlog.
 *
 * @param nextLogIndex the next {@code log_index} to read, inclusive (log indexes start at 1)
 */
public record BinlogPosition(long nextLogIndex) implements Position {

  public BinlogPosition {
    if (nextLogIndex < 1) {
      throw new IllegalArgumentException("binlog log_index starts at 1, got " + nextLogIndex);
    }
  }

  @Override
  public String toString() {
    return "binlog(" + nextLogIndex + ")";
  }
}
