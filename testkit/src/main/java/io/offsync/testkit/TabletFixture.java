package io.offsync.testkit;

import com.google.protobuf.TextFormat;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Tablet;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.snapshot.DiskTableLayout;
import io.offsync.protocol.snapshot.DiskTableWriter;
import io.offsync.protocol.snapshot.Manifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.apache.curator.framework.CuratorFramework;

/**
 * An OpenMLDB cluster's view of one table that you can drive from a test: it writes the table's partitions in the
 * real on-disk layout, as the leader tablets of a cluster leave them, and registers the table in ZooKeeper as the
 * nameserver does.
 *
 * <p>Per partition ({@link TabletPartition}), under {@code <root>/<tid>_<pid>/}: {@code table_meta.txt},
 * {@code data/} (live RocksDB through {@link DiskTableWriter}: OpenMLDB's column families, comparator and keys),
 * {@code binlog/NNNNNNNN.log}, and after {@link #snapshot} {@code snapshot/MANIFEST} plus the checkpoint
 * {@code snapshot/<YYYYMMDDHHMM>/}.
 *
 * <p>Writes go where a cluster puts them ({@link ClusterWriter}, {@link PartitionRouting}: from OpenMLDB's
 * source). {@link #put}: the row
 * is encoded with the current schema version; every index key (not deleted) hashes to a partition
 * ({@code hash64(key) % partitions}), and each partition it names gets one put ({@code LogEntry} with that
 * partition's dimensions only, at the same put time) in its binlog and live DB. On a table with several indexes a
 * row is therefore in up to one partition per index; index 0's partition is the row's own (what a sync reads).
 * {@link #delete} is {@code DELETE FROM t WHERE <index's key columns> = key}: sent to the key's partition for that
 * index; on a table with more than one index that tablet first runs {@code DeleteAllIndex}
 * (src/tablet/tablet_impl.cc): for each of its rows under the key and each other index, a delete of that index's
 * key at exactly the row's ts (range {@code ts-1 < ts <= ts}), sent to {@link PartitionRouting#fanOutPartition} and
 * logged there; then it deletes the key in its own index (every ts but 0) and logs that. {@link #addIndex} is
 * {@code CREATE INDEX} on the live table, copies of existing rows included.
 *
 * <p>Truth: unless built with {@code trackRows(false)} the fixture keeps an independent in-memory model of every
 * partition ({@link PartitionModel}: each index's rows, index 0 at the latest snapshot, the index-0 binlog puts), so
 * {@link #expectedRows} can tell a test what a sync must produce without reading the files back; the model also
 * finds the rows a multi-index delete fans out to, so such a delete needs it. Memory tables ({@code kMemory}) get
 * ZooKeeper metadata and binlogs only (no RocksDB, no snapshots), for refusal tests.
 *
 * <p>Not thread-safe. Close it: this flushes and closes the binlogs and the live DBs; the files stay.
 */
public final class TabletFixture implements AutoCloseable {

  /** The default tablet endpoint. */
  public static final String DEFAULT_ENDPOINT = "127.0.0.1:9527";

  private final Path root;
  private NS.TableInfo table;
  private final boolean disk;
  private final boolean trackRows;
  private final boolean autoFlush;
  private final LongSupplier clock;
  private final long bulkBytes;
  private DiskTableLayout layout;
  private DiskTableLayout.Index index0;
  private TableSchema schema;
  private final TabletPartition[] partitions;
  private final ClusterWriter writer;
  private long term;
  private TableRegistration zk;

