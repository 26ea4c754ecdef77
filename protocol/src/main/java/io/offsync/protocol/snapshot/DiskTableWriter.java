package io.offsync.protocol.snapshot;

import io.offsync.protocol.codec.RowCompression;
import io.offsync.protocol.openmldb.NS;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Writes a partition's live RocksDB ({@code <partition>/data}) the way an OpenMLDB tablet writes a disk table, so
 * tests and demos get real snapshots: the same column families ({@code default}, then one per inner index), the
 * {@link KeyTSComparator}, the same key encoding, values snappy-compressed for kSnappy tables, block-based tables with
 * 256 KiB blocks and no key delta encoding, writes without WAL (the tablet's default; data is flushed by
 * {@link #checkpoint} and {@link #close}).
 *
 * <p>OpenMLDB also sets a prefix extractor (pk = key minus its last 8 bytes) that only feeds an in-memory bloom
 * filter; the Java API cannot define custom prefix extractors, so none is set. It changes no byte of the data, and
 * OpenMLDB's tables carry no SST filter for it.
 *
 * <p>Throughput: the comparator is Java code, and rocksjni attaches RocksDB's native background threads to the JVM
 * for every comparison they make, so flushes (at {@link #checkpoint}, {@link #close} and when a 64 MiB memtable
 * fills) and compactions cost tens of microseconds per key: fine for tests, minutes for tables of millions of rows.
 *
 * <p>{@link #openBulk} avoids that: puts are buffered, sorted in Java and ingested as one SST file per column family
 * ({@link SortedIngest}) before each {@link #checkpoint}, {@link #delete} and at {@link #close}. The database then
 * holds the same keys and values, as after a full compaction. The tablet's own layout for the same rows differs only
 * in how they are spread over files and levels, which no reader sees.
 *
 * <p>A put writes one key per dimension in one atomic batch, like the tablet. Deletes are range deletes on one
 * index, like the tablet's (other indexes keep the row). Failures are {@link IOException}s naming the directory.
 * Not thread-safe; close it.
 */
public final class DiskTableWriter implements AutoCloseable {

  /** {@code startTs} of a delete of every timestamp (UINT64_MAX). */
  public static final long ALL = -1L;

  private final Path dataDir;
  private final DiskTableLayout layout;
  private final KeyTSComparator comparator;
  private final RocksLog rocksLog;
  private final DBOptions dbOptions;
  private final List<ColumnFamilyOptions> cfOptions;
  private final List<ColumnFamilyHandle> handles;
  private final WriteOptions writeOptions;
  private final RocksDB db;
  private final Options sstOptions;
  private final SortedIngest bulk;
  private boolean closed;

  private DiskTableWriter(Path dataDir, DiskTableLayout layout, KeyTSComparator comparator, RocksLog rocksLog,
                          DBOptions dbOptions, List<ColumnFamilyOptions> cfOptions, List<ColumnFamilyHandle> handles,
                          WriteOptions writeOptions, RocksDB db, long bulkBufferBytes) {
    this.dataDir = dataDir;
    this.layout = layout;
    this.comparator = comparator;
    this.rocksLog = rocksLog;
    this.dbOptions = dbOptions;
    this.cfOptions = cfOptions;
    this.handles = handles;
    this.writeOptions = writeOptions;
    this.db = db;
    if (bulkBufferBytes > 0) {
      this.sstOptions = new Options().setComparator(comparator).setTableFormatConfig(tableFormat());
      this.bulk = new SortedIngest(dataDir.resolveSibling(dataDir.getFileName() + ".bulk"), handles.size(),
          bulkBufferBytes, sstOptions);
    } else {
      this.sstOptions = null;
      this.bulk = null;
    }
  }

  private static BlockBasedTableConfig tableFormat() {
    return new BlockBasedTableConfig().setBlockSize(256 << 10).setWholeKeyFiltering(false).setUseDeltaEncoding(false);
  }

  /** Creates or opens {@code <partitionDir>/data} for {@code table}. */
  public static DiskTableWriter open(Path partitionDir, NS.TableInfo table) throws IOException {
    return open(partitionDir, DiskTableLayout.of(table));
  }

  /** Creates or opens {@code <partitionDir>/data} for a table with layout {@code layout}. */
  public static DiskTableWriter open(Path partitionDir, DiskTableLayout layout) throws IOException {
    return open(partitionDir, layout, 0);
  }

  /**
   * Creates or opens {@code <partitionDir>/data} for bulk writes (see the class description): puts are buffered
   * (up to about {@code bufferBytes} of heap, spilled as sorted runs into {@code <partitionDir>/data.bulk/} beyond
   * it) and ingested as SST files at {@link #checkpoint}, {@link #delete} and {@link #close}.
   */
  public static DiskTableWriter openBulk(Path partitionDir, DiskTableLayout layout, long bufferBytes)
      throws IOException {
    if (bufferBytes < 1) {
      throw new IllegalArgumentException("bulk buffer must be positive, got " + bufferBytes);
    }
    return open(partitionDir, layout, bufferBytes);
  }

  private static DiskTableWriter open(Path partitionDir, DiskTableLayout layout, long bulkBufferBytes)
      throws IOException {
    Path dataDir = partitionDir.resolve("data");
    Files.createDirectories(dataDir);
    KeyTSComparator comparator = KeyTSComparator.create();
    RocksLog rocksLog = new RocksLog();
    DBOptions dbOptions = new DBOptions().setLogger(rocksLog).setCreateIfMissing(true)
        .setCreateMissingColumnFamilies(true).setMaxOpenFiles(-1);
    List<ColumnFamilyOptions> cfOptions = new ArrayList<>();
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    for (String name : layout.columnFamilies()) {
      ColumnFamilyOptions o = new ColumnFamilyOptions();
      if (!name.equals(DiskTableLayout.DEFAULT_COLUMN_FAMILY)) {
        o.setComparator(comparator).setTableFormatConfig(tableFormat());
      }
      cfOptions.add(o);
      descriptors.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8), o));
    }
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    WriteOptions writeOptions = new WriteOptions().setDisableWAL(true);
    try {
      RocksDB db = RocksDB.open(dbOptions, dataDir.toString(), descriptors, handles);
      return new DiskTableWriter(dataDir, layout, comparator, rocksLog, dbOptions, cfOptions, handles,
          writeOptions, db, bulkBufferBytes);
    } catch (RocksDBException e) {
      writeOptions.close();
      cfOptions.forEach(ColumnFamilyOptions::close);
      dbOptions.close();
      rocksLog.close();
      comparator.close();
      throw new IOException("cannot open disk table " + dataDir + ": " + e.getMessage(), e);
    }
  }

  /** The layout written. */
  public DiskTableLayout layout() {
    return layout;
  }

  /** The live database directory, {@code <partition>/data}. */
  public Path dataDirectory() {
    return dataDir;
  }

  /**
   * Puts a row into every index that is not deleted.
   *
   * @param values the row's values by column id (see {@link DiskTableLayout#dimensions})
   * @param time the put time (the ts of indexes without a ts column; {@code LogEntry.ts})
   * @param row the encoded row, uncompressed
   */
  public void put(Object[] values, long time, byte[] row) throws IOException {
    put(layout.dimensions(values), values, time, row);
  }

  /**
   * Puts a row under the given dimensions only, as the tablet applies a {@code LogEntry}: each dimension's key at
   * the index's ts (its ts column's value in {@code values}, or {@code time}).
   */
  public void put(List<DiskTableLayout.Dimension> dimensions, Object[] values, long time, byte[] row)
      throws IOException {
    requireOpen();
    byte[] value = RowCompression.compress(row, layout.compressType());
    if (bulk != null) {
      for (DiskTableLayout.Dimension d : dimensions) {
        DiskTableLayout.Index index = readyIndex(d.index());
        bulk.add(index.innerPosition() + 1, layout.key(index, d.key(), layout.ts(index, values, time)), value);
      }
      return;
    }
    try (WriteBatch batch = new WriteBatch()) {
      for (DiskTableLayout.Dimension d : dimensions) {
        DiskTableLayout.Index index = readyIndex(d.index());
        long ts = layout.ts(index, values, time);
        batch.put(handles.get(index.innerPosition() + 1), layout.key(index, d.key(), ts), value);
      }
      db.write(writeOptions, batch);
    } catch (RocksDBException e) {
      throw new IOException("put into " + dataDir + " failed: " + e.getMessage(), e);
    }
  }

  /** Deletes every row of {@code pk} in index {@code index} (like the tablet: rows with ts 0 stay). */
  public void delete(int index, String pk) throws IOException {
    delete(index, pk, ALL, 0);
  }

  /**
   * Deletes the rows of {@code pk} in index {@code index} with {@code endTs < ts <= startTs} (unsigned; a tablet
   * delete without ts uses {@link #ALL} and 0), as a range delete from key {@code (pk, startTs)} to
   * {@code (pk, endTs)} exclusive.
   */
  public void delete(int index, String pk, long startTs, long endTs) throws IOException {
    requireOpen();
    DiskTableLayout.Index idx = readyIndex(index);
    int order = Long.compareUnsigned(startTs, endTs);
    if (order < 0) {
      throw new IllegalArgumentException("delete range start ts " + Long.toUnsignedString(startTs)
          + " is below end ts " + Long.toUnsignedString(endTs) + "; start is the newest ts deleted");
    }
    if (order == 0) {
      return;
    }
    loadBulk();
    try {
      db.deleteRange(handles.get(idx.innerPosition() + 1), writeOptions, layout.key(idx, pk, startTs),
          layout.key(idx, pk, endTs));
    } catch (RocksDBException e) {
      throw new IOException("delete in " + dataDir + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Takes a RocksDB checkpoint (memtables flushed, SST files hard-linked) into {@code targetDir}, which must not
   * exist; its parent must.
   */
  public void checkpoint(Path targetDir) throws IOException {
    requireOpen();
    if (Files.exists(targetDir)) {
      throw new IOException("checkpoint target " + targetDir + " already exists; RocksDB checkpoints need a new "
          + "directory");
    }
    loadBulk();
    try (Checkpoint cp = Checkpoint.create(db)) {
      cp.createCheckpoint(targetDir.toString());
    } catch (RocksDBException e) {
      throw new IOException("checkpoint of " + dataDir + " into " + targetDir + " failed: " + e.getMessage(), e);
    }
  }

  private void loadBulk() throws IOException {
    if (bulk != null) {
      bulk.load(db, handles);
    }
  }

  private DiskTableLayout.Index readyIndex(int id) {
    DiskTableLayout.Index index = layout.index(id);
    if (index.deleted()) {
      throw new IllegalArgumentException("index " + id + " (" + index.name() + ") is deleted; a tablet writes no "
          + "rows into deleted indexes");
    }
    return index;
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("disk table writer of " + dataDir + " is closed");
    }
  }

  /**
   * Closes the database; a bulk writer first ingests what it buffered.
   *
   * @throws UncheckedIOException if that ingestion fails (the database is closed all the same)
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    IOException failed = null;
    if (bulk != null) {
      try {
        bulk.load(db, handles);
      } catch (IOException e) {
        failed = e;
      }
      try {
        bulk.close();
      } catch (IOException e) {
        failed = failed == null ? e : failed;
      }
      sstOptions.close();
    }
    handles.forEach(ColumnFamilyHandle::close);
    db.close();
    writeOptions.close();
    cfOptions.forEach(ColumnFamilyOptions::close);
    dbOptions.close();
    rocksLog.close();
    comparator.close();
    if (failed != null) {
      throw new UncheckedIOException(failed);
    }
  }
}
