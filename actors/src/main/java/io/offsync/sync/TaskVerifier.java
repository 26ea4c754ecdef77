package io.offsync.sync;

import io.offsync.iceberg.IcebergSettings;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import io.offsync.sink.CommitOps;
import io.offsync.sink.CommitRecord;
import io.offsync.sink.CommittedFile;
import io.offsync.sink.DestinationUser;
import io.offsync.sink.FileNames;
import io.offsync.sink.PartitionBy;
import io.offsync.sink.PartitionedFiles;
import io.offsync.sink.OutputFormat;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Checks a table task's output against its journal and against the records in the files, at any time, without
 * stopping the task: for every subtask of the task's latest incarnation, every file the journal says is
 * committed must be in the destination with the journaled name, attempt, row count (counted in the file), end
 * position and length; the files' records must chain without gap or overlap (each starts where the one before
 * ended, the first at the start); and no final file of the partition may be unknown to the journal. The journal is
 * read before and after the destination is listed, so a file committed meanwhile is not a problem. Nothing is
 * changed. Each problem names the file and, for a hole, the rows and positions missing. A task writing an Iceberg
 * table is checked against the table's snapshots and data files instead ({@link IcebergTaskVerifier}).
 */
public final class TaskVerifier {

  private TaskVerifier() {}

  /** The outcome: what was checked, line by line, and every problem found (none = consistent). */
  public record Report(String task, List<String> lines, List<String> problems) {
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  /**
   * Verifies the latest incarnation of the task of {@code db.table} (running, paused, completed or deleted: its
   * files stay). Fails with a {@link SyncTaskException} when no task was ever created for the table.
   */
  public static CompletionStage<Report> verify(ActorSystem<?> system, Configuration hadoopConf, DestinationUser user,
      Executor blocking, String db, String table) {
    String key = TaskSpec.key(db, table);
    return events(system, "TableTask|" + key).thenCompose(events -> {
      TableTask.TaskCreated created = null;
      String ended = "";
      for (Object e : events) {
        if (e instanceof TableTask.TaskCreated c) {
          created = c;
          ended = "";
        } else if (e instanceof TableTask.TaskDeleted) {
          ended = " (deleted)";
        } else if (e instanceof TableTask.TaskCompleted) {
          ended = " (completed)";
        }
      }
      if (created == null) {
        throw new SyncTaskException("no sync task was ever created for " + key + "; check the database and table");
      }
      TableTask.TaskCreated task = created;
      String state = ended;
      if (task.spec().format() == OutputFormat.ICEBERG) {
        IcebergSettings settings = IcebergSettings.fromConfig(system.settings().config());
        return journals(system, task).thenCompose(before -> CompletableFuture
            .supplyAsync(() -> as(user, () -> IcebergTaskVerifier.load(settings, hadoopConf, task)), blocking)
            .thenCompose(iceberg -> journals(system, task).thenApplyAsync(
                after -> IcebergTaskVerifier.check(task, state, before, iceberg, after), blocking)));
      }
      return journals(system, task).thenCompose(before -> CompletableFuture
          .supplyAsync(() -> as(user, () -> listing(hadoopConf, task)), blocking)
          .thenCompose(files -> journals(system, task).thenApplyAsync(
              after -> as(user, () -> check(hadoopConf, task, state, before, files, after)), blocking)));
    });
  }

