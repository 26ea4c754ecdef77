package io.offsync.sink;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.ColumnType;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.position.Position;
import java.io.IOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.hadoop.fs.Path;

/**
 * The open files of one time-partitioned group in the {@link CommitSink}: one per partition directory its rows
 * hold, opened with the partition's first row (see {@link PartitionedFiles}). Not thread-safe: the sink's stage
 * owns it.
 */
final class GroupWriter {

  /** Closes one member with its record, within the sink's bound on file-system calls; returns its length. */
  @FunctionalInterface
  interface Closer {
    long close(PartWriter writer, CommitRecord record) throws IOException;
  }

  /** The bucket of a NULL partition value, and of a value of no time type (the directory says why). */
  private static final long NULL_BUCKET = Long.MIN_VALUE;
  private static final long NO_BUCKET = Long.MIN_VALUE + 1;
  private static final int CACHED_BUCKETS = 64;

  private final PartitionBy by;
  private final int byIndex;
  private final int maxOpenFiles;
  private final PartLayout layout;
  private final List<Column> columns;
  private final TreeMap<String, PartWriter> open = new TreeMap<>();
  /**
   * The files of the time buckets met since {@link #open} last emptied, so that a row's directory is formatted
   * only once per bucket (at most {@link #CACHED_BUCKETS}; then the cache starts over).
   */
  private final long[] buckets = new long[CACHED_BUCKETS];
  private final PartWriter[] bucketFiles = new PartWriter[CACHED_BUCKETS];
  private int cached;
  /** The partition column's value of an encoded row. */
  private final long[] time = new long[1];

  GroupWriter(PartitionBy by, int maxOpenFiles, PartLayout layout, List<Column> columns) {
    this.by = by;
    this.maxOpenFiles = maxOpenFiles;
    this.layout = layout;
    this.columns = columns;
    int index = -1;
    for (int i = 0; i < columns.size(); i++) {
      if (columns.get(i).name().equals(by.column())) {
        index = i;
      }
    }
    if (index < 0) {
      throw new IllegalArgumentException("cannot partition by " + by + ": the table has no column '" + by.column()
          + "' (columns: " + columns.stream().map(Column::name).toList() + ")");
    }
    this.byIndex = index;
  }

  boolean isEmpty() {
    return open.isEmpty();
  }

  /** The bytes of every open file (written plus buffered). */
  long bytes() {
    long bytes = 0;
    for (PartWriter w : open.values()) {
      bytes += w.bytes();
    }
    return bytes;
  }

  /**
   * Writes a row into the file of its partition, opening that file as {@code attempt}'s member of group
   * {@code seq} if needed.
   *
   * @return whether the group now holds the bound's number of files
   */
  boolean write(Object[] values, long seq, String attempt) throws IOException {
    Object v = values[byIndex];
    long bucket = v == null ? NULL_BUCKET
        : v instanceof LocalDate d ? by.bucketOfDay(d.toEpochDay()) : v instanceof Long ms ? by.bucketOfMillis(ms)
        : NO_BUCKET;
    writer(bucket, v, seq, attempt).write(values);
    return open.size() >= maxOpenFiles;
  }

  /**
   * Writes an encoded row (its schema version's columns a prefix of the file's) like {@link #write}, without
   * decoding it: only its partition column is read.
   */
  boolean writeEncoded(TableSchema schema, byte[] buf, int off, long seq, String attempt) throws IOException {
    boolean found = RowCodec.timeValue(schema, buf, off, byIndex, time);
    boolean date = columns.get(byIndex).type() == ColumnType.DATE;
    long bucket = !found ? NULL_BUCKET : date ? by.bucketOfDay(time[0]) : by.bucketOfMillis(time[0]);
    PartWriter w = cached(bucket);
    if (w == null) {
      w = writer(bucket, !found ? null : date ? LocalDate.ofEpochDay(time[0]) : (Object) time[0], seq, attempt);
    }
    w.writeEncoded(schema, buf, off);
    return open.size() >= maxOpenFiles;
  }

  /** The open file of a value's partition, opened if needed. */
  private PartWriter writer(long bucket, Object value, long seq, String attempt) throws IOException {
    PartWriter w = cached(bucket);
    if (w != null) {
      return w;
    }
    String dir = by.directory(by.value(value));
    w = open.get(dir);
    if (w == null) {
      w = layout.open(PartitionedFiles.memberTmp(layout.tmpPath(seq, attempt), dir), columns);
      open.put(dir, w);
    }
    if (bucket != NO_BUCKET) {
      if (cached == CACHED_BUCKETS) {
        cached = 0;
      }
      buckets[cached] = bucket;
      bucketFiles[cached++] = w;
    }
    return w;
  }

  /** The file of a time bucket met before, or null. */
  private PartWriter cached(long bucket) {
    for (int i = 0; i < cached; i++) {
      if (buckets[i] == bucket) {
        return bucketFiles[i];
      }
    }
    return null;
  }

  /** Forgets the cached buckets: {@link #open} is emptied. */
  private void forgetBuckets() {
    Arrays.fill(bucketFiles, 0, cached, null);
    cached = 0;
  }

  /**
   * Closes every file (each with its record: {@code owner}'s group {@code seq} from {@code from} to {@code next},
   * the group's directories and rows) and returns the group with its marker's record. A member that fails to
   * close is handed to {@code discard} with the rest; members closed before it stay in {@code _tmp}, stray (no
   * marker or journal names them).
   */
  RolledFile roll(String owner, int tid, int pid, long seq, String attempt, Position from, Position next,
      Closer closer, Consumer<PartWriter> discard) throws IOException {
    forgetBuckets();
    List<CommitRecord.GroupPart> inFiles = new ArrayList<>();
    long rows = 0;
    for (Map.Entry<String, PartWriter> e : open.entrySet()) {
      inFiles.add(new CommitRecord.GroupPart(e.getKey(), e.getValue().rows(), -1));
      rows += e.getValue().rows();
    }
    CommitRecord base = new CommitRecord(owner, tid, pid, seq, attempt, from, next, rows, inFiles);
    List<CommitRecord.GroupPart> parts = new ArrayList<>();
    while (!open.isEmpty()) {
      Map.Entry<String, PartWriter> e = open.pollFirstEntry();
      PartWriter w = e.getValue();
      long bytes;
      try {
        bytes = closer.close(w, base.withRows(w.rows(), inFiles));
      } catch (IOException | RuntimeException ex) {
        discard.accept(w);
        discardAll(discard);
        throw ex;
      }
      parts.add(new CommitRecord.GroupPart(e.getKey(), w.rows(), bytes));
    }
    Path tmp = layout.tmpPath(seq, attempt);
    return PartitionedFiles.group(tmp, layout.groupPath(seq), base.withRows(rows, parts));
  }

  /** Hands every open file to {@code discard}. */
  void discardAll(Consumer<PartWriter> discard) {
    forgetBuckets();
    while (!open.isEmpty()) {
      discard.accept(open.pollFirstEntry().getValue());
    }
  }
}
