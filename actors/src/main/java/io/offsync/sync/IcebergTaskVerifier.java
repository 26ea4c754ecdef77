package io.offsync.sync;

import io.offsync.iceberg.CommitMark;
import io.offsync.iceberg.IcebergCommitter;
import io.offsync.iceberg.IcebergSettings;
import io.offsync.iceberg.IcebergTables;
import io.offsync.protocol.position.Position;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.apache.iceberg.io.CloseableIterable;

/**
 * {@link TaskVerifier} for a task writing an Iceberg table: checks the journal of every subtask of the task's
 * latest incarnation against the table. Every journaled commit must be in the table's current snapshot by its data
 * files (named after subtask, sequence and attempt), with as many rows as journaled (Iceberg's own row counts of
 * the files), and, while its snapshot is still kept (see snapshot expiry), recorded by exactly one snapshot summary
 * whose mark agrees with the journal (rows, end position, attempt). The marks' positions must chain per partition
 * (each commit starts where the one before ended); no snapshot summary and no data file of the subtask may be
 * unknown to the journal; a commit appended twice, or two attempts of one sequence, is a problem. The journal is
 * read before and after the table, so a commit made meanwhile is not a problem. Nothing is changed.
 */
final class IcebergTaskVerifier {

  private IcebergTaskVerifier() {}

  /** A data file of the current snapshot that follows offsync's naming: its sequence, attempt and rows. */
  private record DataFileOf(long seq, String attempt, long rows, String path) {}

  /** What the table holds for the task: the kept snapshots' marks and the current data files, by pid. */
  record TableState(String name, boolean exists, int snapshots, long oldestSnapshotMillis,
      Map<Integer, List<CommitMark>> marks, Map<Integer, TreeMap<Long, List<DataFileOf>>> files) {}

