package io.offsync.sync;

import io.offsync.collector.RowPack;
import io.offsync.iceberg.IcebergDestination;
import io.offsync.iceberg.IcebergSettings;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.position.Position;
import io.offsync.sink.CommitOps;
import io.offsync.sink.CommitRecord;
import io.offsync.sink.CommitSink;
import io.offsync.sink.CommittedFile;
import io.offsync.sink.FileNames;
import io.offsync.sink.IoTimeout;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.PartLayout;
import io.offsync.sink.PartitionedFiles;
import io.offsync.sink.RolledFile;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * One subtask's view of its destination: the part files (or the Iceberg table) it writes, commits, reconciles
 * with its journal and adopts from. It holds no state of its own; the {@link Subtask} journals every outcome.
 *
 * <p>Every file-system call is bounded by {@code fs-call-timeout} and runs as the destination user; a call that
 * outlives it fails its future, and the subtask treats that like any other failure (reopen with backoff).
 */
final class SubtaskDestination {

  private final SubtaskSpec spec;
  private final SyncEnvironment env;
  private final IoTimeout fsCalls;
  /** The task's Iceberg table when the format is iceberg, else null (part files). */
  private final IcebergDestination iceberg;
  /** The bound on open files of a time-partitioned group. */
  private final int maxOpenPartitionFiles;

  SubtaskDestination(SubtaskSpec spec, SyncEnvironment env, IcebergSettings icebergSettings, IoTimeout fsCalls,
      int maxOpenPartitionFiles) {
    this.spec = spec;
    this.env = env;
    this.fsCalls = fsCalls;
    this.maxOpenPartitionFiles = maxOpenPartitionFiles;
    TaskSpec t = spec.task();
    this.iceberg = t.format() != OutputFormat.ICEBERG ? null : new IcebergDestination(icebergSettings,
        env.hadoopConf(), t.dest(), t.db(), t.table(), spec.subtaskId(), spec.tid(), spec.pid(), spec.incarnation(),
        t.partitionBy());
  }

  /** Creates the Iceberg table or evolves its schema to {@code schema}; nothing to do for part files. */
  void openForWrite(TableSchema schema) throws IOException {
    if (iceberg != null) {
      fsCalls.call("opening Iceberg table " + spec.task().key() + " in " + spec.task().dest(), () -> {
        iceberg.openForWrite(schema);
        return null;
      });
    }
  }

  /** The sink that turns the stream's packs into rolled (durable, uncommitted) files from {@code nextSeq} on. */
  Flow<RowPack, RolledFile, NotUsed> sink(TableSchema schema, long nextSeq, Position from) throws IOException {
    TaskSpec t = spec.task();
    FileSystem fs = env.user().fileSystem(t.dest(), env.hadoopConf());
    return iceberg != null
        ? CommitSink.flow(fs, new Path(t.dest()), iceberg.layout(), spec.tid(), spec.pid(), schema, t.roll(),
            nextSeq, from, fsCalls, spec.subtaskId())
        : t.partitioning().isPresent() ? partitioned(fs, schema, nextSeq, from)
        : CommitSink.flow(fs, new Path(t.dest()), spec.tid(), spec.pid(), schema, t.format(), t.roll(), nextSeq,
            from, fsCalls, spec.subtaskId());
  }

  private Flow<RowPack, RolledFile, NotUsed> partitioned(FileSystem fs, TableSchema schema, long nextSeq,
      Position from) {
    TaskSpec t = spec.task();
    Path dest = fs.makeQualified(new Path(t.dest()));
    return CommitSink.flow(fs, dest, PartLayout.files(fs, dest, spec.tid(), spec.pid(), t.format()), spec.tid(),
        spec.pid(), schema, t.roll(), nextSeq, from, fsCalls, spec.subtaskId(), t.partitionBy(),
        maxOpenPartitionFiles);
  }

  /** What the commit of {@code f} does, for messages. */
  String describeCommit(RolledFile f) {
    return iceberg != null ? "committing " + f.finalPath() + " to Iceberg table " + spec.task().key()
        : "renaming " + f.tmp() + " to " + f.finalPath();
  }

  /**
   * Step 3: commits {@code f} (rename, or Iceberg append). Idempotent: a commit that timed out may still happen
   * later, and the retry then finds it done.
   */
  CompletableFuture<Object> commit(RolledFile f) {
    return fsCalls.async(describeCommit(f), () -> iceberg != null ? iceberg.commit(f)
        : CommitOps.commit(CommitOps.fileSystem(spec.task().dest(), env.hadoopConf()), f,
            member -> env.faults().at(CommitFaults.Step.MEMBER_RENAMED, spec.tid(), spec.pid(), f.seq())));
  }

