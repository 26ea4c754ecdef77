package io.offsync.iceberg;

import io.micrometer.core.instrument.Timer;
import io.offsync.sink.FinalNameTakenException;
import io.offsync.sink.RolledFile;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.Metrics;
import org.apache.iceberg.MetricsConfig;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.Transaction;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.CommitStateUnknownException;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.parquet.ParquetUtil;
import org.apache.iceberg.types.Conversions;
import org.apache.iceberg.types.Types;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Iceberg half of the exactly-once commit protocol for one subtask: a durable data file becomes part of the
 * table through one atomic append commit that also records the subtask's {@link CommitMark} (snapshot summary,
 * and the table property {@code offsync.committed.<subtask>} in the same metadata swap).
 *
 * <p>{@link #commit} is idempotent: it first reads the subtask's latest mark from the table; a mark at the same
 * or a later sequence means an earlier attempt (before a crash, or one whose outcome was unknown) already
 * committed, and nothing is appended again. Optimistic conflicts with other subtasks committing to the same table
 * are retried by Iceberg on the refreshed table ({@code commit.retry.num-retries}), and then by this class after
 * checking the mark again, so a commit is never duplicated. A data file that differs from the committed one at
 * the same sequence is refused, never confirmed over.
 *
 * <p>Data files are named {@code part-<tid>-<pid>-<incarnation>-<seq %010d>-<attempt>.parquet} under the table's
 * data location; in a partitioned table a roll has one file per partition value,
 * {@code <data>/<field>=<value>/part-…-<attempt>-<k>.parquet}, all appended in the roll's one commit. So
 * {@link #deleteStray} can remove the files of work that was never committed. Not thread-safe:
 * one committer per subtask.
 */
public final class IcebergCommitter {

  /** What {@link #commit} did. */
  public enum Outcome {
    /** The data file was appended now. */
    COMMITTED,
    /** The subtask's mark in the table already covers this file: an earlier attempt committed it. */
    ALREADY_COMMITTED
  }

  private static final Pattern NAME =
      Pattern.compile("part-(\\d+)-(\\d+)-(\\d+)-(\\d{10,})-([0-9a-z]+)(?:-\\d+)?\\.parquet");

  private static final Logger log = LoggerFactory.getLogger(IcebergCommitter.class);

  /**
   * Name of the timer of every {@link #commit} call (reading the subtask's mark, the append transaction, retries
   * after conflicts) in Micrometer's global registry; {@code bin/bench} reports it as the commit cost per roll.
   */
  public static final String COMMIT_TIMER = "offsync.iceberg.commit";

  private static final Timer COMMITS = Timer.builder(COMMIT_TIMER)
      .description("Iceberg commits of rolled data files (one per roll), retries included")
      .register(io.micrometer.core.instrument.Metrics.globalRegistry);

  private final Table table;
  private final int attempts;
  private final Duration expireAfter;
  private final int retain;
  private long nextExpiryCheck;

  /**
   * A committer that never expires snapshots.
   *
   * @param attempts how many times a commit that still conflicts after Iceberg's own retries is tried again
   */
  public IcebergCommitter(Table table, int attempts) {
    this(table, attempts, Duration.ZERO, 1);
  }

  /**
   * @param attempts how many times a commit that still conflicts after Iceberg's own retries is tried again
   * @param expireAfter after a commit, snapshots older than this are expired (checked at most once per tenth of
   *     it); zero = never
   * @param retain the newest snapshots expiry keeps however old
   */
  public IcebergCommitter(Table table, int attempts, Duration expireAfter, int retain) {
    this.table = table;
    this.attempts = Math.max(1, attempts);
    this.expireAfter = expireAfter;
    this.retain = retain;
  }

  public Table table() {
    return table;
  }

  /** The data file name of one write attempt. */
  public static String fileName(int tid, int pid, long incarnation, long seq, String attempt) {
    return String.format("part-%d-%d-%d-%010d-%s.parquet", tid, pid, incarnation, seq, attempt);
  }

  /** The sequence of a data file name of subtask (tid, pid, incarnation); empty for any other name. */
  public static OptionalLong seqOf(String name, int tid, int pid, long incarnation) {
    Matcher m = NAME.matcher(name);
    if (m.matches() && m.group(1).equals(Integer.toString(tid)) && m.group(2).equals(Integer.toString(pid))
        && m.group(3).equals(Long.toString(incarnation))) {
      return OptionalLong.of(Long.parseLong(m.group(4)));
    }
    return OptionalLong.empty();
  }

  /** The attempt mark of a data file name; empty for any other name. */
  public static String attemptOf(String name) {
    Matcher m = NAME.matcher(name);
    return m.matches() ? m.group(5) : "";
  }

  /** The subtask's latest commit, read from the table as it is now. */
  public Optional<CommitMark> lastCommitted(String subtask) {
    table.refresh();
    return Optional.ofNullable(table.properties().get(CommitMark.propertyKey(subtask))).map(CommitMark::fromProperty);
  }

  /**
   * The subtask's commits from sequence {@code fromSeq} on, oldest first, found by scanning the snapshot summaries
   * of the table's current history back from the newest (commits the journal may not know). Empty when the
   * subtask's latest commit is before {@code fromSeq}.
   */
  public List<CommitMark> commitsFrom(String subtask, long fromSeq) {
    Optional<CommitMark> last = lastCommitted(subtask);
    List<CommitMark> found = new ArrayList<>();
    if (last.isEmpty() || last.get().seq() < fromSeq) {
      return found;
    }
    Snapshot s = table.currentSnapshot();
    while (s != null) {
      Optional<CommitMark> m = CommitMark.fromSummary(s.summary()).filter(x -> x.subtask().equals(subtask));
      if (m.isPresent()) {
        if (m.get().seq() < fromSeq) {
          break;
        }
        found.add(0, m.get());
      }
      s = s.parentId() == null ? null : table.snapshot(s.parentId());
    }
    return found;
  }

  /** Every offsync commit of the table's current history, newest first (for listing and audits). */
  public static List<CommitMark> history(Table table) {
    List<CommitMark> out = new ArrayList<>();
    Snapshot s = table.currentSnapshot();
    while (s != null) {
      CommitMark.fromSummary(s.summary()).ifPresent(out::add);
      s = s.parentId() == null ? null : table.snapshot(s.parentId());
    }
    return out;
  }

  /** {@link #commit(CommitMark, RolledFile)} of the data file {@code mark} describes. */
  public Outcome commit(CommitMark mark) throws IOException {
    Path file = new Path(mark.file());
    return commit(mark, new RolledFile(mark.seq(), file, file, mark.next(), mark.rows(), mark.bytes(),
        mark.committedFile().record()));
  }

  /**
   * Appends {@code mark.file()} to the table with {@code mark}, unless the subtask's mark shows it committed.
   *
   * @param rolled the rolled file being committed, for the message of a {@link FinalNameTakenException}
   * @throws FinalNameTakenException when the table holds another data file at this sequence of the subtask (an
   *     attempt the journal lost); the found commit may be adopted
   * @throws IOException when the file is missing or is not the file the mark describes (row count), or when
   *     conflicts outlast every retry
   */
  public Outcome commit(CommitMark mark, RolledFile rolled) throws IOException {
    return commit(mark, rolled, null);
  }

  /**
   * {@link #commit(CommitMark, RolledFile)} of the data files the roll's writer describes ({@code written}); null =
   * find them (after a restart): the mark's file, or in a partitioned table its files in the partition directories.
   */
  public Outcome commit(CommitMark mark, RolledFile rolled, List<DataFile> written) throws IOException {
    long start = System.nanoTime();
    try {
      return commitOnce(mark, rolled, written);
    } finally {
      COMMITS.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }

  private Outcome commitOnce(CommitMark mark, RolledFile rolled, List<DataFile> written) throws IOException {
    CommitFailedException conflict = null;
    for (int attempt = 0; attempt < attempts; attempt++) {
      Optional<CommitMark> last = lastCommitted(mark.subtask());
      if (last.isPresent() && last.get().seq() >= mark.seq()) {
        CommitMark same = last.get().seq() == mark.seq() ? last.get()
            : commitsFrom(mark.subtask(), mark.seq()).stream().filter(m -> m.seq() == mark.seq()).findFirst()
                .orElse(null);
        if (same != null && !same.file().equals(mark.file())) {
          throw new FinalNameTakenException(rolled, same.committedFile(), true);
        }
        return Outcome.ALREADY_COMMITTED;
      }
      List<DataFile> files = written != null ? written : dataFiles(mark);
      try {
        Transaction tx = table.newTransaction();
        AppendFiles append = tx.newAppend();
        files.forEach(append::appendFile);
        mark.summary().forEach(append::set);
        append.commit();
        tx.updateProperties().set(CommitMark.propertyKey(mark.subtask()), mark.propertyValue()).commit();
        tx.commitTransaction();
        expireOldSnapshots(System.currentTimeMillis());
        return Outcome.COMMITTED;
      } catch (CommitStateUnknownException unknown) {
        // the next round reads the mark and tells whether it happened
      } catch (CommitFailedException e) {
        conflict = e;
      }
    }
    throw new IOException("committing " + mark.file() + " to Iceberg table " + table.name() + " conflicted with"
        + " other writers " + attempts + " times (each after Iceberg's own retries): "
        + (conflict == null ? "outcome unknown" : conflict.getMessage()), conflict);
  }

  /**
   * Expires the snapshots older than the expiry age (keeping the newest {@code retain}) if the oldest one is that
   * old, at most once per tenth of the age. Best effort: a failure (another subtask expiring at the same time) is
   * logged and retried at the next check; the commit it follows stands.
   *
   * @return how many snapshots were expired
   */
  int expireOldSnapshots(long now) {
    if (expireAfter.isZero() || now < nextExpiryCheck) {
      return 0;
    }
    nextExpiryCheck = now + Math.max(1, expireAfter.toMillis() / 10);
    long cutoff = now - expireAfter.toMillis();
    int before = 0;
    boolean due = false;
    for (Snapshot s : table.snapshots()) {
      before++;
      due |= s.timestampMillis() < cutoff;
    }
    if (!due || before <= retain) {
      return 0;
    }
    try {
      table.expireSnapshots().expireOlderThan(cutoff).retainLast(retain).cleanExpiredFiles(true).commit();
      table.refresh();
      int after = 0;
      for (Snapshot ignored : table.snapshots()) {
        after++;
      }
      return before - after;
    } catch (RuntimeException e) {
      log.warn("expiring the snapshots of Iceberg table {} older than {} failed (retried at the next check): {}",
          table.name(), expireAfter, e.toString());
      return 0;
    }
  }

  /**
   * The Iceberg description of the data files of a roll, read back (metrics from their footers, partition from
   * their directories): the mark's file, or in a partitioned table the roll's files in the partition directories.
   * Their rows must add up to the mark's.
   */
  List<DataFile> dataFiles(CommitMark mark) throws IOException {
    List<String> paths = new ArrayList<>();
    if (!table.spec().isPartitioned()) {
      paths.add(mark.file());
    } else {
      Path roll = new Path(mark.file());
      String stem = roll.getName().substring(0, roll.getName().length() - ".parquet".length());
      Path pattern = new Path(roll.getParent(), "*/" + stem + "-*.parquet");
      FileStatus[] found = pattern.getFileSystem(conf()).globStatus(pattern);
      for (FileStatus f : found == null ? new FileStatus[0] : found) {
        paths.add(f.getPath().toString());
      }
    }
    List<DataFile> files = new ArrayList<>();
    long rows = 0;
    for (String path : paths) {
      InputFile in = table.io().newInputFile(path);
      if (!in.exists()) {
        break;
      }
      Metrics metrics = ParquetUtil.fileMetrics(in, MetricsConfig.forTable(table));
      rows += metrics.recordCount();
      DataFiles.Builder b = DataFiles.builder(table.spec())
          .withPath(path)
          .withFormat(FileFormat.PARQUET)
          .withFileSizeInBytes(in.getLength())
          .withMetrics(metrics);
      if (table.spec().isPartitioned()) {
        b.withPartition(partitionOf(path));
      }
      files.add(b.build());
    }
    if (files.isEmpty() || files.size() < paths.size()) {
      throw new IOException("data file " + mark.file() + " of " + mark.subtask() + " file " + mark.seq()
          + " is lost: something outside offsync removed it before its Iceberg commit, so its rows must be synced"
          + " again");
    }
    if (rows != mark.rows()) {
      throw new IOException("data file " + mark.file() + " holds " + rows + " rows, the journal says " + mark.rows()
          + "; it is not the file that was journaled");
    }
    return files;
  }

  private org.apache.hadoop.conf.Configuration conf() {
    return table.io() instanceof org.apache.iceberg.hadoop.HadoopConfigurable h ? h.getConf()
        : new org.apache.hadoop.conf.Configuration();
  }

  /** The partition of a data file from its directories ({@code <field>=<value>/…}; Iceberg writes null as "null"). */
  private StructLike partitionOf(String file) throws IOException {
    Types.StructType type = table.spec().partitionType();
    String[] dirs = partitionPath(file).split("/");
    if (dirs.length != type.fields().size()) {
      throw new IOException("data file " + file + " is not in a partition directory of " + table.spec());
    }
    GenericRecord partition = GenericRecord.create(type);
    for (int i = 0; i < dirs.length; i++) {
      String value = URLDecoder.decode(dirs[i].substring(dirs[i].indexOf('=') + 1), StandardCharsets.UTF_8);
      partition.set(i, value.equals("null") ? null : Conversions.fromPartitionString(type.fields().get(i).type(),
          value));
    }
    return partition;
  }

  private String partitionPath(String file) throws IOException {
    String data = new Path(table.locationProvider().newDataLocation("x")).getParent().toUri().getPath() + "/";
    String dir = new Path(file).getParent().toUri().getPath() + "/";
    if (!dir.startsWith(data)) {
      throw new IOException("data file " + file + " is not under the table's data location " + data);
    }
    String rel = dir.substring(data.length());
    return rel.endsWith("/") ? rel.substring(0, rel.length() - 1) : rel;
  }

  /**
   * Deletes this subtask's data files that no commit references: those after its latest committed sequence and
   * other attempts at that sequence, except {@code keep} (the journaled file about to be committed). Files of
   * other subtasks are left alone.
   *
   * @return the deleted paths
   */
  public List<Path> deleteStray(FileSystem fs, String subtask, int tid, int pid, long incarnation, Set<String> keep)
      throws IOException {
    Optional<CommitMark> last = lastCommitted(subtask);
    long committed = last.map(CommitMark::seq).orElse(-1L);
    String committedAttempt = last.map(m -> attemptOf(new Path(m.file()).getName())).orElse("");
    Path data = new Path(table.locationProvider().newDataLocation("x")).getParent();
    List<Path> deleted = new ArrayList<>();
    if (!fs.exists(data)) {
      return deleted;
    }
    RemoteIterator<LocatedFileStatus> files = fs.listFiles(data, true);
    while (files.hasNext()) {
      Path p = files.next().getPath();
      OptionalLong seq = seqOf(p.getName(), tid, pid, incarnation);
      boolean uncommitted = seq.isPresent() && (seq.getAsLong() > committed
          || seq.getAsLong() == committed && !attemptOf(p.getName()).equals(committedAttempt));
      if (uncommitted && !keep.contains(p.toString()) && !keep.contains(p.toUri().getPath())) {
        if (fs.delete(p, false)) {
          deleted.add(p);
        }
      }
    }
    return deleted;
  }
}
