package io.offsync.sync;

/**
 * Fault injection between the steps of the exactly-once commit protocol, for tests. Production uses {@link #NONE}.
 *
 * <p>A subtask calls {@link #at} when it reaches each point, with the file at hand. An implementation may
 * <ul>
 *   <li>return: the protocol goes on;</li>
 *   <li>throw {@link Halt}: the subtask does nothing more for this file, as if its process had died at this point
 *       (a crash test then terminates the ActorSystem and starts a new one on the same journal);</li>
 *   <li>throw any other exception: the commit fails, the stream is torn down and reopened from the journaled
 *       position after backoff (an in-process fault).</li>
 * </ul>
 */
@FunctionalInterface
public interface CommitFaults {

  /** Where in the protocol the subtask is. */
  enum Step {
    /** Between 1 and 2: the file is durable in {@code _tmp}, FileCommitting is not journaled yet. */
    ROLLED,
    /** Between 2 and 3: FileCommitting is journaled, the file is not renamed yet. */
    JOURNALED,
    /** Between 3 and 4: the file is renamed to its final name, FileCommitted is not journaled yet. */
    RENAMED,
    /**
     * Inside 3 for a group of time-partitioned files: one more member renamed (the group's marker is written),
     * those after it not yet.
     */
    MEMBER_RENAMED
  }

  /** No faults. */
  CommitFaults NONE = (step, tid, pid, seq) -> {};

  /**
   * Called at {@code step} for file {@code seq} of partition (tid, pid).
   *
   * @throws Halt to stop the subtask dead at this point
   */
  void at(Step step, int tid, int pid, long seq);

  /** Thrown by a fault to simulate a process death at a step: nothing after it happens. */
  final class Halt extends RuntimeException {
    public Halt(String message) {
      super(message, null, false, false);
    }
  }
}
