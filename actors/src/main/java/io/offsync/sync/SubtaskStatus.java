package io.offsync.sync;

import io.offsync.protocol.position.Position;
import io.offsync.serialization.CborSerializable;

/**
 * What status shows for one subtask (one partition of a table task).
 *
 * @param tid table id
 * @param pid partition id
 * @param db database
 * @param table table name
 * @param mode sync mode (0, 1, 2)
 * @param startTs start timestamp of mode 1 (0 otherwise)
 * @param dest destination directory
 * @param format part file format ({@code parquet} or {@code csv})
 * @param state where the subtask is
 * @param position the journaled read position: everything before it is committed
 * @param rows rows committed
 * @param bytes bytes of committed files
 * @param files files committed
 * @param rowsPerSecond committed rows per second over the last minute
 * @param collectorHost the machine whose collector it reads from, empty when none
 * @param reason why it is FAILED or REASSIGNING, empty otherwise
 * @param lastUpdate epoch ms of the last sign of life: contact with the stream (every pack, including the
 *     collector's heartbeat while the partition is quiet), a commit or a state change, whichever is latest; an
 *     idle RUNNING subtask stays within the collector's heartbeat interval (the original's lastUpdateTime)
 * @param lastCommit epoch ms of the last committed file, 0 before the first
 * @param incarnation which creation of the table task this subtask belongs to
 * @param streamOpens streams opened since the subtask started on its current node (first open and reopens)
 * @param streamFailures stream or commit failures counted against the retry budget since it started there
 * @param partitionBy the task's time partitioning ({@code COLUMN:unit}), empty when unpartitioned
 */
public record SubtaskStatus(
    int tid,
    int pid,
    String db,
    String table,
    int mode,
    long startTs,
    String dest,
    String format,
    SubtaskState state,
    Position position,
    long rows,
    long bytes,
    long files,
    double rowsPerSecond,
    String collectorHost,
    String reason,
    long lastUpdate,
    long lastCommit,
    long incarnation,
    long streamOpens,
    long streamFailures,
    String partitionBy)
    implements CborSerializable {}
