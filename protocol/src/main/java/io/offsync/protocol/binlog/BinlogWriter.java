package io.offsync.protocol.binlog;

import io.offsync.protocol.log.LogWriter;
import io.offsync.protocol.openmldb.Tablet;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a partition's binlog as an OpenMLDB tablet does: {@code Tablet.LogEntry} records with consecutive
 * {@code log_index}es in files {@code NNNNNNNN.log}; rolling a file appends the EOF record and starts the next
 * file. Like a restarted tablet, opening a directory starts a new file after the newest one that holds entries
 * (file 0 in an empty directory; an existing file of that name holds no entry and is emptied), leaving the
 * previous file without EOF. The caller supplies the next {@code log_index}, as the tablet knows it from its
 * recovery. Writes are buffered until {@link #flush()}. Not thread-safe.
 */
public final class BinlogWriter implements Closeable {

  /** OpenMLDB's {@code binlog_single_file_max_size} default: 4096 MB. */
  public static final long DEFAULT_MAX_FILE_BYTES = 4096L * 1024 * 1024;

  private final Path dir;
  private final long maxFileBytes;
  private long nextLogIndex;
  private int fileIndex;
  private LogWriter writer;
  private boolean fileHasEntries;

  private BinlogWriter(Path dir, long nextLogIndex, long maxFileBytes) {
    this.dir = dir;
    this.nextLogIndex = nextLogIndex;
    this.maxFileBytes = maxFileBytes;
  }

  /** Opens {@code dir} (created if absent) with OpenMLDB's default file size limit. */
  public static BinlogWriter open(Path dir, long nextLogIndex) throws IOException {
    return open(dir, nextLogIndex, DEFAULT_MAX_FILE_BYTES);
  }

  /**
   * Opens {@code dir} (created if absent).
   *
   * @param nextLogIndex the {@code log_index} of the next entry appended (from 1)
   * @param maxFileBytes a file at or over this size is rolled before the next entry is appended
   */
  public static BinlogWriter open(Path dir, long nextLogIndex, long maxFileBytes) throws IOException {
    if (nextLogIndex < 1) {
      throw new IllegalArgumentException("binlog log_index starts at 1, got " + nextLogIndex);
    }
    if (maxFileBytes < 1) {
      throw new IllegalArgumentException("maxFileBytes must be positive, got " + maxFileBytes);
    }
    Files.createDirectories(dir);
    BinlogFile newest = null;
    List<BinlogFile> files = BinlogFiles.scan(dir);
    for (BinlogFile file : files) {
      if (file.hasEntries()) {
        newest = file;
      }
    }
    if (newest != null && newest.firstLogIndex() >= nextLogIndex) {
      throw new IllegalArgumentException("next log_index " + nextLogIndex + " is not after the first entry "
          + newest.firstLogIndex() + " of the newest binlog file " + newest.path());
    }
    BinlogWriter binlog = new BinlogWriter(dir, nextLogIndex, maxFileBytes);
    binlog.startFile(newest == null ? 0 : newest.fileIndex() + 1);
    return binlog;
  }

  /**
   * Appends {@code entry} with the next {@code log_index}: set here if the entry has none, otherwise it must be
   * that index. Rolls first when the current file has reached the size limit. Returns the entry's index.
   */
  public long append(Tablet.LogEntry entry) throws IOException {
    if (entry.hasLogIndex() && entry.getLogIndex() != nextLogIndex) {
      throw new IllegalArgumentException(
          "LogEntry has log_index " + entry.getLogIndex() + " but the binlog's next index is " + nextLogIndex);
    }
    if (fileHasEntries && writer.size() >= maxFileBytes) {
      roll();
    }
    Tablet.LogEntry indexed = entry.hasLogIndex() ? entry : entry.toBuilder().setLogIndex(nextLogIndex).build();
    writer.addRecord(indexed.toByteArray());
    fileHasEntries = true;
    return nextLogIndex++;
  }

  /** Finishes the current file with the EOF record and starts the next one. */
  public void roll() throws IOException {
    writer.addEof();
    writer.close();
    startFile(fileIndex + 1);
  }

  /** Hands buffered entries to the operating system; readers see them afterwards. */
  public void flush() throws IOException {
    writer.flush();
  }

  /** {@link #flush()} and force the current file to disk. */
  public void sync() throws IOException {
    writer.sync();
  }

  public long nextLogIndex() {
    return nextLogIndex;
  }

  public Path currentFile() {
    return writer.file();
  }

  /** Flushes and closes the current file, leaving it unfinished (no EOF), as a stopped tablet does. */
  @Override
  public void close() throws IOException {
    writer.close();
  }

  private void startFile(int index) throws IOException {
    writer = LogWriter.create(dir.resolve(BinlogFiles.fileName(index)));
    fileIndex = index;
    fileHasEntries = false;
  }
}
