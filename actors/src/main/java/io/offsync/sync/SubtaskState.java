package io.offsync.sync;

/** The states of a subtask, as the original SyncTool names them, plus PAUSED. */
public enum SubtaskState {
  /** Assigned, no data has arrived yet (the stream is opening, or open at the very start of the partition). */
  INIT,
  /** The stream is open where the subtask left off, or data is flowing into the commit sink. */
  RUNNING,
  /** The stream was lost (collector gone, leader moved, stream error): waiting to reopen from the journaled position. */
  REASSIGNING,
  /** Stopped by the user; resumes from its journaled position. */
  PAUSED,
  /** Mode 0 finished: every row up to the binlog end seen after the snapshot is committed. */
  SUCCESS,
  /** Gave up after the retry policy; {@code reason} says why. Committed files stay. */
  FAILED
}
