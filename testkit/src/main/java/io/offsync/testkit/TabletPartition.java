package io.offsync.testkit;

import com.google.protobuf.ByteString;
import com.google.protobuf.TextFormat;
import io.offsync.protocol.binlog.BinlogFiles;
import io.offsync.protocol.binlog.BinlogWriter;
import io.offsync.protocol.codec.RowCompression;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Tablet;
import io.offsync.protocol.partition.PartitionReader;
import io.offsync.protocol.snapshot.DiskTableLayout;
import io.offsync.protocol.snapshot.DiskTableWriter;
import io.offsync.protocol.snapshot.Manifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * One partition of a {@link TabletFixture} table as its leader tablet keeps it under {@code <root>/<tid>_<pid>/}:
 * the live RocksDB ({@code data/}, through {@link DiskTableWriter}), the binlog, {@code snapshot/} and
 * {@code table_meta.txt}; plus its {@link PartitionModel} when rows are tracked.
 *
 * <p>Entries are what {@code TabletImpl::Put}/{@code Delete} (src/tablet/tablet_impl.cc) log: a put carries the
 * term, the partition's next log index, {@code pk} set to the request's (empty: clients send dimensions), the put
 * time as {@code ts}, the value (snappy-compressed on kSnappy tables), the dimensions the client sent to this
 * partition and method kPut; the live DB gets those dimensions only ({@code DiskTable::Put},
 * src/storage/disk_table.cc: one write batch, one key per dimension in its index's column family). A delete carries
 * one dimension, the optional ts range ({@code ts} = start, {@code end_ts}) and method kDelete; the live DB deletes
 * the range {@code end_ts < ts <= ts} of that index ({@code DiskTable::Delete}: a RocksDB DeleteRange; without a
 * range every ts but 0). Not thread-safe.
 */
final class TabletPartition implements AutoCloseable {

  private static final DateTimeFormatter SNAPSHOT_NAME =
      DateTimeFormatter.ofPattern("yyyyMMddHHmm").withZone(ZoneOffset.UTC);

  final int pid;
  final Path dir;
  /** Null for a memory table. */
  DiskTableWriter live;
  final BinlogWriter binlog;
  /** Null when rows are not tracked. */
  final PartitionModel model;
  long lastLogIndex;
  /** Puts that carried index 0's dimension (the MANIFEST count without a model). */
  long index0Puts;
  Manifest manifest;

  private TabletPartition(int pid, Path dir, DiskTableWriter live, BinlogWriter binlog, PartitionModel model,
                          long lastLogIndex, Manifest manifest) {
    this.pid = pid;
    this.dir = dir;
    this.live = live;
    this.binlog = binlog;
    this.model = model;
    this.lastLogIndex = lastLogIndex;
    this.manifest = manifest;
    this.index0Puts = manifest == null ? 0 : manifest.count();
  }

  /**
   * Opens (creating the directories) partition {@code pid} under {@code root}; appends to an existing binlog.
   *
   * @param bulkBytes {@link DiskTableWriter#openBulk} buffer, 0 = one RocksDB write per put
   * @param trackRows whether to keep a {@link PartitionModel} (refused if the partition already has entries)
   */
  static TabletPartition open(Path root, NS.TableInfo table, int pid, DiskTableLayout layout, boolean disk,
                              long bulkBytes, boolean trackRows) throws IOException {
    Path dir = root.resolve(table.getTid() + "_" + pid);
    Files.createDirectories(dir.resolve("binlog"));
    Files.createDirectories(dir.resolve("snapshot"));
    Manifest manifest = Manifest.readIfExists(dir.resolve("snapshot").resolve(Manifest.FILE_NAME)).orElse(null);
    long last = PartitionReader.lastLogIndex(dir.resolve("binlog"), true);
    if (last > 0 && trackRows) {
      throw new IllegalArgumentException("partition " + dir + " already has binlog entries; reopen an existing "
          + "tablet with trackRows(false) (its rows are not known to the model)");
    }
    BinlogWriter binlog = BinlogWriter.open(dir.resolve("binlog"), last + 1);
    DiskTableWriter live = null;
    try {
      if (disk) {
        live = bulkBytes > 0 ? DiskTableWriter.openBulk(dir, layout, bulkBytes) : DiskTableWriter.open(dir, layout);
      }
    } catch (IOException | RuntimeException e) {
      binlog.close();
      throw e;
    }
    return new TabletPartition(pid, dir, live, binlog, trackRows ? new PartitionModel(layout) : null, last,
        manifest);
  }

  Path snapshotDir() {
    return dir.resolve("snapshot");
  }

  Path binlogDir() {
    return dir.resolve("binlog");
  }

  /** Logs and applies a client's put of {@code row} (values {@code v}) with this partition's dimensions. */
  void put(long term, long time, List<DiskTableLayout.Dimension> dims, Object[] v, byte[] row,
           NS.TableInfo table, boolean autoFlush) {
    append(Tablet.LogEntry.newBuilder().setPk("").setMethodType(Tablet.MethodType.kPut), term, time, dims, v, row,
        table, autoFlush);
  }

  /**
   * Logs and applies an existing row that {@code CREATE INDEX} sends here for the new index
   * ({@code TabletImpl::LoadIndexData}: value, ts = the row's index-0 ts, the new index's dimension only).
   */
  void putIndexCopy(long term, long ts0, DiskTableLayout.Dimension dim, Object[] v, byte[] row, NS.TableInfo table,
                    boolean autoFlush) {
    append(Tablet.LogEntry.newBuilder(), term, ts0, List.of(dim), v, row, table, autoFlush);
  }

  /** Applies, without logging, what {@code ExtractIndexData} puts into its own partition for a new index. */
  void applyIndexCopy(long ts0, DiskTableLayout.Dimension dim, Object[] v, byte[] row) {
    try {
      live.put(List.of(dim), v, ts0, row);
    } catch (IOException ex) {
      throw new UncheckedIOException("index copy into " + dir + " failed", ex);
    }
    if (model != null) {
      model.put(0, ts0, List.of(dim), v);
    }
  }

  /** Reopens the live DB with the layout of a new index (RocksDB adds its column family). */
  void relayout(DiskTableLayout layout, long bulkBytes) throws IOException {
    live.close();
    live = bulkBytes > 0 ? DiskTableWriter.openBulk(dir, layout, bulkBytes) : DiskTableWriter.open(dir, layout);
    if (model != null) {
      model.relayout(layout);
    }
  }

  private void append(Tablet.LogEntry.Builder e, long term, long time, List<DiskTableLayout.Dimension> dims,
                      Object[] v, byte[] row, NS.TableInfo table, boolean autoFlush) {
    e.setTerm(term).setLogIndex(lastLogIndex + 1).setTs(time)
        .setValue(ByteString.copyFrom(RowCompression.compress(row, table.getCompressType())));
    dims.forEach(d -> e.addDimensions(d.toProto()));
    try {
      binlog.append(e.build());
      if (autoFlush) {
        binlog.flush();
      }
      if (live != null) {
        live.put(dims, v, time, row);
      }
    } catch (IOException ex) {
      throw new UncheckedIOException("put into " + dir + " failed", ex);
    }
    lastLogIndex++;
    if (dims.stream().anyMatch(d -> d.index() == 0)) {
      index0Puts++;
    }
    if (model != null) {
      model.put(lastLogIndex, time, dims, v);
    }
  }

  /**
   * Logs and applies a delete of {@code key} in index {@code index}: with {@code range}, the rows with
   * {@code endTs < ts <= startTs}, else every ts but 0.
   */
  void delete(long term, int index, String key, boolean range, long startTs, long endTs, boolean autoFlush) {
    Tablet.LogEntry.Builder e = Tablet.LogEntry.newBuilder().setTerm(term).setLogIndex(lastLogIndex + 1)
        .setMethodType(Tablet.MethodType.kDelete)
        .addDimensions(Tablet.Dimension.newBuilder().setIdx(index).setKey(key));
    if (range) {
      e.setTs(startTs);
      if (endTs != 0) {
        e.setEndTs(endTs);
      }
    }
    long start = range ? startTs : -1L;
    long end = range ? endTs : 0L;
    try {
      binlog.append(e.build());
      if (autoFlush) {
        binlog.flush();
      }
      if (live != null) {
        if (range) {
          live.delete(index, key, start, end);
        } else {
          live.delete(index, key);
        }
      }
    } catch (IOException ex) {
      throw new UncheckedIOException("delete in " + dir + " failed", ex);
    }
    lastLogIndex++;
    if (model != null) {
      model.delete(index, key, start, end);
    }
  }

  /**
   * Takes a snapshot as a tablet does ({@code DiskTableSnapshot::MakeSnapshot}, src/storage/disk_table_snapshot.cc):
   * a RocksDB checkpoint of the whole DB (every column family) into {@code snapshot/<name>.tmp} renamed to
   * {@code snapshot/<name>}, the MANIFEST written atomically with offset = the last log index minus
   * {@code overlap}, then the previous checkpoint deleted. {@code name} is the UTC minute {@code YYYYMMDDHHMM} of
   * {@code nowMillis}, moved on by a minute while taken (two snapshots in one minute collide in OpenMLDB; here they
   * get distinct names). {@code count} is index 0's entry count (the tablet's estimate of its first column
   * family's keys).
   */
  Manifest snapshot(long overlap, long term, long nowMillis) {
    try {
      binlog.flush();
      long offset = lastLogIndex - overlap;
      Path snap = snapshotDir();
      long minute = nowMillis / 60_000L;
      String name = SNAPSHOT_NAME.format(Instant.ofEpochMilli(minute * 60_000L));
      while (Files.exists(snap.resolve(name)) || (manifest != null && name.compareTo(manifest.name()) <= 0)) {
        minute++;
        name = SNAPSHOT_NAME.format(Instant.ofEpochMilli(minute * 60_000L));
      }
      Path tmp = snap.resolve(name + ".tmp");
      live.checkpoint(tmp);
      Files.move(tmp, snap.resolve(name));
      long count = model != null ? model.index0Count() : index0Puts;
      Manifest m = new Manifest(offset, name, count, term);
      m.write(snap.resolve(Manifest.FILE_NAME));
      Manifest old = manifest;
      manifest = m;
      if (old != null) {
        deleteTree(snap.resolve(old.name()));
      }
      if (model != null) {
        model.snapshotTaken(lastLogIndex);
      }
      return m;
    } catch (IOException e) {
      throw new UncheckedIOException("snapshot of " + dir + " failed", e);
    }
  }

  /** Deletes the binlog files whose entries all lie at or before the snapshot offset; how many. */
  int purgeBinlogsBefore() {
    if (manifest == null) {
      return 0;
    }
    try {
      return BinlogFiles.purgeBefore(binlogDir(), manifest.offset() + 1).size();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@code table_meta.txt} (text-format {@code TableMeta}) as the tablet keeps it. */
  void writeTableMeta(NS.TableInfo table, long term) {
    Tablet.TableMeta.Builder m = Tablet.TableMeta.newBuilder().setTid(table.getTid()).setName(table.getName())
        .setPid(pid).setTerm(term).setCompressType(table.getCompressType()).setFormatVersion(1)
        .setDb(table.getDb()).setStorageMode(table.getStorageMode()).setMode(Tablet.TableMode.kTableLeader)
        .addAllColumnDesc(table.getColumnDescList()).addAllColumnKey(table.getColumnKeyList())
        .addAllAddedColumnDesc(table.getAddedColumnDescList()).addAllSchemaVersions(table.getSchemaVersionsList());
    NS.TablePartition tp = table.getTablePartition(pid);
    Common.TablePartition.Builder ctp = Common.TablePartition.newBuilder().setPid(pid);
    for (NS.PartitionMeta pm : tp.getPartitionMetaList()) {
      ctp.addPartitionMeta(Common.PartitionMeta.newBuilder().setEndpoint(pm.getEndpoint())
          .setIsLeader(pm.getIsLeader()).setIsAlive(pm.getIsAlive()));
    }
    m.addTablePartition(ctp);
    try {
      Files.writeString(dir.resolve("table_meta.txt"), TextFormat.printer().printToString(m.build()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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

  /** Flushes and closes the binlog and the live DB; the files stay. */
  @Override
  public void close() throws IOException {
    try {
      binlog.close();
    } finally {
      if (live != null) {
        live.close();
      }
    }
  }
}
