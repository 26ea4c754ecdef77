package io.offsync.protocol.snapshot;

import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.snapshot.sst.KeyValueIterator;
import io.offsync.protocol.snapshot.sst.SstCheckpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads index 0 of an OpenMLDB disk-table snapshot: a RocksDB checkpoint (usually a hard-linked copy of
 * {@code <partition>/snapshot/<name>/}).
 *
 * <p>Index 0's column family is read straight from its SST files in Java ({@link SstCheckpoint}) whenever the
 * checkpoint qualifies (no WAL records, only block-based tables with snappy or no compression, no merge operands,
 * ...; range deletions are applied); else, and for the point lookups {@link #get} and {@link #visible}, the checkpoint is opened
 * read-only through RocksDB with every column family it has ({@code default} with the bytewise comparator, the others
 * with {@link KeyTSComparator}); the choice is made once per reader and logged at DEBUG with its reason. Both paths
 * yield the same rows. Nothing is written into the directory (RocksDB's info log goes to slf4j). Rows are read
 * through {@link #cursor}: index 0's column family in key order, filtered to index 0's ts column when the family is
 * shared, with index 0's TTL applied as OpenMLDB's traverse iterator applies it. The system property
 * {@value #JAVA_READER_PROPERTY}{@code =false} turns the Java path off (for comparisons).
 *
 * <p>Failures (not a checkpoint, a family missing, a comparator mismatch, a corrupt file) are {@link IOException}s
 * naming the directory. The reader holds native resources and open files: close it (this closes any cursor still
 * open). Not thread-safe.
 */
public final class SnapshotReader implements AutoCloseable {

  /** The system property that, set to {@code false}, makes every reader use RocksDB. */
  public static final String JAVA_READER_PROPERTY = "offsync.snapshot.sst-reader";

  private static final Logger LOG = LoggerFactory.getLogger(SnapshotReader.class);
  private static final long READAHEAD_BYTES = 4L << 20;

  private final Path dir;
  private final DiskTableLayout layout;
  private final DiskTableLayout.Index index0;
  private final SstCheckpoint sst;
  private Rocks rocks;
  private final Set<SnapshotCursor> cursors = Collections.newSetFromMap(new IdentityHashMap<>());
  private boolean closed;

  private SnapshotReader(Path dir, DiskTableLayout layout, SstCheckpoint sst, Rocks rocks) {
    this.dir = dir;
    this.layout = layout;
    this.index0 = layout.index(0);
    this.sst = sst;
    this.rocks = rocks;
  }

  /**
   * Opens the checkpoint in {@code checkpointDir} of the disk table {@code table}.
   *
   * @throws IOException if the table is a memory table, the directory is not a RocksDB checkpoint of this table, or
   *     RocksDB cannot open it
   */
  public static SnapshotReader open(Path checkpointDir, NS.TableInfo table) throws IOException {
    if (table.getStorageMode() == Common.StorageMode.kMemory || table.getStorageMode() == Common.StorageMode.kUnknown) {
      throw new IOException("table " + table.getDb() + "." + table.getName() + " has storage mode "
          + table.getStorageMode() + "; only disk tables (kSSD, kHDD) have RocksDB snapshots");
    }
    return open(checkpointDir, DiskTableLayout.of(table));
  }

  /** Opens the checkpoint in {@code checkpointDir} of a table with layout {@code layout}. */
  public static SnapshotReader open(Path checkpointDir, DiskTableLayout layout) throws IOException {
    return open(checkpointDir, layout, !"false".equals(System.getProperty(JAVA_READER_PROPERTY)));
  }

  /** Opens the checkpoint, reading index 0 in Java if {@code javaReader} and the checkpoint qualifies. */
  static SnapshotReader open(Path checkpointDir, DiskTableLayout layout, boolean javaReader) throws IOException {
    DiskTableLayout.Index index0 = layout.index(0);
    if (index0.deleted()) {
      throw new IOException("index 0 (" + index0.name() + ") is marked deleted in the table description; OpenMLDB "
          + "never deletes index 0, so the TableInfo is corrupt");
    }
    if (!Files.isRegularFile(checkpointDir.resolve("CURRENT"))) {
      throw new IOException(checkpointDir + " is not a RocksDB checkpoint (no CURRENT file); pass the directory "
          + "named by the snapshot MANIFEST");
    }
    if (javaReader) {
      try {
        SstCheckpoint sst = SstCheckpoint.open(checkpointDir, layout.innerIndex(index0).columnFamily());
        LOG.debug("snapshot {}: index 0 read from its SST files in Java", checkpointDir);
        return new SnapshotReader(checkpointDir, layout, sst, null);
      } catch (IOException e) {
        LOG.debug("snapshot {}: index 0 read through RocksDB: {}", checkpointDir, e.getMessage());
      }
    }
    return new SnapshotReader(checkpointDir, layout, null, Rocks.open(checkpointDir, layout));
  }

  /** The table layout the reader interprets keys with. */
  public DiskTableLayout layout() {
    return layout;
  }

  /** The checkpoint directory. */
  public Path directory() {
    return dir;
  }

  /** Whether {@link #cursor}s read the SST files in Java (else through RocksDB). */
  public boolean readsSstFiles() {
    return sst != null;
  }

  /**
   * A cursor over index 0's rows, starting at the first row whose key is {@code >= fromKeyInclusive}.
   *
   * @param fromKeyInclusive a key previously returned by {@link SnapshotCursor#key()} (any key of index 0's family
   *     works), or null to start at the first row
   * @param nowMillis the time TTL is evaluated against (epoch ms)
   */
  public SnapshotCursor cursor(byte[] fromKeyInclusive, long nowMillis) throws IOException {
    requireOpen();
    KeyValueIterator it;
    if (sst != null) {
      it = sst.scan();
    } else {
      ReadOptions ro = new ReadOptions().setFillCache(false).setReadaheadSize(READAHEAD_BYTES)
          .setTotalOrderSeek(true);
      it = new RocksKeyValues(dir, rocks.db.newIterator(rocks.index0Family, ro), ro);
    }
    boolean withId = layout.innerIndex(index0).keysHaveTsColumnId();
    SnapshotCursor c = new SnapshotCursor(this, it, withId, index0.tsColumnId(), index0.ttl(),
        index0.ttl().checker(nowMillis), layout.compressType());
    cursors.add(c);
    try {
      c.position(fromKeyInclusive);
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
    return c;
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("snapshot reader of " + dir + " is closed");
    }
  }

  private Rocks rocks() throws IOException {
    if (rocks == null) {
      rocks = Rocks.open(dir, layout);
    }
    return rocks;
  }

  /**
   * The stored value (as stored: snappy-compressed for kSnappy tables) of {@code key} in {@code index}'s column
   * family, or null when the checkpoint has no such key (or no such family).
   *
   * @param key a key as {@link DiskTableLayout#key} builds it
   */
  public byte[] get(DiskTableLayout.Index index, byte[] key) throws IOException {
    requireOpen();
    Rocks r = rocks();
    int pos = r.familyNames.indexOf(layout.innerIndex(index).columnFamily());
    if (pos < 0) {
      return null;
    }
    try {
      return r.db.get(r.handles.get(pos), key);
    } catch (RocksDBException e) {
      throw new IOException("reading snapshot " + dir + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Whether a {@link #cursor} evaluating TTL at {@code nowMillis} yields index 0's row {@code (pk, ts)} when the
   * checkpoint holds it: the row is not past index 0's TTL at its rank (1 + the rows of the pk with a newer ts).
   */
  public boolean visible(byte[] pk, long ts, long nowMillis) throws IOException {
    requireOpen();
    Ttl ttl = index0.ttl();
    long rank = 1;
    if (ttl.usesRank()) {
      Rocks r = rocks();
      try (ReadOptions ro = new ReadOptions().setFillCache(false).setTotalOrderSeek(true);
           RocksIterator it = r.db.newIterator(r.index0Family, ro)) {
        byte[] first = layout.key(index0, pk, -1L);
        it.seek(first);
        while (it.isValid() && Long.compareUnsigned(rank, ttl.latTtl()) <= 0) {
          byte[] k = it.key();
          if (k.length != first.length || !Arrays.equals(k, 0, k.length - DiskKey.TS_LEN, first, 0,
              first.length - DiskKey.TS_LEN)) {
            break;
          }
          if (Long.compareUnsigned(DiskKey.readLongLE(k, k.length - DiskKey.TS_LEN), ts) <= 0) {
            break;
          }
          rank++;
          it.next();
        }
        try {
          it.status();
        } catch (RocksDBException e) {
          throw new IOException("reading snapshot " + dir + " failed: " + e.getMessage(), e);
        }
      }
    }
    return !ttl.checker(nowMillis).isExpired(ts, rank);
  }

  void forget(SnapshotCursor c) {
    cursors.remove(c);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (SnapshotCursor c : new ArrayList<>(cursors)) {
      c.close();
    }
    if (rocks != null) {
      rocks.close();
    }
    if (sst != null) {
      try {
        sst.close();
      } catch (IOException e) {
        LOG.debug("closing the SST files of {} failed: {}", dir, e.getMessage());
      }
    }
  }

  /** The checkpoint opened read-only through RocksDB, with every column family. */
  private static final class Rocks {
    final KeyTSComparator comparator;
    final RocksLog rocksLog;
    final DBOptions dbOptions;
    final List<ColumnFamilyOptions> cfOptions;
    final List<ColumnFamilyHandle> handles;
    final RocksDB db;
    final ColumnFamilyHandle index0Family;
    final List<String> familyNames;

    private Rocks(KeyTSComparator comparator, RocksLog rocksLog, DBOptions dbOptions,
                  List<ColumnFamilyOptions> cfOptions, List<ColumnFamilyHandle> handles, RocksDB db,
                  ColumnFamilyHandle index0Family, List<String> familyNames) {
      this.comparator = comparator;
      this.rocksLog = rocksLog;
      this.dbOptions = dbOptions;
      this.cfOptions = cfOptions;
      this.handles = handles;
      this.db = db;
      this.index0Family = index0Family;
      this.familyNames = familyNames;
    }

    static Rocks open(Path checkpointDir, DiskTableLayout layout) throws IOException {
      String path = checkpointDir.toString();
      List<byte[]> names;
      try (Options listOptions = new Options()) {
        names = RocksDB.listColumnFamilies(listOptions, path);
      } catch (RocksDBException e) {
        throw new IOException("cannot list the column families of snapshot " + checkpointDir + ": " + e.getMessage(),
            e);
      }
      String index0Name = layout.innerIndex(layout.index(0)).columnFamily();
      int index0Pos = -1;
      List<String> familyNames = new ArrayList<>();
      for (byte[] n : names) {
        String name = new String(n, StandardCharsets.UTF_8);
        if (name.equals(index0Name)) {
          index0Pos = familyNames.size();
        }
        familyNames.add(name);
      }
      if (index0Pos < 0) {
        throw new IOException("snapshot " + checkpointDir + " has no column family '" + index0Name + "' for index 0 ("
            + "families: " + familyNames + "); the table description does not match this snapshot");
      }
      KeyTSComparator comparator = KeyTSComparator.create();
      RocksLog rocksLog = new RocksLog();
      DBOptions dbOptions = new DBOptions().setLogger(rocksLog).setCreateIfMissing(false).setMaxOpenFiles(-1);
      List<ColumnFamilyOptions> cfOptions = new ArrayList<>();
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      for (int i = 0; i < names.size(); i++) {
        ColumnFamilyOptions o = new ColumnFamilyOptions();
        if (!familyNames.get(i).equals(DiskTableLayout.DEFAULT_COLUMN_FAMILY)) {
          o.setComparator(comparator);
        }
        cfOptions.add(o);
        descriptors.add(new ColumnFamilyDescriptor(names.get(i), o));
      }
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      RocksDB db;
      try {
        db = RocksDB.openReadOnly(dbOptions, path, descriptors, handles);
      } catch (RocksDBException e) {
        cfOptions.forEach(ColumnFamilyOptions::close);
        dbOptions.close();
        rocksLog.close();
        comparator.close();
        throw new IOException("cannot open snapshot " + checkpointDir + " read-only: " + e.getMessage()
            + " (an OpenMLDB disk-table checkpoint uses comparator " + KeyTSComparator.NAME + " in every family but "
            + "'default')", e);
      }
      return new Rocks(comparator, rocksLog, dbOptions, cfOptions, handles, db, handles.get(index0Pos), familyNames);
    }

    void close() {
      handles.forEach(ColumnFamilyHandle::close);
      db.close();
      cfOptions.forEach(ColumnFamilyOptions::close);
      dbOptions.close();
      rocksLog.close();
      comparator.close();
    }
  }
}
