package io.offsync.protocol.position;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * Where a partition's read stands: in the disk snapshot (an exact RocksDB key of index 0) or in the binlog
 * (a log index). A position always names the next row to read, inclusive; everything before it has been read.
 * Positions are values: they are journaled by subtasks and sent to collectors to resume a stream.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "phase")
@JsonSubTypes({
  @JsonSubTypes.Type(value = SnapshotPosition.class, name = "snapshot"),
  @JsonSubTypes.Type(value = BinlogPosition.class, name = "binlog")
})
public sealed interface Position permits SnapshotPosition, BinlogPosition {

  /** The beginning of a sync: the first row of the partition's current snapshot. */
  static Position start() {
    return SnapshotPosition.START;
  }
}
