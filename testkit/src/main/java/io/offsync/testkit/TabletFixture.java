package io.offsync.testkit;

import com.google.protobuf.ByteString;
import com.google.protobuf.TextFormat;
import io.offsync.protocol.binlog.BinlogFiles;
import io.offsync.protocol.binlog.BinlogWriter;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.RowCompression;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Tablet;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.partition.PartitionReader;
import io.offsync.protocol.snapshot.DiskTableLayout;
import io.offsync.protocol.snapshot.DiskTableWriter;
import io.offsync.protocol.snapshot.Manifest;
import io.offsync.protocol.zk.ZkLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * An OpenMLDB tablet you can drive from a test: it writes one table's partitions in the real on-disk layout and
 * registers the table in ZooKeeper as the nameserver does.
 *
 * <p>Per partition, under {@code <root>/<tid>_<pid>/}: {@code table_meta.txt} (text-format {@code TableMeta}),
 * {@code data/} (live RocksDB through {@link DiskTableWriter}: OpenMLDB's column families, comparator and keys),
 * {@code binlog/NNNNNNNN.log} ({@link BinlogWriter}), and after {@link #snapshot} {@code snapshot/MANIFEST} plus the
 * checkpoint {@code snapshot/<YYYYMMDDHHMM>/}.
 *
 * <p>Writes: {@link #put} encodes the row with the current schema version, picks the partition deterministically
 * from index 0's key: MurmurHash64A with seed {@code 0xe17a1465} (OpenMLDB's hash function and seed; not verified to
 * match its client's partition choice, which no reader depends on), unsigned modulo the partition count; appends a
 * {@code LogEntry} (term, next log_index, pk = index 0's key, value snappy-compressed for kSnappy tables, ts = put
 * time, one dimension per index, method kPut) and writes the live DB. {@link #delete} appends a kDelete entry and
 * deletes the key's rows from that index in the live DB (to every partition when the index is not index 0).
 *
 * <p>Truth: unless built with {@code trackRows(false)} the fixture keeps an independent in-memory model of index 0
 * (one value per (pk, ts), deletes applied) and of the binlog, so {@link #expectedRows} can tell a test what a sync
 * must produce without reading the files back. Memory tables ({@code kMemory}) get ZooKeeper metadata and binlogs
 * only (no RocksDB, no snapshots), for refusal tests.
 *
 * <p>Not thread-safe. Close it: this flushes and closes the binlogs and the live DBs; the files stay.
 */
public final class TabletFixture implements AutoCloseable {

  /** The default tablet endpoint. */
  public static final String DEFAULT_ENDPOINT = "127.0.0.1:9527";
  private static final DateTimeFormatter SNAPSHOT_NAME =
      DateTimeFormatter.ofPattern("yyyyMMddHHmm").withZone(ZoneOffset.UTC);

  private final Path root;
  private NS.TableInfo table;
  private final boolean disk;
  private final boolean trackRows;
  private final boolean autoFlush;
  private final long bulkBytes;
  private final LongSupplier clock;
  private final DiskTableLayout layout;
  private final DiskTableLayout.Index index0;
  private TableSchema schema;
  private final Partition[] partitions;
  private long term;
  private CuratorFramework zk;
  private ZkLayout zkLayout;

  /** One partition's writers and model. */
  private static final class Partition {
    final int pid;
    final Path dir;
    DiskTableWriter live;
    BinlogWriter binlog;
    long lastLogIndex;
    long putCount;
    Manifest manifest;
    /** index 0: pk → ts (newest first) → values. */
    Map<String, TreeMap<Long, Object[]>> liveModel = new HashMap<>();
    Map<String, TreeMap<Long, Object[]>> snapshotModel;
    /** The last log index applied to the latest snapshot's checkpoint (MANIFEST.offset + its overlap). */
    long checkpointIndex;
    /** binlog puts: log index, LogEntry.ts, values. */
    final List<LoggedPut> binlogPuts = new ArrayList<>();

    Partition(int pid, Path dir) {
      this.pid = pid;
      this.dir = dir;
    }
  }

  private record LoggedPut(long logIndex, long ts, Object[] values) {}

  private TabletFixture(Builder b, NS.TableInfo table) throws IOException {
    this.root = b.root;
    this.table = table;
    this.disk = table.getStorageMode() != Common.StorageMode.kMemory;
    this.trackRows = b.trackRows;
    this.autoFlush = b.autoFlush;
    this.bulkBytes = b.bulkBytes;
    this.clock = b.clock;
    this.term = b.term;
    this.layout = DiskTableLayout.of(table);
    this.index0 = layout.index(0);
    this.schema = TableSchema.of(table);
    this.partitions = new Partition[table.getPartitionNum()];
    try {
      for (int pid = 0; pid < partitions.length; pid++) {
        Partition p = new Partition(pid, root.resolve(table.getTid() + "_" + pid));
        partitions[pid] = p;
        Files.createDirectories(p.dir.resolve("binlog"));
        Files.createDirectories(p.dir.resolve("snapshot"));
        p.manifest = Manifest.readIfExists(p.dir.resolve("snapshot").resolve(Manifest.FILE_NAME)).orElse(null);
        p.putCount = p.manifest == null ? 0 : p.manifest.count();
        p.lastLogIndex = PartitionReader.lastLogIndex(p.dir.resolve("binlog"), true);
        if (p.lastLogIndex > 0 && trackRows) {
          throw new IllegalArgumentException("partition " + p.dir + " already has binlog entries; reopen an existing "
              + "tablet with trackRows(false) (its rows are not known to the model)");
        }
        p.binlog = BinlogWriter.open(p.dir.resolve("binlog"), p.lastLogIndex + 1);
        if (disk) {
          p.live = bulkBytes > 0 ? DiskTableWriter.openBulk(p.dir, layout, bulkBytes)
              : DiskTableWriter.open(p.dir, layout);
        }
        writeTableMeta(p);
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /** A builder of a table rooted at {@code root} (a tablet's {@code ssd_root_path}/{@code hdd_root_path}). */
  public static Builder builder(Path root) {
    return new Builder(root);
  }

  /**
   * Reopens the table {@code tid} that a fixture wrote under {@code root} earlier (from its {@code table_meta.txt}),
   * to append rows; the model is off ({@code trackRows(false)}).
   */
  public static TabletFixture reopen(Path root, int tid, boolean autoFlush) throws IOException {
    return reopen(root, tid, autoFlush, 0);
  }

  /** {@link #reopen(Path, int, boolean)} with the live DBs written as by {@link Builder#bulkLoad}. */
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
    Builder b = builder(root).tid(tid).db(meta.getDb()).table(meta.getName()).partitions(parts)
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
    return partition(pid).dir.resolve("snapshot");
  }

  /** {@code <root>/<tid>_<pid>/binlog}. */
  public Path binlogDir(int pid) {
    return partition(pid).dir.resolve("binlog");
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

  /** The partition a row goes to (see the class description). */
  public int partitionOf(Object... values) {
    String key = index0.keyColumns().isEmpty() ? "" : layout.pk(index0, normalize(values));
    return partitionOfKey(key);
  }

  private int partitionOfKey(String key) {
    long h = murmurHash64A(key.getBytes(StandardCharsets.UTF_8), 0xe17a1465L);
    return (int) Long.remainderUnsigned(h, partitions.length);
  }

  /** Puts a row (values of the latest schema, in column order) at the clock's time; returns its partition. */
  public int put(Object... values) {
    return putAt(clock.getAsLong(), values);
  }

  /** Puts a row with put time {@code time} ({@code LogEntry.ts}, and the ts of indexes without a ts column). */
  public int putAt(long time, Object... values) {
    Object[] v = normalize(values);
    int pid = index0.keyColumns().isEmpty() ? 0 : partitionOfKey(layout.pk(index0, v));
    putInto(pid, time, v);
    return pid;
  }

  private void putInto(int pid, long time, Object[] v) {
    Partition p = partition(pid);
    byte[] row = RowCodec.encode(schema, schema.latestVersion(), v);
    List<DiskTableLayout.Dimension> dims = layout.dimensions(v);
    Tablet.LogEntry.Builder e = Tablet.LogEntry.newBuilder().setTerm(term).setLogIndex(p.lastLogIndex + 1)
        .setValue(ByteString.copyFrom(RowCompression.compress(row, table.getCompressType())))
        .setTs(time).setMethodType(Tablet.MethodType.kPut);
    if (!index0.keyColumns().isEmpty()) {
      e.setPk(layout.pk(index0, v));
    }
    dims.forEach(d -> e.addDimensions(d.toProto()));
    try {
      p.binlog.append(e.build());
      if (autoFlush) {
        p.binlog.flush();
      }
      if (p.live != null) {
        p.live.put(dims, v, time, row);
      }
    } catch (IOException ex) {
      throw new UncheckedIOException("put into " + p.dir + " failed", ex);
    }
    p.lastLogIndex++;
    p.putCount++;
    if (trackRows) {
      long ts = layout.ts(index0, v, time);
      String pk = index0.keyColumns().isEmpty() ? "" : layout.pk(index0, v);
      p.liveModel.computeIfAbsent(pk, k -> new TreeMap<>(Comparator.reverseOrder())).put(ts, v);
      p.binlogPuts.add(new LoggedPut(p.lastLogIndex, time, v));
    }
  }

  /**
   * Deletes every row of {@code key} in index {@code index} (the tablet's {@code Delete} without a ts range). Index
   * 0 deletes go to the key's partition, other indexes to every partition (their key does not locate the row).
   */
  public void delete(int index, String key) {
    DiskTableLayout.Index idx = layout.index(index);
    if (index == 0) {
      deleteIn(partitionOfKey(key), idx, key);
    } else {
      for (Partition p : partitions) {
        deleteIn(p.pid, idx, key);
      }
    }
  }

  private void deleteIn(int pid, DiskTableLayout.Index idx, String key) {
    Partition p = partition(pid);
    Tablet.LogEntry entry = Tablet.LogEntry.newBuilder().setTerm(term).setLogIndex(p.lastLogIndex + 1)
        .setMethodType(Tablet.MethodType.kDelete)
        .addDimensions(Tablet.Dimension.newBuilder().setIdx(idx.id()).setKey(key)).build();
    try {
      p.binlog.append(entry);
      if (autoFlush) {
        p.binlog.flush();
      }
      if (p.live != null) {
        p.live.delete(idx.id(), key);
      }
    } catch (IOException ex) {
      throw new UncheckedIOException("delete in " + p.dir + " failed", ex);
    }
    p.lastLogIndex++;
    if (trackRows && idx.id() == 0) {
      // a tablet delete without ts range keeps rows with ts 0
      TreeMap<Long, Object[]> rows = p.liveModel.get(key);
      if (rows != null) {
        rows.keySet().removeIf(ts -> ts != 0);
        if (rows.isEmpty()) {
          p.liveModel.remove(key);
        }
      }
    }
  }

  /** Flushes every partition's binlog to the OS (readers see everything written). */
  public void flush() {
    for (Partition p : partitions) {
      try {
        p.binlog.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** {@link #snapshot(int, long)} without overlap: the checkpoint holds exactly the entries up to MANIFEST.offset. */
  public Manifest snapshot(int pid) {
    return snapshot(pid, 0);
  }

  /**
   * Takes a snapshot of partition {@code pid} as a tablet under write load does: the checkpoint holds every entry
   * written so far, but {@code MANIFEST.offset} is the last log index minus {@code overlap}, as if the last
   * {@code overlap} entries (puts and deletes) had reached RocksDB between the tablet's reading of its offset and
   * its {@code CreateCheckPoint} (OpenMLDB's {@code DiskTableSnapshot::MakeSnapshot}). Those entries stay in the
   * binlog after the offset. The model ({@link #expectedRows}) counts a put of the overlap as a snapshot row when
   * the checkpoint still holds it (no later delete or overwrite of its key and ts before the checkpoint) and the
   * snapshot read yields it (TTL, mode 1), else as a binlog row.
   *
   * @param overlap entries past MANIFEST.offset that the checkpoint holds, from 0 to the last log index
   */
  public Manifest snapshot(int pid, long overlap) {
    Partition p = partition(pid);
    if (overlap < 0 || overlap > p.lastLogIndex) {
      throw new IllegalArgumentException("partition " + pid + " has " + p.lastLogIndex + " binlog entries; an "
          + "overlap of " + overlap + " entries past MANIFEST.offset cannot be");
    }
    return takeSnapshot(p, overlap);
  }

  /**
   * Takes a snapshot of partition {@code pid} as a tablet does: offset = the last log index written, a RocksDB
   * checkpoint into {@code snapshot/<name>.tmp} renamed to {@code snapshot/<name>}, the MANIFEST written atomically,
   * then the previous checkpoint deleted. {@code name} is the UTC minute {@code YYYYMMDDHHMM} of the clock, moved on
   * by a minute while it is taken (two snapshots in one minute collide in OpenMLDB; here they get distinct names).
   * {@code count} is the index-0 row count of the model (the number of puts with {@code trackRows(false)}).
   */
  private Manifest takeSnapshot(Partition p, long overlap) {
    int pid = p.pid;
    if (!disk) {
      throw new IllegalStateException("table " + table.getName() + " is a memory table; the fixture writes no "
          + "memory-table snapshots");
    }
    try {
      p.binlog.flush();
      long offset = p.lastLogIndex - overlap;
      Path dir = snapshotDir(pid);
      long minute = clock.getAsLong() / 60_000L;
      String name = SNAPSHOT_NAME.format(Instant.ofEpochMilli(minute * 60_000L));
      while (Files.exists(dir.resolve(name)) || (p.manifest != null && name.compareTo(p.manifest.name()) <= 0)) {
        minute++;
        name = SNAPSHOT_NAME.format(Instant.ofEpochMilli(minute * 60_000L));
      }
      Path tmp = dir.resolve(name + ".tmp");
      p.live.checkpoint(tmp);
      Files.move(tmp, dir.resolve(name));
      long count = trackRows ? p.liveModel.values().stream().mapToLong(Map::size).sum() : p.putCount;
      Manifest m = new Manifest(offset, name, count, term);
      m.write(dir.resolve(Manifest.FILE_NAME));
      Manifest old = p.manifest;
      p.manifest = m;
      if (old != null) {
        deleteTree(dir.resolve(old.name()));
      }
      if (trackRows) {
        p.snapshotModel = copy(p.liveModel);
      }
      p.checkpointIndex = p.lastLogIndex;
      return m;
    } catch (IOException e) {
      throw new UncheckedIOException("snapshot of " + p.dir + " failed", e);
    }
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
    Partition p = partition(pid);
    if (p.manifest == null) {
      return 0;
    }
    try {
      return BinlogFiles.purgeBefore(binlogDir(pid), p.manifest.offset() + 1).size();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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
    for (Partition p : partitions) {
      writeTableMeta(p);
    }
    publish();
    return table;
  }

  // ---------------------------------------------------------------- ZooKeeper

  /**
   * Registers the table in ZooKeeper under {@code zkRoot} as the nameserver does: binary {@code TableInfo} at
   * {@code /table/db_table_data/<tid>}, and an ephemeral {@code /nodes/<endpoint>} (data {@code startup_<endpoint>})
   * for every tablet endpoint. Later metadata changes ({@link #alterAddColumn}, {@link #moveLeader}) are published.
   */
  public void register(CuratorFramework client, String zkRoot) {
    this.zk = client;
    this.zkLayout = new ZkLayout(zkRoot);
    List<String> endpoints = new ArrayList<>();
    for (NS.TablePartition tp : table.getTablePartitionList()) {
      for (NS.PartitionMeta m : tp.getPartitionMetaList()) {
        if (!endpoints.contains(m.getEndpoint())) {
          endpoints.add(m.getEndpoint());
        }
      }
    }
    for (String ep : endpoints) {
      registerTablet(ep);
    }
    publish();
  }

  /** Adds an ephemeral tablet registration {@code /nodes/<endpoint>} (no-op if present). */
  public void registerTablet(String endpoint) {
    requireZk();
    try {
      zk.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL)
          .forPath(zkLayout.node(endpoint), ("startup_" + endpoint).getBytes(StandardCharsets.UTF_8));
    } catch (KeeperException.NodeExistsException e) {
      // already registered
    } catch (Exception e) {
      throw new IllegalStateException("cannot register tablet " + endpoint + " in ZooKeeper: " + e, e);
    }
  }

  /** Removes the tablet registration {@code /nodes/<endpoint>} (the tablet died). */
  public void unregisterTablet(String endpoint) {
    requireZk();
    try {
      zk.delete().forPath(zkLayout.node(endpoint));
    } catch (KeeperException.NoNodeException e) {
      // not registered
    } catch (Exception e) {
      throw new IllegalStateException("cannot unregister tablet " + endpoint + ": " + e, e);
    }
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
      registerTablet(endpoint);
    }
    writeTableMeta(partition(pid));
    publish();
    return table;
  }

  private void publish() {
    if (zk == null) {
      return;
    }
    String path = zkLayout.tableInfo(table.getTid());
    try {
      if (zk.checkExists().forPath(path) == null) {
        zk.create().creatingParentsIfNeeded().forPath(path, table.toByteArray());
      } else {
        zk.setData().forPath(path, table.toByteArray());
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot write " + path + " to ZooKeeper: " + e, e);
    }
  }

  /** Removes the table from ZooKeeper (DROP TABLE as the nameserver records it). */
  public void unregister() {
    requireZk();
    try {
      zk.delete().forPath(zkLayout.tableInfo(table.getTid()));
    } catch (KeeperException.NoNodeException e) {
      // already gone
    } catch (Exception e) {
      throw new IllegalStateException("cannot delete table " + table.getTid() + " from ZooKeeper: " + e, e);
    }
  }

  private void requireZk() {
    if (zk == null) {
      throw new IllegalStateException("call register(client, zkRoot) first");
    }
  }

  // ---------------------------------------------------------------- truth

  /**
   * The rows a sync of partition {@code pid} must produce, decoded (values of the row's schema version, in the
   * row codec's Java types), in no particular order: the index-0 rows of the latest snapshot (TTL of index 0 at
   * {@code nowMillis}; mode 1 keeps rows whose index-0 ts >= {@code startTs}), then the binlog puts after the
   * snapshot offset (mode 1 keeps those whose {@code LogEntry.ts} >= {@code startTs}) except the puts of the
   * snapshot's overlap that are among those snapshot rows (see {@link #snapshot(int, long)}). Without a snapshot:
   * every binlog put. Deletes in the binlog are not propagated.
   */
  public List<List<Object>> expectedRows(int pid, int mode, long startTs, long nowMillis) {
    if (!trackRows) {
      throw new IllegalStateException("this fixture was built with trackRows(false); it keeps no model of its rows");
    }
    Partition p = partition(pid);
    List<List<Object>> out = new ArrayList<>();
    long offset = 0;
    Set<Object[]> sentBySnapshot = Collections.newSetFromMap(new IdentityHashMap<>());
    if (p.manifest != null && p.snapshotModel != null) {
      offset = p.manifest.offset();
      for (TreeMap<Long, Object[]> byTs : p.snapshotModel.values()) {
        long rank = 0;
        for (Map.Entry<Long, Object[]> e : byTs.entrySet()) {
          rank++;
          if (expired(e.getKey(), rank, nowMillis)) {
            break;
          }
          if (mode == 1 && Long.compareUnsigned(e.getKey(), startTs) < 0) {
            continue;
          }
          out.add(Arrays.asList(e.getValue()));
          sentBySnapshot.add(e.getValue());
        }
      }
    }
    for (LoggedPut put : p.binlogPuts) {
      boolean sent = put.logIndex() <= p.checkpointIndex && sentBySnapshot.contains(put.values());
      if (put.logIndex() > offset && !sent && (mode != 1 || Long.compareUnsigned(put.ts(), startTs) >= 0)) {
        out.add(Arrays.asList(put.values()));
      }
    }
    return out;
  }

  /** {@link #expectedRows(int, int, long, long)} at the clock's time. */
  public List<List<Object>> expectedRows(int pid, int mode, long startTs) {
    return expectedRows(pid, mode, startTs, clock.getAsLong());
  }

  private boolean expired(long ts, long rank, long now) {
    if (!index0.ttl().equals(io.offsync.protocol.snapshot.Ttl.NONE)) {
      Common.TTLSt t = table.getColumnKey(0).getTtl();
      boolean hasAbs = t.getAbsTtl() > 0;
      boolean hasLat = t.getLatTtl() > 0;
      boolean absGone = hasAbs && Long.compareUnsigned(ts, now - t.getAbsTtl() * 60_000L) <= 0;
      boolean latGone = hasLat && rank > t.getLatTtl();
      return switch (t.getTtlType()) {
        case kLatestTime -> latGone;
        case kAbsAndLat -> hasAbs && hasLat && absGone && latGone;
        case kAbsOrLat -> absGone || latGone;
        default -> absGone;
      };
    }
    return false;
  }

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

  // ---------------------------------------------------------------- internals

  private Partition partition(int pid) {
    if (pid < 0 || pid >= partitions.length) {
      throw new IllegalArgumentException("table " + table.getName() + " has partitions 0.." + (partitions.length - 1)
          + ", not " + pid);
    }
    return partitions[pid];
  }

  private void writeTableMeta(Partition p) {
    Tablet.TableMeta.Builder m = Tablet.TableMeta.newBuilder().setTid(table.getTid()).setName(table.getName())
        .setPid(p.pid).setTerm(term).setCompressType(table.getCompressType()).setFormatVersion(1)
        .setDb(table.getDb()).setStorageMode(table.getStorageMode()).setMode(Tablet.TableMode.kTableLeader)
        .addAllColumnDesc(table.getColumnDescList()).addAllColumnKey(table.getColumnKeyList())
        .addAllAddedColumnDesc(table.getAddedColumnDescList()).addAllSchemaVersions(table.getSchemaVersionsList());
    NS.TablePartition tp = table.getTablePartition(p.pid);
    Common.TablePartition.Builder ctp = Common.TablePartition.newBuilder().setPid(p.pid);
    for (NS.PartitionMeta pm : tp.getPartitionMetaList()) {
      ctp.addPartitionMeta(Common.PartitionMeta.newBuilder().setEndpoint(pm.getEndpoint())
          .setIsLeader(pm.getIsLeader()).setIsAlive(pm.getIsAlive()));
    }
    m.addTablePartition(ctp);
    try {
      Files.writeString(p.dir.resolve("table_meta.txt"), TextFormat.printer().printToString(m.build()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, TreeMap<Long, Object[]>> copy(Map<String, TreeMap<Long, Object[]>> m) {
    Map<String, TreeMap<Long, Object[]>> c = new HashMap<>();
    m.forEach((k, v) -> c.put(k, new TreeMap<>(v)));
    return c;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }

  /** MurmurHash64A (Austin Appleby), 64-bit, little-endian blocks. */
  static long murmurHash64A(byte[] data, long seed) {
    final long m = 0xc6a4a7935bd1e995L;
    final int r = 47;
    int len = data.length;
    long h = seed ^ (len * m);
    int blocks = len / 8;
    for (int i = 0; i < blocks; i++) {
      int o = i * 8;
      long k = (data[o] & 0xffL) | (data[o + 1] & 0xffL) << 8 | (data[o + 2] & 0xffL) << 16
          | (data[o + 3] & 0xffL) << 24 | (data[o + 4] & 0xffL) << 32 | (data[o + 5] & 0xffL) << 40
          | (data[o + 6] & 0xffL) << 48 | (data[o + 7] & 0xffL) << 56;
      k *= m;
      k ^= k >>> r;
      k *= m;
      h ^= k;
      h *= m;
    }
    int tail = blocks * 8;
    switch (len & 7) {
      case 7: h ^= (data[tail + 6] & 0xffL) << 48; // fall through
      case 6: h ^= (data[tail + 5] & 0xffL) << 40; // fall through
      case 5: h ^= (data[tail + 4] & 0xffL) << 32; // fall through
      case 4: h ^= (data[tail + 3] & 0xffL) << 24; // fall through
      case 3: h ^= (data[tail + 2] & 0xffL) << 16; // fall through
      case 2: h ^= (data[tail + 1] & 0xffL) << 8; // fall through
      case 1:
        h ^= data[tail] & 0xffL;
        h *= m;
        break;
      default:
        break;
    }
    h ^= h >>> r;
    h *= m;
    h ^= h >>> r;
    return h;
  }

  @Override
  public void close() {
    IOException first = null;
    for (Partition p : partitions) {
      if (p == null) {
        continue;
      }
      try {
        if (p.binlog != null) {
          p.binlog.close();
        }
      } catch (IOException e) {
        first = first == null ? e : first;
      }
      if (p.live != null) {
        p.live.close();
      }
    }
    if (first != null) {
      throw new UncheckedIOException(first);
    }
  }

  // ---------------------------------------------------------------- builder

  /** Describes the table and the tablet; {@link #build()} creates the directories (and nothing in ZooKeeper). */
  public static final class Builder {
    private final Path root;
    private String db = "demo_db";
    private String name = "demo_table";
    private int tid = 1;
    private int partitionCount = 1;
    private Common.StorageMode storageMode = Common.StorageMode.kSSD;
    private Type.CompressType compressType = Type.CompressType.kNoCompress;
    private final List<Common.ColumnDesc> columns = new ArrayList<>();
    private final List<Common.ColumnKey> keys = new ArrayList<>();
    private final List<Common.ColumnDesc> added = new ArrayList<>();
    private final List<Common.VersionPair> versions = new ArrayList<>();
    private List<String> endpoints = List.of(DEFAULT_ENDPOINT);
    private long term = 1;
    private boolean trackRows = true;
    private boolean autoFlush = true;
    private long bulkBytes;
    private LongSupplier clock = System::currentTimeMillis;

    private Builder(Path root) {
      this.root = Objects.requireNonNull(root, "root");
    }

    public Builder db(String db) {
      this.db = db;
      return this;
    }

    public Builder table(String table) {
      this.name = table;
      return this;
    }

    public Builder tid(int tid) {
      this.tid = tid;
      return this;
    }

    public Builder partitions(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("a table has at least one partition");
      }
      this.partitionCount = n;
      return this;
    }

    /** {@code kSSD} (default), {@code kHDD}, or {@code kMemory} (ZooKeeper metadata and binlogs only). */
    public Builder storageMode(Common.StorageMode mode) {
      this.storageMode = mode;
      return this;
    }

    public Builder compressType(Type.CompressType type) {
      this.compressType = type;
      return this;
    }

    /** Adds a column (in order). */
    public Builder column(String name, Type.DataType type) {
      columns.add(Common.ColumnDesc.newBuilder().setName(name).setDataType(type).build());
      return this;
    }

    /** Adds an index without TTL; {@code tsColumn} null = the put time. The first index is index 0. */
    public Builder index(String name, String tsColumn, String... keyColumns) {
      return index(name, tsColumn, null, keyColumns);
    }

    /** Adds an index with a TTL (null = none). */
    public Builder index(String name, String tsColumn, Common.TTLSt ttl, String... keyColumns) {
      Common.ColumnKey.Builder k = Common.ColumnKey.newBuilder().setIndexName(name)
          .addAllColName(List.of(keyColumns));
      if (tsColumn != null) {
        k.setTsName(tsColumn);
      }
      if (ttl != null) {
        k.setTtl(ttl);
      }
      keys.add(k.build());
      return this;
    }

    /** Tablet endpoints; partition {@code pid}'s leader is {@code endpoints[pid % n]}, the others are followers. */
    public Builder endpoints(String... endpoints) {
      if (endpoints.length == 0) {
        throw new IllegalArgumentException("at least one tablet endpoint");
      }
      this.endpoints = List.of(endpoints);
      return this;
    }

    public Builder term(long term) {
      this.term = term;
      return this;
    }

    /** Whether to keep the in-memory model behind {@link #expectedRows} (default true; off for big tables). */
    public Builder trackRows(boolean track) {
      this.trackRows = track;
      return this;
    }

    /** Whether each write flushes its binlog file (default true; off for bulk generation, call flush()). */
    public Builder autoFlush(boolean autoFlush) {
      this.autoFlush = autoFlush;
      return this;
    }

    /**
     * Bulk writes into the live DBs ({@link DiskTableWriter#openBulk}) with up to about {@code bufferBytes} of heap
     * per partition, 0 = off (default): puts are sorted and ingested as SST files at each {@link #snapshot},
     * delete and close instead of one RocksDB write each; same keys and values, orders of magnitude faster.
     */
    public Builder bulkLoad(long bufferBytes) {
      if (bufferBytes < 0) {
        throw new IllegalArgumentException("bulk buffer must be >= 0, got " + bufferBytes);
      }
      this.bulkBytes = bufferBytes;
      return this;
    }

    /** The clock for put times and snapshot names (default the system clock). */
    public Builder clock(LongSupplier clock) {
      this.clock = clock;
      return this;
    }

    public TabletFixture build() {
      if (columns.isEmpty()) {
        throw new IllegalArgumentException("a table needs at least one column");
      }
      if (keys.isEmpty()) {
        throw new IllegalArgumentException("a table needs at least one index (index 0 is what a sync reads)");
      }
      NS.TableInfo.Builder t = NS.TableInfo.newBuilder().setName(name).setDb(db).setTid(tid)
          .setPartitionNum(partitionCount).setReplicaNum(endpoints.size()).setCompressType(compressType)
          .setStorageMode(storageMode).setFormatVersion(1).addAllColumnDesc(columns).addAllColumnKey(keys)
          .addAllAddedColumnDesc(added).addAllSchemaVersions(versions);
      for (int pid = 0; pid < partitionCount; pid++) {
        NS.TablePartition.Builder tp = NS.TablePartition.newBuilder().setPid(pid);
        String leader = endpoints.get(pid % endpoints.size());
        tp.addPartitionMeta(NS.PartitionMeta.newBuilder().setEndpoint(leader).setIsLeader(true).setIsAlive(true));
        for (String ep : endpoints) {
          if (!ep.equals(leader)) {
            tp.addPartitionMeta(NS.PartitionMeta.newBuilder().setEndpoint(ep).setIsLeader(false).setIsAlive(true));
          }
        }
        t.addTablePartition(tp);
      }
      try {
        return new TabletFixture(this, t.build());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the tablet layout under " + root, e);
      }
    }
  }
}