  /**
   * Reads the final files from sequence {@code from} on, as long as there are some (files the journal does not
   * know), then deletes the stray tmp files. For an Iceberg table: the subtask's commits from {@code from} on (from
   * the snapshot summaries), then the data files no commit references.
   */
  CompletableFuture<List<CommittedFile>> reconcile(long from) {
    return fsCalls.async("reconciling partition " + spec.pid() + " in " + spec.task().dest(), () -> {
      if (iceberg != null) {
        return iceberg.reconcile(from);
      }
      FileSystem fs = CommitOps.fileSystem(spec.task().dest(), env.hadoopConf());
      Path dest = fs.makeQualified(new Path(spec.task().dest()));
      List<CommittedFile> unknown = new ArrayList<>();
      boolean partitioned = spec.task().partitioning().isPresent();
      for (long seq = from; ; seq++) {
        Optional<CommittedFile> f = partitioned ? group(fs, dest, seq)
            : CommittedFile.read(fs, FileNames.finalPath(dest, spec.tid(), spec.pid(), seq, spec.task().format()));
        if (f.isEmpty()) {
          break;
        }
        unknown.add(f.get());
      }
      CommitOps.deleteStrayTmp(fs, dest, spec.tid(), spec.pid(), Set.of());
      return unknown;
    });
  }

  /**
   * The marker of group {@code seq} as a committed file, after rolling the group
   * forward when it is this subtask's (a journal that lost its tail may have lost the FileCommitting of a group
   * whose renames had begun); empty if there is no marker.
   */
  private Optional<CommittedFile> group(FileSystem fs, Path dest, long seq) throws IOException {
    Path marker = FileNames.groupPath(dest, spec.tid(), spec.pid(), seq, spec.task().format());
    Optional<CommittedFile> found = CommittedFile.read(fs, marker);
    CommitRecord r = found.map(CommittedFile::record).orElse(null);
    if (r == null || !r.owner().equals(spec.subtaskId()) || r.seq() != seq || r.group().isEmpty()) {
      return found;
    }
    RolledFile group = PartitionedFiles.group(PartitionedFiles.groupTmp(FileNames.tmpDir(dest), marker,
        r.attempt()), marker, r);
    CommitOps.commit(fs, group);
    return found;
  }

  /** Deletes the partition's tmp files (or the Iceberg data files no commit references). */
  CompletableFuture<?> deleteStray() {
    return fsCalls.async("deleting the stray tmp files of partition " + spec.pid() + " in " + spec.task().dest(),
        () -> iceberg != null ? iceberg.deleteStray()
            : CommitOps.deleteStrayTmp(CommitOps.fileSystem(spec.task().dest(), env.hadoopConf()),
                new Path(spec.task().dest()), spec.tid(), spec.pid(), Set.of()));
  }

  /**
   * The adoptable prefix of {@code found} (final files at the next sequences, in order) for a journal at
   * {@code at} with next sequence {@code seq}, and, if a file stops it, why it cannot be adopted.
   */
  Adoption adoption(Position at, long seq, List<CommittedFile> found, long now) {
    List<Subtask.Event> events = new ArrayList<>();
    for (CommittedFile f : found) {
      String refusal = refusal(f, seq, at);
      if (refusal != null) {
        return new Adoption(events, refusal);
      }
      CommitRecord r = f.record();
      long bytes = r.group().isEmpty() ? f.length()
          : r.group().stream().mapToLong(CommitRecord.GroupPart::bytes).sum(); // a group: its files, not its marker
      events.add(new Subtask.FileAdopted(seq, f.path().toString(), r.attempt(), r.next(), r.rows(), bytes, now,
          r.group()));
      at = r.next();
      seq++;
    }
    return new Adoption(events, null);
  }

  /** The FileAdopted events of an adoption, and why it stopped before the end of the files found (or null). */
  record Adoption(List<Subtask.Event> events, String refusal) {}

  /** Why final file {@code f} cannot be adopted as file {@code seq} starting at {@code at}; null if it can. */
  private String refusal(CommittedFile f, long seq, Position at) {
    CommitRecord r = f.record();
    String why;
    if (r == null) {
      why = "it carries no offsync commit record (" + f.length() + " bytes), so its rows and end are unknown";
    } else if (!r.owner().equals(spec.subtaskId()) || r.tid() != spec.tid() || r.pid() != spec.pid()
        || r.seq() != seq) {
      why = "its record names subtask '" + r.owner() + "', tid " + r.tid() + ", pid " + r.pid() + ", file " + r.seq()
          + " instead of '" + spec.subtaskId() + "' file " + seq;
    } else if (!Objects.equals(r.from(), at)) {
      why = "its rows start at " + r.from() + " but the journal is at " + at;
    } else {
      return null;
    }
    return "part file " + f.path() + " is committed but not in the journal, and cannot be adopted: " + why
        + "; offsync neither overwrites nor deletes it. Move it away if it is not this task's output (the"
        + " partition then writes it again), or recreate the task into another destination";
  }

  /** The journaled pending commit as the sink rolled it, with the record it carries. */
  RolledFile rolled(Subtask.FileCommitting p, Position from) {
    Path tmp = new Path(p.tmp());
    CommitRecord record = new CommitRecord(spec.subtaskId(), spec.tid(), spec.pid(), p.seq(),
        CommitRecord.attemptOf(tmp.getName()), from, p.next(), p.rows(), p.group());
    if (!p.group().isEmpty()) {
      return PartitionedFiles.group(tmp, new Path(p.finalPath()), record);
    }
    return new RolledFile(p.seq(), tmp, new Path(p.finalPath()), p.next(), p.rows(), p.bytes(), record);
  }
}