  TabletFixture(TabletFixtureBuilder b, NS.TableInfo table) throws IOException {
    this.root = b.root;
    this.table = table;
    this.disk = table.getStorageMode() != Common.StorageMode.kMemory;
    this.trackRows = b.trackRows;
    this.autoFlush = b.autoFlush;
    this.clock = b.clock;
    this.bulkBytes = b.bulkBytes;
    this.term = b.term;
    this.layout = DiskTableLayout.of(table);
    this.index0 = layout.index(0);
    this.schema = TableSchema.of(table);
    this.partitions = new TabletPartition[table.getPartitionNum()];
    try {
      for (int pid = 0; pid < partitions.length; pid++) {
        partitions[pid] = TabletPartition.open(root, table, pid, layout, disk, b.bulkBytes, trackRows);
        partitions[pid].writeTableMeta(table, term);
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
    this.writer = new ClusterWriter(partitions, disk, autoFlush);
  }

  /** A builder of a table rooted at {@code root} (a tablet's {@code ssd_root_path}/{@code hdd_root_path}). */
  public static TabletFixtureBuilder builder(Path root) {
    return new TabletFixtureBuilder(root);
  }

  /**
   * Reopens the table {@code tid} that a fixture wrote under {@code root} earlier (from its {@code table_meta.txt}),
   * to append rows; the model is off ({@code trackRows(false)}).
   */
  public static TabletFixture reopen(Path root, int tid, boolean autoFlush) throws IOException {
    return reopen(root, tid, autoFlush, 0);
  }

  /** {@link #reopen(Path, int, boolean)} with the live DBs written as by {@link TabletFixtureBuilder#bulkLoad}. */
  public static TabletFixture reopen(Path root, int tid, boolean autoFlush, long bulkBytes) throws IOException {
    Path meta0 = root.resolve(tid + "_0").resolve("table_meta.txt");
    if (!Files.isRegularFile(meta0)) {
      throw new IOException("no table " + tid + " under " + root + " (" + meta0 + " is missing)");
    }
    Tablet.TableMeta.Builder mb = Tablet.TableMeta.newBuilder();
    TextFormat.getParser().merge(Files.readString(meta0), mb);
    Tablet.TableMeta meta = mb.build();
    int parts;
    try (Stream<Path> dirs = Files.list(root)) {
      parts = (int) dirs.filter(d -> d.getFileName().toString().startsWith(tid + "_")).count();
    }
    TabletFixtureBuilder b = builder(root).tid(tid).db(meta.getDb()).table(meta.getName()).partitions(parts)
        .storageMode(meta.getStorageMode()).compressType(meta.getCompressType()).term(Math.max(1, meta.getTerm()))
        .trackRows(false).autoFlush(autoFlush).bulkLoad(bulkBytes);
    b.columns.addAll(meta.getColumnDescList());
    b.keys.addAll(meta.getColumnKeyList());
    b.added.addAll(meta.getAddedColumnDescList());
    b.versions.addAll(meta.getSchemaVersionsList());
    List<String> eps = new ArrayList<>();
    for (Common.TablePartition tp : meta.getTablePartitionList()) {
      for (Common.PartitionMeta pm : tp.getPartitionMetaList()) {
        if (!eps.contains(pm.getEndpoint())) {
          eps.add(pm.getEndpoint());
        }
      }
    }
    if (!eps.isEmpty()) {
      b.endpoints(eps.toArray(String[]::new));
    }
    return b.build();
  }


  // ---------------------------------------------------------------- metadata and paths

  /** The table as the nameserver describes it now. */
  public NS.TableInfo tableInfo() {
    return table;
  }

  public int tid() {
    return table.getTid();
  }

  public int partitionCount() {
    return partitions.length;
  }

  public Path root() {
    return root;
  }

  /** {@code <root>/<tid>_<pid>}. */
  public Path partitionDir(int pid) {
    return partition(pid).dir;
  }

  /** {@code <root>/<tid>_<pid>/snapshot} (MANIFEST and checkpoints; a tablet reports it as snapshot_path). */
  public Path snapshotDir(int pid) {
    return partition(pid).snapshotDir();
  }

  /** {@code <root>/<tid>_<pid>/binlog}. */
  public Path binlogDir(int pid) {
    return partition(pid).binlogDir();
  }

  /** The last log index written to partition {@code pid} (0 if none). */
  public long lastLogIndex(int pid) {
    return partition(pid).lastLogIndex;
  }

  /** The MANIFEST of the latest {@link #snapshot}, or null. */
  public Manifest manifest(int pid) {
    return partition(pid).manifest;
  }

  /** The leader term written into new binlog entries. */
  public long term() {
    return term;
  }

  // ---------------------------------------------------------------- writes

  /** The partition a row belongs to: where index 0's key hashes (the partition a sync reads it from). */
  public int partitionOf(Object... values) {
    return index0.keyColumns().isEmpty() ? 0
        : PartitionRouting.putPartition(layout.pk(index0, normalize(values)), partitions.length);
  }

  /**
   * The partitions a put of this row writes to, each with its dimensions, as a client sends them (see the class
   * description).
   */
  public Map<Integer, List<DiskTableLayout.Dimension>> dimensionsByPartition(Object... values) {
    return PartitionRouting.dimensionsByPartition(layout, normalize(values), partitions.length);
  }

  /** Puts a row (values of the latest schema, in column order) at the clock's time; returns its partition. */
  public int put(Object... values) {
    return putAt(clock.getAsLong(), values);
  }

  /**
   * Puts a row with put time {@code time} ({@code LogEntry.ts}, and the ts of indexes without a ts column) into
   * every partition one of its index keys hashes to; returns index 0's partition.
   */
  public int putAt(long time, Object... values) {
    Object[] v = normalize(values);
    return writer.put(table, layout, term, time, v, RowCodec.encode(schema, schema.latestVersion(), v));
  }

  /**
   * {@code DELETE FROM t WHERE <key columns of index> = key} as a cluster runs it (see the class description): the
   * key's partition deletes it in that index, after the other indexes' entries of its rows were deleted in their
   * partitions when the table has more than one index.
   *
   * @throws IllegalStateException on a table with several indexes built with {@code trackRows(false)} (the fixture
   *     finds the rows to fan out to in its model, as the tablet reads its own index)
   */
  public void delete(int index, String key) {
    writer.delete(table, layout, term, index, key);
  }

  /** Flushes every partition's binlog to the OS (readers see everything written). */
  public void flush() {
    for (TabletPartition p : partitions) {
      try {
        p.binlog.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  // ---------------------------------------------------------------- tablet operations

  /** {@link #snapshot(int, long)} without overlap: the checkpoint holds exactly the entries up to MANIFEST.offset. */
  public Manifest snapshot(int pid) {
    return snapshot(pid, 0);
  }

  /**
   * Takes a snapshot of partition {@code pid} as a tablet under write load does: the checkpoint holds every entry
   * written so far, but {@code MANIFEST.offset} is the last log index minus {@code overlap}, as if the last
   * {@code overlap} entries (puts and deletes) had reached RocksDB between the tablet's reading of its offset and
   * its {@code CreateCheckPoint} (OpenMLDB's {@code DiskTableSnapshot::MakeSnapshot}). Those entries stay in the
   * binlog after the offset. The model ({@link #expectedRows}) counts an index-0 put of the overlap as a snapshot
   * row when the checkpoint still holds it (no later delete or overwrite of its key and ts before the checkpoint)
   * and the snapshot read yields it (TTL, mode 1), else as a binlog row.
   *
   * @param overlap entries past MANIFEST.offset that the checkpoint holds, from 0 to the last log index
   */
  public Manifest snapshot(int pid, long overlap) {
    TabletPartition p = partition(pid);
    if (overlap < 0 || overlap > p.lastLogIndex) {
      throw new IllegalArgumentException("partition " + pid + " has " + p.lastLogIndex + " binlog entries; an "
          + "overlap of " + overlap + " entries past MANIFEST.offset cannot be");
    }
    if (!disk) {
      throw new IllegalStateException("table " + table.getName() + " is a memory table; the fixture writes no "
          + "memory-table snapshots");
    }
    return p.snapshot(overlap, term, clock.getAsLong());
  }

  /** Ends the current binlog file of {@code pid} (EOF record) and starts the next one. */
  public void rollBinlog(int pid) {
    try {
      partition(pid).binlog.roll();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Deletes the binlog files of {@code pid} whose entries all lie at or before the snapshot offset, as the tablet's
   * binlog-delete task does (never the newest file). Returns how many were deleted.
   */
  public int purgeBinlogsBefore(int pid) {
    return partition(pid).purgeBinlogsBefore();
  }

  /**
   * {@code ALTER TABLE ... ADD COLUMN}: appends the column to {@code added_column_desc}, adds schema version
   * (latest + 1) and updates the table in ZooKeeper; later puts take one more value and are encoded with the new
   * version, earlier rows keep theirs.
   */
  public NS.TableInfo alterAddColumn(String name, Type.DataType type) {
    int version = schema.latestVersion() + 1;
    int fields = table.getColumnDescCount() + table.getAddedColumnDescCount() + 1;
    table = table.toBuilder()
        .addAddedColumnDesc(Common.ColumnDesc.newBuilder().setName(name).setDataType(type))
        .addSchemaVersions(Common.VersionPair.newBuilder().setId(version).setFieldCount(fields)).build();
    schema = TableSchema.of(table);
    for (TabletPartition p : partitions) {
      p.writeTableMeta(table, term);
    }
    publish();
    return table;
  }

  /**
   * {@code CREATE INDEX name(keyColumns..., ts)} on the live table, as a cluster runs it: the index is appended to
   * {@code column_key}, every live DB gets its column family, and each partition's existing index-0 rows are put
   * under the new index in the partition its key hashes to ({@code DiskTableSnapshot::ExtractIndexData}): into the
   * own partition without a binlog entry, into another one through {@code TabletImpl::LoadIndexData}, which logs
   * an entry with the row, its index-0 ts and only the new index's dimension. Later puts carry the new index.
   *
   * @throws IllegalArgumentException if an index with the same key columns exists (its column family's key format
   *     would change)
   * @throws IllegalStateException with {@code trackRows(false)} (the rows are taken from the model, re-encoded with
   *     the current schema version: not after {@link #alterAddColumn})
   */
  public NS.TableInfo addIndex(String name, String tsColumn, String... keyColumns) {
    List<String> cols = List.of(keyColumns);
    if (table.getColumnKeyList().stream().anyMatch(k -> k.getColNameList().equals(cols))) {
      throw new IllegalArgumentException("table " + table.getName() + " already has an index on " + cols);
    }
    if (!trackRows || !disk) {
      throw new IllegalStateException("addIndex copies the rows from the fixture's model: build it with "
          + "trackRows(true) on a disk table");
    }
    Common.ColumnKey.Builder k = Common.ColumnKey.newBuilder().setIndexName(name).addAllColName(cols);
    if (tsColumn != null) {
      k.setTsName(tsColumn);
    }
    table = table.toBuilder().addColumnKey(k).build();
    layout = DiskTableLayout.of(table);
    index0 = layout.index(0);
    DiskTableLayout.Index added = layout.index(table.getColumnKeyCount() - 1);
    try {
      for (TabletPartition p : partitions) {
        p.relayout(layout, bulkBytes);
        p.writeTableMeta(table, term);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot add index " + name + " to the live DBs", e);
    }
    writer.copyIntoIndex(table, layout, schema, term, added);
    publish();
    return table;
  }

  // ---------------------------------------------------------------- ZooKeeper

  /**
   * Registers the table in ZooKeeper under {@code zkRoot} as the nameserver does ({@link TableRegistration}). Later
   * metadata changes ({@link #alterAddColumn}, {@link #moveLeader}) are published.
   */
  public void register(CuratorFramework client, String zkRoot) {
    this.zk = new TableRegistration(client, zkRoot);
    zk.register(table);
  }

  /** Adds an ephemeral tablet registration {@code /nodes/<endpoint>} (no-op if present). */
  public void registerTablet(String endpoint) {
    requireZk().registerTablet(endpoint);
  }

  /** Removes the tablet registration {@code /nodes/<endpoint>} (the tablet died). */
  public void unregisterTablet(String endpoint) {
    requireZk().unregisterTablet(endpoint);
  }

  /**
   * Makes {@code endpoint} the leader of partition {@code pid} (adding it as a replica if needed), the previous
   * leader a follower, raises the term and publishes the new {@code TableInfo}. The partition's files stay where
   * they are (the fixture's root stands for the leader's disk).
   */
  public NS.TableInfo moveLeader(int pid, String endpoint) {
    NS.TableInfo.Builder b = table.toBuilder();
    NS.TablePartition.Builder tp = b.getTablePartitionBuilderList().stream()
        .filter(x -> x.getPid() == pid).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no partition " + pid));
    boolean found = false;
    for (NS.PartitionMeta.Builder m : tp.getPartitionMetaBuilderList()) {
      boolean me = m.getEndpoint().equals(endpoint);
      found |= me;
      m.setIsLeader(me);
    }
    if (!found) {
      tp.addPartitionMeta(NS.PartitionMeta.newBuilder().setEndpoint(endpoint).setIsLeader(true).setIsAlive(true));
    }
    table = b.build();
    term++;
    if (zk != null) {
      zk.registerTablet(endpoint);
    }
    partition(pid).writeTableMeta(table, term);
    publish();
    return table;
  }

  /** Removes the table from ZooKeeper (DROP TABLE as the nameserver records it). */
  public void unregister() {
    requireZk().unregister(table.getTid());
  }

  private void publish() {
    if (zk != null) {
      zk.publish(table);
    }
  }

  private TableRegistration requireZk() {
    if (zk == null) {
      throw new IllegalStateException("call register(client, zkRoot) first");
    }
    return zk;
  }

  // ---------------------------------------------------------------- truth

  /**
   * The rows a sync of partition {@code pid} must produce, decoded (values of the row's schema version, in the
   * row codec's Java types), in no particular order: the index-0 rows of the latest snapshot (TTL of index 0 at
   * {@code nowMillis}; mode 1 keeps rows whose index-0 ts >= {@code startTs}), then the binlog puts that carry index
   * 0's dimension after the snapshot offset (mode 1 keeps those whose {@code LogEntry.ts} >= {@code startTs})
   * except the puts of the snapshot's overlap that are among those snapshot rows (see {@link #snapshot(int, long)}).
   * Without a snapshot: every index-0 binlog put. Puts a partition got for another index, and deletes, are not
   * rows of it.
   */
  public List<List<Object>> expectedRows(int pid, int mode, long startTs, long nowMillis) {
    TabletPartition p = partition(pid);
    if (p.model == null) {
      throw new IllegalStateException("this fixture was built with trackRows(false); it keeps no model of its rows");
    }
    return p.model.expectedRows(p.manifest, table.getColumnKey(0).getTtl(), mode, startTs, nowMillis);
  }

  /** {@link #expectedRows(int, int, long, long)} at the clock's time. */
  public List<List<Object>> expectedRows(int pid, int mode, long startTs) {
    return expectedRows(pid, mode, startTs, clock.getAsLong());
  }

  // ---------------------------------------------------------------- values

  /** Decoded values of rows in the latest schema for comparison: the input types the codec returns. */
  public Object[] normalize(Object... values) {
    List<Common.ColumnDesc> cols = new ArrayList<>(table.getColumnDescList());
    cols.addAll(table.getAddedColumnDescList());
    if (values.length != cols.size()) {
      throw new IllegalArgumentException("table " + table.getName() + " has " + cols.size() + " columns "
          + cols.stream().map(Common.ColumnDesc::getName).toList() + ", got " + values.length + " values");
    }
    Object[] out = new Object[values.length];
    for (int i = 0; i < values.length; i++) {
      Object v = values[i];
      if (v == null) {
        continue;
      }
      Common.ColumnDesc c = cols.get(i);
      out[i] = switch (c.getDataType()) {
        case kBool -> (Boolean) v;
        case kSmallInt -> ((Number) v).shortValue();
        case kInt -> ((Number) v).intValue();
        case kBigInt, kTimestamp -> v instanceof Instant t ? t.toEpochMilli() : ((Number) v).longValue();
        case kFloat -> ((Number) v).floatValue();
        case kDouble -> ((Number) v).doubleValue();
        case kDate -> v instanceof LocalDate d ? d : LocalDate.parse(v.toString());
        case kVarchar, kString -> v.toString();
        default -> throw new IllegalArgumentException("column " + c.getName() + " has unsupported type "
            + c.getDataType());
      };
    }
    return out;
  }


  private TabletPartition partition(int pid) {
    if (pid < 0 || pid >= partitions.length) {
      throw new IllegalArgumentException("table " + table.getName() + " has partitions 0.." + (partitions.length - 1)
          + ", not " + pid);
    }
    return partitions[pid];
  }

  @Override
  public void close() {
    IOException first = null;
    for (TabletPartition p : partitions) {
      if (p == null) {
        continue;
      }
      try {
        p.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw new UncheckedIOException(first);
    }
  }
}
