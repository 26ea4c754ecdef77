package io.offsync.protocol.binlog;

import io.offsync.protocol.log.CorruptLogException;
import io.offsync.protocol.log.LogReader;
import io.offsync.protocol.log.LogRecord;
import io.offsync.protocol.openmldb.Tablet;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a partition's binlog directory in {@code log_index} order from a given index on, following the tablet
 * as it appends entries and rolls files.
 *
 * <p>Positioning: the first file read is the newest whose first entry is at or before the requested index
 * (so an index that is the last entry of a non-final file is found in that file); entries before the requested
 * index are skipped. After a file's EOF record the reader moves to the next file. A file that ends without EOF
 * while a newer file exists was left by a tablet crash: once a second read confirms its tail is still
 * incomplete, the reader moves on. At the live end {@link #next()} returns {@link BinlogRead#CAUGHT_UP}; a later
 * call sees new entries and new files.
 *
 * <p>Guarantees: every entry is returned once, in order, and consecutive: an entry whose {@code log_index} is
 * beyond the next expected one fails with {@link CorruptLogException} (entries missing from the binlog), or with
 * {@link BinlogPurgedException} when the requested index is older than the oldest entry left. Corrupt records
 * fail with {@link CorruptLogException} naming file and offset. After a failure the reader should be closed;
 * calling on never skips an entry, as the next expected index does not move. Not thread-safe.
 */
public final class BinlogReader implements Closeable {

  private final Path dir;
  private final boolean verifyCrc;
  private long nextLogIndex;
  private boolean continuous;
  private int fileIndex;
  private LogReader reader;
  private boolean tailRechecked;

  private BinlogReader(Path dir, long nextLogIndex, boolean verifyCrc) {
    this.dir = dir;
    this.nextLogIndex = nextLogIndex;
    this.verifyCrc = verifyCrc;
  }

  /**
   * Opens the binlog of {@code dir} at {@code nextLogIndex} (inclusive, from 1).
   *
   * @throws BinlogPurgedException if the files left all start after {@code nextLogIndex}
   * @throws java.nio.file.NoSuchFileException if {@code dir} does not exist
   */
  public static BinlogReader open(Path dir, long nextLogIndex, boolean verifyCrc) throws IOException {
    if (nextLogIndex < 1) {
      throw new IllegalArgumentException("binlog log_index starts at 1, got " + nextLogIndex);
    }
    BinlogReader binlog = new BinlogReader(dir, nextLogIndex, verifyCrc);
    binlog.openFirstFile();
    return binlog;
  }

  /** The next entry, or {@link BinlogRead#CAUGHT_UP} when there is none yet. */
  public BinlogRead next() throws IOException {
    if (reader == null && !openFirstFile()) {
      return BinlogRead.CAUGHT_UP;
    }
    while (true) {
      LogRecord record = reader.readRecord();
      if (record instanceof LogRecord.Full full) {
        tailRechecked = false;
        long peeked = BinlogFiles.peekLogIndex(full.payload());
        if (peeked >= 1 && peeked < nextLogIndex) {
          continuous = true;
          continue;
        }
        Tablet.LogEntry entry = BinlogFiles.parse(reader.file(), full);
        long index = entry.getLogIndex();
        if (index > nextLogIndex) {
          if (!continuous) {
            throw new BinlogPurgedException(dir, nextLogIndex, index);
          }
          throw new CorruptLogException(reader.file(), full.offset(), "log_index jumps from " + (nextLogIndex - 1)
              + " to " + index + ": entries " + nextLogIndex + ".." + (index - 1) + " are missing from the binlog");
        }
        continuous = true;
        if (index == nextLogIndex) {
          nextLogIndex++;
          return new BinlogRead.Entry(entry);
        }
        continue;
      }
      BinlogFile newer = nextFile();
      if (newer == null) {
        return BinlogRead.CAUGHT_UP;
      }
      if (record instanceof LogRecord.Incomplete && !tailRechecked) {
        tailRechecked = true;
        continue;
      }
      switchTo(newer);
    }
  }

  /** The {@code log_index} of the entry the next {@link BinlogRead.Entry} will hold. */
  public long nextLogIndex() {
    return nextLogIndex;
  }

  /** The file being read, or null while the directory holds no binlog file. */
  public Path currentFile() {
    return reader == null ? null : reader.file();
  }

  @Override
  public void close() throws IOException {
    if (reader != null) {
      reader.close();
      reader = null;
    }
  }

  /** Opens the newest file starting at or before {@code nextLogIndex}; false when there is no file yet. */
  private boolean openFirstFile() throws IOException {
    List<BinlogFile> files = BinlogFiles.scan(dir, verifyCrc);
    if (files.isEmpty()) {
      return false;
    }
    BinlogFile start = null;
    BinlogFile oldestWithEntries = null;
    for (BinlogFile file : files) {
      if (file.hasEntries()) {
        if (oldestWithEntries == null) {
          oldestWithEntries = file;
        }
        if (file.firstLogIndex() <= nextLogIndex) {
          start = file;
        }
      }
    }
    if (start == null) {
      if (oldestWithEntries != null) {
        throw new BinlogPurgedException(dir, nextLogIndex, oldestWithEntries.firstLogIndex());
      }
      start = files.get(0);
    }
    switchTo(start);
    return true;
  }

  private BinlogFile nextFile() throws IOException {
    for (BinlogFile file : BinlogFiles.list(dir)) {
      if (file.fileIndex() > fileIndex) {
        return file;
      }
    }
    return null;
  }

  private void switchTo(BinlogFile file) throws IOException {
    LogReader opened = new LogReader(file.path(), 0, verifyCrc);
    close();
    reader = opened;
    fileIndex = file.fileIndex();
    tailRechecked = false;
  }
}
