package io.offsync.testkit;

import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Type;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/** Describes the table and the tablet; {@link #build()} creates the directories (and nothing in ZooKeeper). */
public final class TabletFixtureBuilder {
  final Path root;
  String db = "demo_db";
  String name = "demo_table";
  int tid = 1;
  int partitionCount = 1;
  Common.StorageMode storageMode = Common.StorageMode.kSSD;
  Type.CompressType compressType = Type.CompressType.kNoCompress;
  final List<Common.ColumnDesc> columns = new ArrayList<>();
  final List<Common.ColumnKey> keys = new ArrayList<>();
  final List<Common.ColumnDesc> added = new ArrayList<>();
  final List<Common.VersionPair> versions = new ArrayList<>();
  List<String> endpoints = List.of(TabletFixture.DEFAULT_ENDPOINT);
  long term = 1;
  boolean trackRows = true;
  boolean autoFlush = true;
  long bulkBytes;
  LongSupplier clock = System::currentTimeMillis;

  TabletFixtureBuilder(Path root) {
    this.root = Objects.requireNonNull(root, "root");
  }

  public TabletFixtureBuilder db(String db) {
    this.db = db;
    return this;
  }

  public TabletFixtureBuilder table(String table) {
    this.name = table;
    return this;
  }

  public TabletFixtureBuilder tid(int tid) {
    this.tid = tid;
    return this;
  }

  public TabletFixtureBuilder partitions(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("a table has at least one partition");
    }
    this.partitionCount = n;
    return this;
  }

  /** {@code kSSD} (default), {@code kHDD}, or {@code kMemory} (ZooKeeper metadata and binlogs only). */
  public TabletFixtureBuilder storageMode(Common.StorageMode mode) {
    this.storageMode = mode;
    return this;
  }

  public TabletFixtureBuilder compressType(Type.CompressType type) {
    this.compressType = type;
    return this;
  }

  /** Adds a column (in order). */
  public TabletFixtureBuilder column(String name, Type.DataType type) {
    columns.add(Common.ColumnDesc.newBuilder().setName(name).setDataType(type).build());
    return this;
  }

  /** Adds an index without TTL; {@code tsColumn} null = the put time. The first index is index 0. */
  public TabletFixtureBuilder index(String name, String tsColumn, String... keyColumns) {
    return index(name, tsColumn, null, keyColumns);
  }

  /** Adds an index with a TTL (null = none). */
  public TabletFixtureBuilder index(String name, String tsColumn, Common.TTLSt ttl, String... keyColumns) {
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
  public TabletFixtureBuilder endpoints(String... endpoints) {
    if (endpoints.length == 0) {
      throw new IllegalArgumentException("at least one tablet endpoint");
    }
    this.endpoints = List.of(endpoints);
    return this;
  }

  public TabletFixtureBuilder term(long term) {
    this.term = term;
    return this;
  }

  /** Whether to keep the in-memory model behind {@link #expectedRows} (default true; off for big tables). */
  public TabletFixtureBuilder trackRows(boolean track) {
    this.trackRows = track;
    return this;
  }

  /** Whether each write flushes its binlog file (default true; off for bulk generation, call flush()). */
  public TabletFixtureBuilder autoFlush(boolean autoFlush) {
    this.autoFlush = autoFlush;
    return this;
  }

  /**
   * Bulk writes into the live DBs ({@link DiskTableWriter#openBulk}) with up to about {@code bufferBytes} of heap
   * per partition, 0 = off (default): puts are sorted and ingested as SST files at each {@link #snapshot},
   * delete and close instead of one RocksDB write each; same keys and values, orders of magnitude faster.
   */
  public TabletFixtureBuilder bulkLoad(long bufferBytes) {
    if (bufferBytes < 0) {
      throw new IllegalArgumentException("bulk buffer must be >= 0, got " + bufferBytes);
    }
    this.bulkBytes = bufferBytes;
    return this;
  }

  /** The clock for put times and snapshot names (default the system clock). */
  public TabletFixtureBuilder clock(LongSupplier clock) {
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