  /** {@code body} as the destination's user (its Kerberos principal, when it has one). */
  private static <T> T as(DestinationUser user, Supplier<T> body) {
    try {
      return user.call(body::get);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static CompletionStage<List<Object>> events(ActorSystem<?> system, String persistenceId) {
    JdbcReadJournal journal = PersistenceQuery.get(system.classicSystem())
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    return journal.currentEventsByPersistenceId(persistenceId, 0, Long.MAX_VALUE)
        .map(EventEnvelope::event)
        .runWith(Sink.seq(), system);
  }

  /** Each partition's journaled files, by pid. */
  private static CompletionStage<Map<Integer, JournaledFiles>> journals(ActorSystem<?> system,
      TableTask.TaskCreated task) {
    Map<Integer, JournaledFiles> out = new HashMap<>();
    CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
    for (TableTask.Partition p : task.partitions()) {
      String id = "Subtask|" + SubtaskSpec.subtaskId(task.spec().key(), task.incarnation(), p.pid());
      all = all.thenCombine(events(system, id).thenApply(JournaledFiles::fold), (x, j) -> {
        synchronized (out) {
          out.put(p.pid(), j);
        }
        return null;
      });
    }
    return all.thenApply(x -> out);
  }

  /**
   * The final files of the task's table in dest by pid and seq (of a time-partitioned task: the group markers),
   * the files in its partition directories by pid and seq, and the tmp files by pid.
   */
  private record Listing(Map<Integer, TreeMap<Long, Path>> finals, Map<Integer, TreeMap<Long, List<Path>>> members,
      Map<Integer, Integer> tmps) {}

  private static Listing listing(Configuration conf, TableTask.TaskCreated task) {
    Map<Integer, TreeMap<Long, Path>> finals = new HashMap<>();
    Map<Integer, TreeMap<Long, List<Path>>> members = new HashMap<>();
    Map<Integer, Integer> tmps = new HashMap<>();
    try {
      FileSystem fs = CommitOps.fileSystem(task.spec().dest(), conf);
      Path dest = new Path(task.spec().dest());
      Optional<PartitionBy> by = task.spec().partitioning();
      List<FileStatus> files = new ArrayList<>();
      for (FileStatus st : listOrEmpty(fs, by.isPresent() ? new Path(dest, FileNames.GROUPS_DIR) : dest)) {
        files.add(st);
      }
      for (FileStatus dir : by.isPresent() ? listOrEmpty(fs, dest) : new FileStatus[0]) {
        if (dir.isDirectory() && dir.getPath().getName().startsWith(by.get().directory(""))) {
          for (FileStatus st : listOrEmpty(fs, dir.getPath())) {
            for (TableTask.Partition p : task.partitions()) {
              OptionalLong seq = FileNames.seqOf(st.getPath().getName(), task.tid(), p.pid());
              if (st.isFile() && seq.isPresent()) {
                members.computeIfAbsent(p.pid(), k -> new TreeMap<>())
                    .computeIfAbsent(seq.getAsLong(), k -> new ArrayList<>()).add(st.getPath());
              }
            }
          }
        }
      }
      for (FileStatus st : files) {
        for (TableTask.Partition p : task.partitions()) {
          OptionalLong seq = FileNames.seqOf(st.getPath().getName(), task.tid(), p.pid());
          if (st.isFile() && seq.isPresent()) {
            finals.computeIfAbsent(p.pid(), k -> new TreeMap<>()).put(seq.getAsLong(), st.getPath());
          }
        }
      }
      for (FileStatus st : listOrEmpty(fs, FileNames.tmpDir(dest))) {
        for (TableTask.Partition p : task.partitions()) {
          if (FileNames.seqOf(st.getPath().getName(), task.tid(), p.pid()).isPresent()) {
            tmps.merge(p.pid(), 1, Integer::sum);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + task.spec().dest() + ": " + e.getMessage(), e);
    }
    return new Listing(finals, members, tmps);
  }

  private static FileStatus[] listOrEmpty(FileSystem fs, Path dir) throws IOException {
    try {
      return fs.listStatus(dir);
    } catch (FileNotFoundException e) {
      return new FileStatus[0];
    }
  }

  private static Report check(Configuration conf, TableTask.TaskCreated task, String state,
      Map<Integer, JournaledFiles> before, Listing listing, Map<Integer, JournaledFiles> after) {
    TaskSpec spec = task.spec();
    List<String> lines = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    long totalFiles = 0;
    long totalRows = 0;
    FileSystem fs;
    try {
      fs = CommitOps.fileSystem(spec.dest(), conf);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (TableTask.Partition p : task.partitions()) {
      PartitionCheck c = new PartitionCheck(fs, task, p, before.get(p.pid()),
          listing.finals().getOrDefault(p.pid(), new TreeMap<>()),
          listing.members().getOrDefault(p.pid(), new TreeMap<>()), after.get(p.pid()));
      c.run();
      problems.addAll(c.problems);
      totalFiles += c.journal.files().size();
      totalRows += c.rowsInFiles;
      int tmp = listing.tmps().getOrDefault(p.pid(), 0);
      lines.add("pid " + p.pid() + ": " + c.journal.files().size() + " files" + c.seqRange() + ", " + c.rowsInFiles
          + " rows in the files, " + c.journaledRows + " journaled, up to " + c.journal.position(Position.start())
          + (c.journal.pending() != null ? ", committing file " + c.journal.pending().seq() : "")
          + (tmp > 0 ? ", " + tmp + " tmp file(s) being written" : "")
          + (c.journal.lifecycle() != Subtask.Lifecycle.ACTIVE ? ", " + c.journal.lifecycle() : "")
          + ": " + (c.problems.isEmpty() ? "ok" : c.problems.size() + " problem(s)"));
    }
    lines.add(0, "task " + spec.key() + state + ": tid " + task.tid() + ", incarnation " + task.incarnation()
        + ", mode " + spec.mode() + ", dest " + spec.dest() + ": " + task.partitions().size() + " partitions, "
        + totalFiles + " files, " + totalRows + " rows: " + (problems.isEmpty() ? "OK" : problems.size()
        + " PROBLEM(S)"));
    return new Report(spec.key(), List.copyOf(lines), List.copyOf(problems));
  }

  /** Between {@code end} (where rows were read up to) and {@code start} (where reading went on). */
  static String gap(Position end, Position start) {
    if (end instanceof BinlogPosition a && start instanceof BinlogPosition b) {
      long d = b.nextLogIndex() - a.nextLogIndex();
      return d > 0 ? ": HOLE of binlog entries " + a.nextLogIndex() + ".." + (b.nextLogIndex() - 1)
          : ": OVERLAP of binlog entries " + b.nextLogIndex() + ".." + (a.nextLogIndex() - 1);
    }
    return ": the ranges do not join";
  }

  /** The checks of one partition. */
  private static final class PartitionCheck {
    private final FileSystem fs;
    private final TableTask.TaskCreated task;
    private final TableTask.Partition partition;
    private final JournaledFiles journal;
    private final TreeMap<Long, Path> finals;
    /** The files in partition directories (time-partitioned task), by seq; each must be its group's member. */
    private final TreeMap<Long, List<Path>> members;
    private final JournaledFiles later;
    private final String owner;
    final List<String> problems = new ArrayList<>();
    long rowsInFiles;
    long journaledRows;

    PartitionCheck(FileSystem fs, TableTask.TaskCreated task, TableTask.Partition partition, JournaledFiles journal,
        TreeMap<Long, Path> finals, TreeMap<Long, List<Path>> members, JournaledFiles later) {
      this.fs = fs;
      this.task = task;
      this.partition = partition;
      this.journal = journal;
      this.finals = finals;
      this.members = members;
      this.later = later;
      this.owner = SubtaskSpec.subtaskId(task.spec().key(), task.incarnation(), partition.pid());
    }

    String seqRange() {
      List<JournaledFiles.Entry> f = journal.files();
      return f.isEmpty() ? "" : " (" + name(f.get(0).seq()) + " .. " + name(f.get(f.size() - 1).seq()) + ")";
    }

    private String name(long seq) {
      return FileNames.name(task.tid(), partition.pid(), seq, task.spec().format());
    }

    private void problem(String text) {
      problems.add("pid " + partition.pid() + ": " + text);
    }

    void run() {
      Position expectedFrom = Position.start();
      long expectedSeq = partition.firstSeq();
      for (JournaledFiles.Entry e : journal.files()) {
        journaledRows += e.rows();
        if (e.seq() != expectedSeq) {
          problem("the journal skips from file " + expectedSeq + " to " + e.seq());
        }
        expectedSeq = e.seq() + 1;
        Path path = finals.get(e.seq());
        if (path == null) {
          problem("HOLE: " + name(e.seq()) + " is journaled as committed (" + e.rows() + " rows, " + expectedFrom
              + " up to " + e.next() + ") but is not in the destination");
          expectedFrom = e.next();
          continue;
        }
        try {
          checkFile(e, path, expectedFrom);
        } catch (IOException | RuntimeException ex) {
          problem(path.getName() + " cannot be read: " + ex.getMessage());
        }
        expectedFrom = e.next();
      }
      for (Map.Entry<Long, List<Path>> m : members.tailMap(expectedSeq, true).entrySet()) {
        if (!finals.containsKey(m.getKey())) {
          problem(m.getValue() + ": part file(s) of group " + m.getKey() + " without its marker in "
              + FileNames.GROUPS_DIR + " are not in the journal (their rows are not counted)");
        }
      }
      for (Map.Entry<Long, Path> f : finals.tailMap(expectedSeq, true).entrySet()) {
        boolean committedSince = later.files().stream().anyMatch(x -> x.seq() == f.getKey())
            || (later.pending() != null && later.pending().seq() == f.getKey());
        if (!committedSince) {
          problem(f.getValue().getName() + " is in the destination but not in the journal (its rows are not"
              + " counted; the subtask adopts it when it next reconciles, if its record allows)");
        }
      }
    }

    private void checkFile(JournaledFiles.Entry e, Path path, Position expectedFrom) throws IOException {
      CommittedFile file = CommittedFile.read(fs, path).orElse(null);
      if (file == null) {
        problem("HOLE: " + path.getName() + " disappeared while verifying");
        return;
      }
      String n = path.getName();
      long rows;
      long length;
      if (CommittedFile.isGroup(path)) {
        long[] rowsAndBytes = checkMembers(file);
        rows = rowsAndBytes[0];
        length = rowsAndBytes[1];
      } else {
        rows = file.countRows(fs);
        length = file.length();
      }
      rowsInFiles += rows;
      if (rows != e.rows()) {
        problem(n + " holds " + rows + " rows but the journal says " + e.rows()
            + (rows < e.rows() ? " (" + (e.rows() - rows) + " rows missing)" : ""));
      }
      if (length != e.bytes()) {
        problem(n + " has " + length + " bytes but the journal says " + e.bytes());
      }
      CommitRecord r = file.record();
      if (r == null) {
        return; // written before files carried a record: rows and length are all there is to compare
      }
      if (r.seq() != e.seq() || r.tid() != task.tid() || r.pid() != partition.pid()
          || (!r.owner().isEmpty() && !r.owner().equals(owner))) {
        problem(n + " carries the record of subtask '" + r.owner() + "' file " + r.seq() + " (tid " + r.tid()
            + ", pid " + r.pid() + "), not '" + owner + "' file " + e.seq());
      }
      if (!r.attempt().equals(e.attempt())) {
        problem(n + " was written by attempt " + r.attempt() + " but the journal committed attempt " + e.attempt()
            + ": the journal confirmed another file than the one there");
      }
      if (r.rows() != e.rows()) {
        problem(n + " records " + r.rows() + " rows but the journal says " + e.rows());
      }
      if (!Objects.equals(r.next(), e.next())) {
        problem(n + " ends at " + r.next() + " but the journal resumes at " + e.next() + gap(r.next(), e.next()));
      }
      if (r.from() != null && !Objects.equals(r.from(), expectedFrom)) {
        problem(n + " starts at " + r.from() + " but the file before ends at " + expectedFrom
            + gap(expectedFrom, r.from()));
      }
    }

    /**
     * Checks every file a group's marker names: there, its rows and length as the marker says, its own record of
     * the same write attempt and group; and no other file of the group's sequence in a partition directory.
     *
     * @return the rows counted in the files and their bytes
     */
    private long[] checkMembers(CommittedFile marker) throws IOException {
      CommitRecord r = marker.record();
      if (r == null) {
        problem("group marker " + marker.path() + " holds no commit record");
        return new long[] {0, 0};
      }
      long rows = 0;
      long bytes = 0;
      List<Path> expected = new ArrayList<>();
      for (CommitRecord.GroupPart part : r.group()) {
        Path p = PartitionedFiles.memberFinal(marker.path(), part.partition());
        expected.add(p);
        Optional<CommittedFile> f = CommittedFile.read(fs, p);
        String n = part.partition() + "/" + p.getName();
        if (f.isEmpty()) {
          problem("HOLE: " + n + " of group " + r.seq() + " (" + part.rows() + " rows) is not in the destination");
          continue;
        }
        long counted = f.get().countRows(fs);
        rows += counted;
        bytes += f.get().length();
        if (counted != part.rows() || f.get().length() != part.bytes()) {
          problem(n + " holds " + counted + " rows and " + f.get().length() + " bytes but its group's marker says "
              + part.rows() + " and " + part.bytes());
        }
        CommitRecord own = f.get().record();
        if (own == null || !own.attempt().equals(r.attempt()) || own.seq() != r.seq()
            || !own.group().equals(PartitionedFiles.inFiles(r.group()))) {
          problem(n + " does not carry the record of group " + r.seq() + " attempt " + r.attempt() + ": " + own);
        }
      }
      for (Path p : members.getOrDefault(r.seq(), List.of())) {
        if (expected.stream().noneMatch(x -> x.toUri().getPath().equals(p.toUri().getPath()))) {
          problem(p.getParent().getName() + "/" + p.getName() + " is not a file of its group " + r.seq()
              + " (the marker names " + r.group().size() + " files): a duplicate of rows of that group");
        }
      }
      return new long[] {rows, bytes};
    }
  }
}
