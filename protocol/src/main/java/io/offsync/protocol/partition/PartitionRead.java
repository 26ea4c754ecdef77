package io.offsync.protocol.partition;

import io.offsync.protocol.position.Position;

/** One step of a {@link PartitionReader}: a row, a skipped entry, the live tail, or the end of a mode-0 read. */
public sealed interface PartitionRead
    permits PartitionRead.Row, PartitionRead.Skipped, PartitionRead.CaughtUp, PartitionRead.End {

  /** The position after this step: reading on from it continues exactly after what this step consumed. */
  Position after();

  /**
   * A row to sync.
   *
   * @param row the encoded row (OpenMLDB row format, snappy already undone)
   * @param after the position of the next row
   */
  record Row(byte[] row, Position after) implements PartitionRead {}

  /**
   * An entry consumed without a row: a binlog delete (deletes are not propagated), a put without index 0's
   * dimension (the row's copy for another index; its own partition sends it), a mode-1 row older than
   * {@code startTs}, or the snapshot → binlog hand-over of an empty or absent snapshot. Only the position moves.
   */
  record Skipped(Position after) implements PartitionRead {}

  /** Nothing more in the binlog right now (live tail); call {@code next()} again later. Position unchanged. */
  record CaughtUp(Position after) implements PartitionRead {}

  /** Mode 0 only: the read is complete; {@code next()} keeps returning this. */
  record End(Position after) implements PartitionRead {}
}
