package io.offsync.sink;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.position.Position;
import java.io.IOException;
import java.util.ArrayList;
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

  private final PartitionBy by;
  private final int byIndex;
  private final int maxOpenFiles;
  private final PartLayout layout;
  private final List<Column> columns;
  private final TreeMap<String, PartWriter> open = new TreeMap<>();

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
    String dir = by.directory(by.value(values[byIndex]));
    PartWriter w = open.get(dir);
    if (w == null) {
      w = layout.open(PartitionedFiles.memberTmp(layout.tmpPath(seq, attempt), dir), columns);
      open.put(dir, w);
    }
    w.write(values);
    return open.size() >= maxOpenFiles;
  }

  /**
   * Closes every file (each with its record: {@code owner}'s group {@code seq} from {@code from} to {@code next},
   * the group's directories and rows) and returns the group with its marker's record. A member that fails to
   * close is handed to {@code discard} with the rest; members closed before it stay in {@code _tmp}, stray (no
   * marker or journal names them).
   */
  RolledFile roll(String owner, int tid, int pid, long seq, String attempt, Position from, Position next,
      Closer closer, Consumer<PartWriter> discard) throws IOException {
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
    while (!open.isEmpty()) {
      discard.accept(open.pollFirstEntry().getValue());
    }
  }
}
