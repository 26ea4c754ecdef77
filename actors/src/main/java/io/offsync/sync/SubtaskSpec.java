package io.offsync.sync;

import io.offsync.serialization.CborSerializable;

/**
 * One partition of a table task, as the table task journals it.
 *
 * @param task the table task's spec
 * @param incarnation the table task's creation count: a deleted and recreated task gets new subtask journals
 * @param tid table id
 * @param pid partition id
 * @param firstSeq the sequence of this subtask's first part file: after every part file of (tid, pid) already in
 *     dest, so a recreated task never overwrites committed files
 */
public record SubtaskSpec(TaskSpec task, long incarnation, int tid, int pid, long firstSeq)
    implements CborSerializable {

  /** Unique per incarnation and partition; also the persistence id's suffix. */
  public String subtaskId() {
    return subtaskId(task.key(), incarnation, pid);
  }

  /** {@link #subtaskId()} of partition {@code pid} of incarnation {@code incarnation} of task {@code taskKey}. */
  public static String subtaskId(String taskKey, long incarnation, int pid) {
    return taskKey + "|" + incarnation + "|" + pid;
  }
}
