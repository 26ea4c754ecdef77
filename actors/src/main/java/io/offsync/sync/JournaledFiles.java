package io.offsync.sync;

import io.offsync.protocol.position.Position;
import io.offsync.sink.CommitRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.hadoop.fs.Path;

/**
 * What a subtask's journal says is committed ({@link TaskVerifier} folds the events it reads): the files in
 * sequence order, with the rows, bytes, end position and write attempt journaled for each, and the commit in
 * progress.
 *
 * @param files committed (FileCommitted) and adopted (FileAdopted) files, by sequence
 * @param pending the journaled FileCommitting not yet committed, or null
 * @param lifecycle the journaled life cycle (FAILED with its reason in {@code reason})
 */
record JournaledFiles(List<Entry> files, Subtask.FileCommitting pending, Subtask.Lifecycle lifecycle,
    String reason) {

  /**
   * One committed file as journaled.
   *
   * @param adopted whether it was adopted from the destination (FileAdopted) rather than committed
   */
  record Entry(long seq, long rows, long bytes, Position next, String attempt, boolean adopted) {}

  /** The position reading resumes at: after the last file, or {@code start} before the first. */
  Position position(Position start) {
    return files.isEmpty() ? start : files.get(files.size() - 1).next();
  }

  /**
   * Visits the committed files in sequence order, each with the position it must start at (the one before's end,
   * the first's {@link Position#start()}), and reports each sequence the journal skips.
   *
   * @return the sequence after the last file ({@code firstSeq} if there is none)
   */
  long walk(long firstSeq, Consumer<String> problem, BiConsumer<Entry, Position> visit) {
    Position from = Position.start();
    long seq = firstSeq;
    for (Entry e : files) {
      if (e.seq() != seq) {
        problem.accept("the journal skips from file " + seq + " to " + e.seq());
      }
      seq = e.seq() + 1;
      visit.accept(e, from);
      from = e.next();
    }
    return seq;
  }

  /** Whether this journal has committed file {@code seq} or is committing it. */
  boolean knows(long seq) {
    return files.stream().anyMatch(x -> x.seq() == seq) || (pending != null && pending.seq() == seq);
  }

  /** Folds a subtask's events, oldest first. */
  static JournaledFiles fold(List<Object> events) {
    List<Entry> files = new ArrayList<>();
    Subtask.FileCommitting pending = null;
    Subtask.Lifecycle lifecycle = Subtask.Lifecycle.ACTIVE;
    String reason = "";
    for (Object e : events) {
      if (e instanceof Subtask.FileCommitting c) {
        pending = c;
      } else if (e instanceof Subtask.FileCommitted c && pending != null && pending.seq() == c.seq()) {
        files.add(new Entry(c.seq(), pending.rows(), pending.bytes(), pending.next(),
            CommitRecord.attemptOf(new Path(pending.tmp()).getName()), false));
        pending = null;
      } else if (e instanceof Subtask.FileAdopted a) {
        files.add(new Entry(a.seq(), a.rows(), a.bytes(), a.next(), a.attempt(), true));
        pending = null;
      } else if (e instanceof Subtask.Paused) {
        lifecycle = Subtask.Lifecycle.PAUSED;
      } else if (e instanceof Subtask.Resumed) {
        lifecycle = Subtask.Lifecycle.ACTIVE;
      } else if (e instanceof Subtask.Succeeded) {
        lifecycle = Subtask.Lifecycle.SUCCEEDED;
      } else if (e instanceof Subtask.Failed f) {
        lifecycle = Subtask.Lifecycle.FAILED;
        reason = f.reason();
      }
    }
    return new JournaledFiles(List.copyOf(files), pending, lifecycle, reason);
  }
}
