package io.offsync.protocol.partition;

import com.google.protobuf.InvalidProtocolBufferException;
import io.offsync.protocol.binlog.BinlogFile;
import io.offsync.protocol.binlog.BinlogFiles;
import io.offsync.protocol.binlog.BinlogRead;
import io.offsync.protocol.binlog.BinlogReader;
import io.offsync.protocol.codec.RowCompression;
import io.offsync.protocol.log.LogReader;
import io.offsync.protocol.log.LogRecord;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Tablet;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import io.offsync.protocol.position.SnapshotPosition;
import io.offsync.protocol.snapshot.Manifest;
import io.offsync.protocol.snapshot.SnapshotCursor;
import io.offsync.protocol.snapshot.SnapshotReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads one partition of an OpenMLDB disk table as a sync does: the disk snapshot (index 0 of the RocksDB checkpoint
 * named by {@code MANIFEST}, TTL applied), then the binlog from {@code MANIFEST.offset + 1}; synchronously, one
 * step per {@link #next()}, from any {@link Position} a previous read handed out.
 *
 * <p>Guarantees: every step carries the position after it; a reader opened at that position continues with exactly
 * the next step, so a read resumed anywhere yields every row once (no gap, no repeat), across the snapshot → binlog
 * hand-over. Binlog deletes are skipped (deletes are not propagated, as in the original); in mode 1 rows whose ts is
 * below {@code startTs} are skipped (snapshot: index 0's ts from the key; binlog: {@code LogEntry.ts}). Mode 0 ends
 * at the last binlog entry present when the snapshot phase finished (or at open, when opened in the binlog phase);
 * modes 1 and 2 tail the binlog forever ({@link PartitionRead.CaughtUp}).
 *
 * <p>Index 0 decides which partition a row belongs to. On a table with several indexes OpenMLDB's client
 * ({@code SQLInsertRow::GetDimensions}, {@code SQLClusterRouter::PutRow}) puts a row into every partition that one of
 * its index keys hashes to ({@code hash64(key) % partitions}), each put carrying only the dimensions of that
 * partition, and each partition logs its put; a DiskTable writes a put's dimensions into their indexes' column
 * families only. So the row is in exactly one partition's index 0 (index 0 cannot be dropped), and the binlog
 * phase yields only the puts that carry index 0's dimension (or, from old clients, no dimension but a pk): the
 * others are {@link PartitionRead.Skipped}. The snapshot phase reads index 0, so both phases yield each row once
 * across the partitions. The same rule drops the entries {@code CREATE INDEX} replays into other partitions'
 * binlogs ({@code LoadIndexData}: existing rows with only the new index's dimension). The original DataCollector
 * sends every put of the binlog and so sends such rows once per partition they were put into.
 *
 * <p>Snapshot choice: a start position takes the snapshot present. With no {@code MANIFEST} (or one of count 0
 * whose checkpoint directory is absent) the read starts in the binlog at log index 1, like the original. A MANIFEST
 * whose checkpoint is present is read even when its count is 0: an empty snapshot hands over to
 * {@code offset + 1}, which is exact and does not need binlog files the tablet may have purged.
 * A position inside a snapshot other than the one present fails with {@link SnapshotChangedException}.
 *
 * <p>The overlap: a live tablet reads its offset before it creates the checkpoint, so the checkpoint can hold puts
 * with a log index above {@code MANIFEST.offset}, which are in the binlog as well ({@link OverlapCheck}). After a
 * snapshot was read, the binlog from {@code MANIFEST.offset + 1} is compared against its checkpoint: a put the
 * checkpoint holds (same index-0 key and ts, equal value) that the snapshot read yielded is skipped, it was sent as
 * a snapshot row; any other index-0 put is a row as usual (a held put the snapshot read did not yield, because it is
 * past index 0's TTL or below the mode-1 {@code startTs}, included). The overlap closes after
 * {@code overlapWindow} index-0 puts in a row that the checkpoint does not hold (puts without index 0 are skipped
 * before the comparison and count for nothing); nothing after that is
 * compared. A window rather than the first put not held, because a put inside the overlap can be missing from the
 * checkpoint although later ones are in it: a later delete or an overwrite of the same key and ts (also inside the
 * overlap) removed it, TTL garbage collection dropped it, or concurrent writers appended their entries to the binlog
 * in another order than they counted the offset. A mode-0 read also closes it with its last entry, so that its end
 * position is a plain binlog position. While the overlap is open, positions are
 * {@link BinlogPosition}s naming the snapshot ({@link BinlogPosition#overlap()}); a read resumed there reopens that
 * checkpoint (gone: {@link SnapshotChangedException}) and continues exactly.
 *
 * <p>Deletes are not propagated, whatever index they name. On a table with several indexes a delete by one index's
 * key also removes the matching rows from the other indexes, in the partitions those keys hash to (the tablet's
 * {@code DeleteAllIndex}: one delete per row and index, each logged by its partition with that index's dimension
 * and the row's ts as a one-ts range); a snapshot taken afterwards lacks the row in index 0, so it is not sent from
 * there either. Deletes inside the overlap, likewise not propagated: one that the tablet applied before the checkpoint
 * has removed its rows from it: a row it removed that was put at or before {@code MANIFEST.offset} is not sent (the
 * snapshot no longer has it, the binlog read starts after it), a row it removed that was put inside the overlap is
 * sent once from the binlog (not in the checkpoint, so not skipped). The one ambiguity: a disk table keeps one value
 * per (key, ts), so a put of an identical row (same key, ts and value) inside the overlap is an overwrite that leaves
 * the checkpoint unchanged, and that row is sent once.
 *
 * <p>Failures are {@link IOException}s naming the file (corrupt binlog record, purged binlog, unreadable snapshot).
 * Holds open files and native RocksDB resources: close it. Not thread-safe.
 */
public final class PartitionReader implements AutoCloseable {

  private enum Phase { SNAPSHOT, BINLOG, END }

  private final Path snapshotDir;
  private final Path binlogDir;
  private final NS.TableInfo table;
  private final int mode;
  private final long startTs;
  private final long nowMillis;
  private final boolean verifyCrc;

  private Phase phase;
  private Position position;

  private Manifest manifest;
  private SnapshotReader snapshot;
  private SnapshotCursor cursor;
  private boolean cursorOnRow;

  private BinlogReader binlog;
  private long nextLogIndex;
  private long endLogIndex = Long.MAX_VALUE;

  private final int overlapWindow;
  private OverlapCheck overlapCheck;
  private BinlogPosition.Overlap overlap;

  private PartitionReader(Path snapshotDir, Path binlogDir, NS.TableInfo table, int mode, long startTs,
                          long nowMillis, boolean verifyCrc, int overlapWindow) {
    this.snapshotDir = snapshotDir;
    this.binlogDir = binlogDir;
    this.table = table;
    this.mode = mode;
    this.startTs = startTs;
    this.nowMillis = nowMillis;
    this.verifyCrc = verifyCrc;
    this.overlapWindow = overlapWindow;
  }

  /**
   * How many puts in a row that are not in the checkpoint close the overlap by default (see the class description).
   */
  public static final int DEFAULT_OVERLAP_WINDOW = 64;

  /** {@link #open(Path, Path, NS.TableInfo, int, long, Position, long, boolean)} with binlog CRC checks on. */
  public static PartitionReader open(Path snapshotDir, Path binlogDir, NS.TableInfo table, int mode, long startTs,
                                     Position from, long nowMillis) throws IOException {
    return open(snapshotDir, binlogDir, table, mode, startTs, from, nowMillis, true);
  }

  /**
   * Opens a read of one partition.
   *
   * @param snapshotDir the partition's {@code snapshot/} directory (or a hard-linked copy): {@code MANIFEST} and the
   *     checkpoint directory it names
   * @param binlogDir the partition's {@code binlog/} directory (or a hard-linked copy)
   * @param table the table's metadata (schema, indexes, TTL, compress type, storage mode)
   * @param mode 0 (full, ends), 1 (incremental from {@code startTs}, tails), 2 (full and continuous, tails)
   * @param startTs mode 1: rows with a smaller ts are skipped; ignored otherwise
   * @param from where to start, inclusive ({@link Position#start()} for a new sync)
   * @param nowMillis the time index 0's TTL is evaluated against (keep it fixed for one sync so resumes agree)
   * @param verifyCrc whether binlog records' CRCs are checked
   * @throws SnapshotChangedException if {@code from} is inside a snapshot that is no longer present
   * @throws IOException if the snapshot or the binlog cannot be opened (the message names the file)
   * @throws IllegalArgumentException for a memory table or a bad mode
   */
  public static PartitionReader open(Path snapshotDir, Path binlogDir, NS.TableInfo table, int mode, long startTs,
                                     Position from, long nowMillis, boolean verifyCrc) throws IOException {
    return open(snapshotDir, binlogDir, table, mode, startTs, from, nowMillis, verifyCrc, DEFAULT_OVERLAP_WINDOW);
  }

  /**
   * {@link #open(Path, Path, NS.TableInfo, int, long, Position, long, boolean)} with the overlap window.
   *
   * @param overlapWindow how many puts in a row not found in the checkpoint close the overlap (1 = the first such
   *     put; 0 = no overlap detection: every binlog put after {@code MANIFEST.offset} is a row)
   */
  public static PartitionReader open(Path snapshotDir, Path binlogDir, NS.TableInfo table, int mode, long startTs,
                                     Position from, long nowMillis, boolean verifyCrc, int overlapWindow)
      throws IOException {
    Objects.requireNonNull(from, "from");
    if (overlapWindow < 0) {
      throw new IllegalArgumentException("the overlap window is a number of puts >= 0, got " + overlapWindow);
    }
    if (mode < 0 || mode > 2) {
      throw new IllegalArgumentException("sync mode must be 0 (full), 1 (incremental by timestamp) or 2 (full and "
          + "continuous), got " + mode);
    }
    if (table.getStorageMode() != Common.StorageMode.kSSD && table.getStorageMode() != Common.StorageMode.kHDD) {
      throw new IllegalArgumentException("table " + table.getDb() + "." + table.getName() + " has storage mode "
          + table.getStorageMode() + "; only disk tables (SSD, HDD) can be synced, re-create it with "
          + "STORAGE_MODE='SSD' or 'HDD'");
    }
    PartitionReader r = new PartitionReader(snapshotDir, binlogDir, table, mode, startTs, nowMillis, verifyCrc,
        overlapWindow);
    try {
      if (from instanceof SnapshotPosition sp) {
        r.openSnapshot(sp);
      } else {
        BinlogPosition bp = (BinlogPosition) from;
        if (bp.inOverlap() && overlapWindow > 0) {
          r.reopenOverlap(bp.overlap());
        }
        r.openBinlog(bp.nextLogIndex());
      }
      return r;
    } catch (IOException | RuntimeException e) {
      r.close();
      throw e;
    }
  }

  private void openSnapshot(SnapshotPosition from) throws IOException {
    Optional<Manifest> present = Manifest.readIfExists(snapshotDir.resolve(Manifest.FILE_NAME));
    if (from.manifestName() == null) {
      if (present.isEmpty()) {
        position = from;
        phase = Phase.SNAPSHOT;
        return;
      }
      Manifest m = present.get();
      if (!Files.isDirectory(snapshotDir.resolve(m.name()))) {
        if (m.count() == 0) {
          position = from;
          phase = Phase.SNAPSHOT;
          return;
        }
        throw new IOException("MANIFEST in " + snapshotDir + " names checkpoint " + m.name() + " with " + m.count()
            + " rows, but " + snapshotDir.resolve(m.name()) + " does not exist; the snapshot is incomplete");
      }
      startSnapshot(m, null);
      return;
    }
    Manifest m = present.orElse(null);
    if (m == null || !m.name().equals(from.manifestName()) || m.offset() != from.manifestOffset()
        || !Files.isDirectory(snapshotDir.resolve(m.name()))) {
      throw new SnapshotChangedException(from.manifestName(), from.manifestOffset(), m == null ? null : m.name(),
          m == null ? null : m.offset(), snapshotDir.toString());
    }
    startSnapshot(m, from.nextKey());
  }

  private void startSnapshot(Manifest m, byte[] fromKey) throws IOException {
    manifest = m;
    snapshot = SnapshotReader.open(snapshotDir.resolve(m.name()), table);
    cursor = snapshot.cursor(fromKey, nowMillis);
    cursorOnRow = cursor.next();
    position = new SnapshotPosition(m.name(), m.offset(), fromKey);
    phase = Phase.SNAPSHOT;
  }

  /** A read resumed inside an overlap compares against the same checkpoint, which must still be present. */
  private void reopenOverlap(BinlogPosition.Overlap o) throws IOException {
    Manifest m = Manifest.readIfExists(snapshotDir.resolve(Manifest.FILE_NAME)).orElse(null);
    if (m == null || !m.name().equals(o.manifestName()) || m.offset() != o.manifestOffset()
        || !Files.isDirectory(snapshotDir.resolve(m.name()))) {
      throw new SnapshotChangedException(o.manifestName(), o.manifestOffset(), m == null ? null : m.name(),
          m == null ? null : m.offset(), snapshotDir.toString());
    }
    overlapCheck = new OverlapCheck(SnapshotReader.open(snapshotDir.resolve(m.name()), table), table, mode, startTs,
        nowMillis);
    overlap = o;
  }

  private void openBinlog(long from) throws IOException {
    nextLogIndex = from;
    position = binlogPosition();
    phase = Phase.BINLOG;
    if (mode == 0) {
      endLogIndex = lastLogIndex(binlogDir, verifyCrc);
      if (from > endLogIndex) {
        return;
      }
    }
    binlog = BinlogReader.open(binlogDir, from, verifyCrc);
  }

  /** The position of the next step (where a reader opened now would continue). */
  public Position position() {
    return position;
  }

  /** The last binlog index a mode-0 read goes to, once known (in the binlog phase); {@code Long.MAX_VALUE} else. */
  public long endLogIndex() {
    return endLogIndex;
  }

  /** The next step. */
  public PartitionRead next() throws IOException {
    return switch (phase) {
      case SNAPSHOT -> nextInSnapshot();
      case BINLOG -> nextInBinlog();
      case END -> new PartitionRead.End(position);
    };
  }

  private PartitionRead nextInSnapshot() throws IOException {
    if (cursor == null || !cursorOnRow) {
      return new PartitionRead.Skipped(handOver());
    }
    boolean skip = mode == 1 && Long.compareUnsigned(cursor.ts(), startTs) < 0;
    byte[] row = skip ? null : cursor.row();
    cursorOnRow = cursor.next();
    Position after;
    if (cursorOnRow) {
      after = new SnapshotPosition(manifest.name(), manifest.offset(), cursor.key());
      position = after;
    } else {
      after = handOver();
    }
    return skip ? new PartitionRead.Skipped(after) : new PartitionRead.Row(row, after);
  }

  /**
   * Ends the snapshot phase: the binlog from {@code MANIFEST.offset + 1} (from 1 without a snapshot), compared
   * against the checkpoint just read until the overlap closes.
   */
  private BinlogPosition handOver() throws IOException {
    if (cursor != null) {
      cursor.close();
      cursor = null;
    }
    if (snapshot != null && overlapWindow > 0) {
      overlapCheck = new OverlapCheck(snapshot, table, mode, startTs, nowMillis);
      overlap = new BinlogPosition.Overlap(manifest.name(), manifest.offset(), 0);
      snapshot = null;
    }
    closeSnapshot();
    openBinlog(manifest == null ? 1 : manifest.offset() + 1);
    return (BinlogPosition) position;
  }

  private BinlogPosition binlogPosition() {
    return new BinlogPosition(nextLogIndex, overlap);
  }

  private void closeOverlap() {
    if (overlapCheck != null) {
      overlapCheck.close();
      overlapCheck = null;
    }
    overlap = null;
  }

  private PartitionRead nextInBinlog() throws IOException {
    if (nextLogIndex > endLogIndex) {
      return end();
    }
    if (!(binlog.next() instanceof BinlogRead.Entry e)) {
      return new PartitionRead.CaughtUp(position);
    }
    Tablet.LogEntry entry = e.entry();
    nextLogIndex = entry.getLogIndex() + 1;
    PartitionRead read = entry.getMethodType() == Tablet.MethodType.kDelete || !carriesIndex0(entry)
        ? skipped() : put(entry);
    if (nextLogIndex > endLogIndex && overlap != null) {
      closeOverlap(); // mode 0 read its last entry: its end position is a plain one, nothing more is compared
      position = binlogPosition();
      read = read instanceof PartitionRead.Row r ? new PartitionRead.Row(r.row(), position) : skipped();
    }
    return read;
  }

  /**
   * Whether a put is this partition's copy of the row: it carries index 0's dimension, or it is a put without
   * dimensions (a pk-only put, which is index 0's). Every row has exactly one such put across the partitions.
   */
  static boolean carriesIndex0(Tablet.LogEntry entry) {
    if (entry.getDimensionsCount() == 0) {
      return true;
    }
    for (Tablet.Dimension d : entry.getDimensionsList()) {
      if (d.getIdx() == 0) {
        return true;
      }
    }
    return false;
  }

  private PartitionRead put(Tablet.LogEntry entry) throws IOException {
    if (overlapCheck == null && mode == 1 && Long.compareUnsigned(entry.getTs(), startTs) < 0) {
      return skipped();
    }
    byte[] row;
    try {
      row = RowCompression.decompress(entry.getValue().toByteArray(), table.getCompressType());
    } catch (RuntimeException ex) {
      throw new IOException("binlog entry " + entry.getLogIndex() + " in " + binlogDir + ": " + ex.getMessage(), ex);
    }
    if (overlapCheck != null) {
      OverlapCheck.Verdict verdict = overlapCheck.check(entry, row);
      if (verdict == OverlapCheck.Verdict.NOT_HELD) {
        overlap = overlap.missed(1);
        if (overlap.misses() >= overlapWindow) {
          closeOverlap();
        }
      } else {
        overlap = overlap.matched();
        if (verdict == OverlapCheck.Verdict.SENT) {
          return skipped();
        }
      }
      if (mode == 1 && Long.compareUnsigned(entry.getTs(), startTs) < 0) {
        return skipped();
      }
    }
    position = binlogPosition();
    return new PartitionRead.Row(row, position);
  }

  private PartitionRead skipped() {
    position = binlogPosition();
    return new PartitionRead.Skipped(position);
  }

  private PartitionRead end() throws IOException {
    phase = Phase.END;
    closeBinlog();
    if (overlapCheck != null) {
      overlapCheck.close();
      overlapCheck = null;
    }
    return new PartitionRead.End(position);
  }

  /**
   * The {@code log_index} of the last complete entry in {@code binlogDir} (newest file that has one), 0 if none.
   * Reads the newest non-empty file once.
   */
  public static long lastLogIndex(Path binlogDir, boolean verifyCrc) throws IOException {
    List<BinlogFile> files = BinlogFiles.scan(binlogDir);
    for (int i = files.size() - 1; i >= 0; i--) {
      Path file = files.get(i).path();
      byte[] last = null;
      try (LogReader reader = new LogReader(file, 0, verifyCrc)) {
        while (reader.readRecord() instanceof LogRecord.Full full) {
          last = full.payload();
        }
      }
      if (last != null) {
        try {
          return Tablet.LogEntry.parseFrom(last).getLogIndex();
        } catch (InvalidProtocolBufferException ex) {
          throw new IOException("the last record of binlog " + file + " is not a LogEntry: " + ex.getMessage(), ex);
        }
      }
    }
    return 0;
  }

  private void closeSnapshot() {
    if (cursor != null) {
      cursor.close();
      cursor = null;
    }
    if (snapshot != null) {
      snapshot.close();
      snapshot = null;
    }
  }

  private void closeBinlog() throws IOException {
    if (binlog != null) {
      binlog.close();
      binlog = null;
    }
  }

  @Override
  public void close() throws IOException {
    closeSnapshot();
    if (overlapCheck != null) {
      overlapCheck.close();
      overlapCheck = null;
    }
    closeBinlog();
  }
}