  /** Reads the table of the task (blocking catalog and file-system I/O). */
  static TableState load(IcebergSettings settings, Configuration conf, TableTask.TaskCreated task) {
    TaskSpec spec = task.spec();
    Table table;
    try {
      table = IcebergTables.catalog(settings, spec.dest(), conf)
          .loadTable(IcebergTables.identifier(spec.db(), spec.table()));
    } catch (NoSuchTableException e) {
      return new TableState(spec.db() + "." + spec.table(), false, 0, 0, Map.of(), Map.of());
    }
    Map<Integer, List<CommitMark>> marks = new HashMap<>();
    for (CommitMark m : IcebergCommitter.history(table)) {
      if (m.tid() == task.tid()) {
        marks.computeIfAbsent(m.pid(), k -> new ArrayList<>()).add(m);
      }
    }
    Map<Integer, TreeMap<Long, List<DataFileOf>>> files = new HashMap<>();
    try (CloseableIterable<FileScanTask> scan = table.newScan().planFiles()) {
      for (FileScanTask t : scan) {
        String name = new Path(t.file().location()).getName();
        for (TableTask.Partition p : task.partitions()) {
          OptionalLong seq = IcebergCommitter.seqOf(name, task.tid(), p.pid(), task.incarnation());
          if (seq.isPresent()) {
            files.computeIfAbsent(p.pid(), k -> new TreeMap<>()).computeIfAbsent(seq.getAsLong(),
                k -> new ArrayList<>()).add(new DataFileOf(seq.getAsLong(), IcebergCommitter.attemptOf(name),
                t.file().recordCount(), t.file().location()));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot scan Iceberg table " + table.name() + ": " + e.getMessage(), e);
    }
    int snapshots = 0;
    long oldest = Long.MAX_VALUE;
    for (Snapshot s : table.snapshots()) {
      snapshots++;
      oldest = Math.min(oldest, s.timestampMillis());
    }
    return new TableState(table.name(), true, snapshots, snapshots == 0 ? 0 : oldest, marks, files);
  }

  static TaskVerifier.Report check(TableTask.TaskCreated task, String state, Map<Integer, JournaledFiles> before,
      TableState table, Map<Integer, JournaledFiles> after) {
    TaskSpec spec = task.spec();
    List<String> lines = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    long commits = 0;
    long rows = 0;
    for (TableTask.Partition p : task.partitions()) {
      PartitionCheck c = new PartitionCheck(task, p, before.get(p.pid()), after.get(p.pid()),
          table.marks().getOrDefault(p.pid(), List.of()), table.files().getOrDefault(p.pid(), new TreeMap<>()));
      c.run();
      problems.addAll(c.problems);
      commits += c.journal.files().size();
      rows += c.rowsInTable;
      List<JournaledFiles.Entry> f = c.journal.files();
      lines.add("pid " + p.pid() + ": " + f.size() + " commits"
          + (f.isEmpty() ? "" : " (files " + f.get(0).seq() + " .. " + f.get(f.size() - 1).seq() + ")") + ", "
          + c.rowsInTable + " rows in the table, " + c.journaledRows + " journaled, up to "
          + c.journal.position(Position.start())
          + (c.expired > 0 ? ", " + c.expired + " commits older than the kept snapshots (checked by their data files)"
              : "")
          + (c.journal.pending() != null ? ", committing file " + c.journal.pending().seq() : "")
          + (c.journal.lifecycle() != Subtask.Lifecycle.ACTIVE ? ", " + c.journal.lifecycle() : "")
          + ": " + (c.problems.isEmpty() ? "ok" : c.problems.size() + " problem(s)"));
    }
    String kept = !table.exists() ? "not created yet" : table.snapshots() + " snapshots kept, the oldest from "
        + java.time.Instant.ofEpochMilli(table.oldestSnapshotMillis());
    lines.add(0, "task " + spec.key() + state + ": tid " + task.tid() + ", incarnation " + task.incarnation()
        + ", mode " + spec.mode() + ", Iceberg table " + table.name() + " in " + spec.dest() + " (" + kept + "): "
        + task.partitions().size() + " partitions, " + commits + " commits, " + rows + " rows: "
        + (problems.isEmpty() ? "OK" : problems.size() + " PROBLEM(S)"));
    return new TaskVerifier.Report(spec.key(), List.copyOf(lines), List.copyOf(problems));
  }

  /** The checks of one partition. */
  private static final class PartitionCheck {
    private final TableTask.Partition partition;
    private final JournaledFiles journal;
    private final JournaledFiles later;
    private final TreeMap<Long, List<DataFileOf>> files;
    /** This subtask's marks in the kept snapshots, by sequence (several = committed several times). */
    private final Map<Long, List<CommitMark>> marks = new TreeMap<>();
    final List<String> problems = new ArrayList<>();
    long rowsInTable;
    long journaledRows;
    int expired;

    PartitionCheck(TableTask.TaskCreated task, TableTask.Partition partition, JournaledFiles journal,
        JournaledFiles later, List<CommitMark> partitionMarks, TreeMap<Long, List<DataFileOf>> files) {
      this.partition = partition;
      this.journal = journal;
      this.later = later;
      this.files = files;
      String owner = SubtaskSpec.subtaskId(task.spec().key(), task.incarnation(), partition.pid());
      for (CommitMark m : partitionMarks) {
        if (m.subtask().equals(owner)) {
          marks.computeIfAbsent(m.seq(), k -> new ArrayList<>()).add(m);
        }
      }
    }

    private void problem(String text) {
      problems.add("pid " + partition.pid() + ": " + text);
    }

    void run() {
      long journaledUpTo = journal.walk(partition.firstSeq(), this::problem, (e, expectedFrom) -> {
        journaledRows += e.rows();
        checkMark(e, expectedFrom);
        checkDataFiles(e, expectedFrom);
      });
      for (Map.Entry<Long, List<CommitMark>> m : marks.entrySet()) {
        if (m.getKey() >= journaledUpTo && !later.knows(m.getKey())) {
          problem("a snapshot records commit " + m.getKey() + " of this partition (" + m.getValue().get(0).rows()
              + " rows, up to " + m.getValue().get(0).next() + ") that the journal does not know (the subtask"
              + " adopts it when it next reconciles)");
        }
      }
      for (Map.Entry<Long, List<DataFileOf>> f : files.tailMap(journaledUpTo, true).entrySet()) {
        if (!later.knows(f.getKey()) && !marks.containsKey(f.getKey())) {
          problem("data file " + f.getValue().get(0).path() + " is in the table but its commit is in neither the"
              + " journal nor a kept snapshot");
        }
      }
    }

    private void checkMark(JournaledFiles.Entry e, Position expectedFrom) {
      List<CommitMark> found = marks.getOrDefault(e.seq(), List.of());
      if (found.isEmpty()) {
        expired++;
        return;
      }
      if (found.size() > 1) {
        problem("file " + e.seq() + " was committed " + found.size() + " times (one snapshot each)");
      }
      CommitMark m = found.get(0);
      if (m.rows() != e.rows()) {
        problem("the snapshot of file " + e.seq() + " records " + m.rows() + " rows but the journal says "
            + e.rows());
      }
      if (!Objects.equals(m.next(), e.next())) {
        problem("the snapshot of file " + e.seq() + " ends at " + m.next() + " but the journal resumes at " + e.next()
            + TaskVerifier.gap(m.next(), e.next()));
      }
      if (m.from() != null && !Objects.equals(m.from(), expectedFrom)) {
        problem("the snapshot of file " + e.seq() + " starts at " + m.from() + " but the commit before ends at "
            + expectedFrom + TaskVerifier.gap(expectedFrom, m.from()));
      }
      String attempt = IcebergCommitter.attemptOf(new Path(m.file()).getName());
      if (!e.attempt().isEmpty() && !attempt.equals(e.attempt())) {
        problem("file " + e.seq() + " was committed by attempt " + attempt + " but the journal adopted attempt "
            + e.attempt());
      }
    }

    private void checkDataFiles(JournaledFiles.Entry e, Position expectedFrom) {
      List<DataFileOf> found = files.getOrDefault(e.seq(), List.of());
      if (found.isEmpty()) {
        problem("HOLE: file " + e.seq() + " is journaled as committed (" + e.rows() + " rows, " + expectedFrom
            + " up to " + e.next() + ") but none of its data files is in the table's current snapshot");
        return;
      }
      long rows = found.stream().mapToLong(DataFileOf::rows).sum();
      rowsInTable += rows;
      if (rows != e.rows()) {
        problem("the data files of file " + e.seq() + " hold " + rows + " rows but the journal says " + e.rows()
            + (rows > e.rows() ? " (appended more than once?)" : " (" + (e.rows() - rows) + " rows missing)"));
      }
      if (found.stream().map(DataFileOf::attempt).distinct().count() > 1) {
        problem("file " + e.seq() + " has data files of several write attempts in the table: "
            + found.stream().map(DataFileOf::path).toList());
      }
      if (found.stream().map(DataFileOf::path).distinct().count() < found.size()) {
        problem("a data file of file " + e.seq() + " is in the table more than once: "
            + found.stream().map(DataFileOf::path).toList());
      }
    }
  }
}
