package io.offsync.sync;

import io.offsync.serialization.CborSerializable;
import java.util.List;

/**
 * The status of one table task: one record per subtask, in partition order; empty when no task exists.
 *
 * @param key {@code db.table}
 * @param subtasks per-partition status
 */
public record TaskStatus(String key, List<SubtaskStatus> subtasks) implements CborSerializable {}
