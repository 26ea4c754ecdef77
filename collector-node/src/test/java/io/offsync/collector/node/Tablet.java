package io.offsync.collector.node;

import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Type;
import io.offsync.testkit.TabletFixture;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A tablet table for collector tests and benchmarks, on the testkit's {@link TabletFixture} (real RocksDB
 * checkpoint, real binlog files): columns {@code id bigint, name string, ts timestamp, payload string}, index 0
 * on {@code name} with ts column {@code ts}, HDD storage. Rows are compared as decoded values.
 */
public final class Tablet implements AutoCloseable {

  private final TabletFixture fixture;
  private long nextId;

  private Tablet(TabletFixture fixture) {
    this.fixture = fixture;
  }

  /**
   * A table with {@code snapshotRows} rows per partition in its snapshot, then {@code binlogRows} more puts (and a
   * few deletes, which a sync skips) per partition in the binlog after it. Rows are routed to partitions by key,
   * as OpenMLDB's client does, so the counts are per table and spread over the partitions.
   */
  public static Tablet create(Path root, int tid, int partitions, int snapshotRows, int binlogRows) {
    boolean track = snapshotRows + binlogRows <= 200_000;
    TabletFixture f = TabletFixture.builder(root).db("db").table("t" + tid).tid(tid).partitions(partitions)
        .storageMode(Common.StorageMode.kHDD)
        .column("id", Type.DataType.kBigInt)
        .column("name", Type.DataType.kString)
        .column("ts", Type.DataType.kTimestamp)
        .column("payload", Type.DataType.kString)
        .index("idx_name", "ts", "name")
        .trackRows(track)
        .autoFlush(track)
        .build();
    Tablet t = new Tablet(f);
    for (int i = 0; i < snapshotRows; i++) {
      t.putOne(40 + (i % 60));
    }
    if (snapshotRows > 0) {
      for (int pid = 0; pid < partitions; pid++) {
        f.snapshot(pid);
      }
    }
    for (int i = 0; i < binlogRows; i++) {
      t.putOne(40 + (i % 60));
      if (i % 50 == 49) {
        f.delete(0, "k" + (i % 7));
      }
    }
    f.flush();
    return t;
  }

  private List<Object> putOne(int payloadBytes) {
    long id = nextId++;
    Object[] values = {id, "k" + (id % 97), tsOfRow(id), "p".repeat(payloadBytes) + id};
    fixture.put(values);
    return Arrays.asList(fixture.normalize(values));
  }

  public int tid() {
    return fixture.tid();
  }

  public NS.TableInfo tableInfo() {
    return fixture.tableInfo();
  }

  public byte[] tableInfoBytes() {
    return fixture.tableInfo().toByteArray();
  }

  public Path binlogDir(int pid) {
    return fixture.binlogDir(pid);
  }

  public long lastLogIndex(int pid) {
    return fixture.lastLogIndex(pid);
  }

  /** Rows in the partition's snapshot (MANIFEST count). */
  public long snapshotRowCount(int pid) {
    return fixture.manifest(pid) == null ? 0 : fixture.manifest(pid).count();
  }

  /** What a full sync of {@code pid} must produce, as sorted decoded rows. */
  public List<String> expectedRows(int pid) {
    return expectedRows(pid, 0, 0);
  }

  /** What a sync of {@code pid} in {@code mode} from {@code startTs} must produce, as sorted decoded rows. */
  public List<String> expectedRows(int pid, int mode, long startTs) {
    return fixture.expectedRows(pid, mode, startTs).stream().map(Object::toString).sorted().toList();
  }

  /** The index-0 ts (column {@code ts}) of the row put as number {@code n} of this table. */
  public static long tsOfRow(long n) {
    return 1_700_000_000_000L + n;
  }

  /** Decodes encoded rows with the table's schema, in stream order. */
  public List<String> decode(List<byte[]> rows) {
    TableSchema schema = TableSchema.of(fixture.tableInfo());
    List<String> out = new ArrayList<>(rows.size());
    for (byte[] r : rows) {
      out.add(Arrays.asList(RowCodec.decode(schema, r, 0)).toString());
    }
    return out;
  }

  /** Puts {@code n} rows into a one-partition table; returns them decoded, in order. */
  public List<String> put(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(putOne(40).toString());
    }
    fixture.flush();
    return out;
  }

  /** Puts rows whose payload strings have the given lengths into a one-partition table. */
  public List<String> putBig(int... payloadBytes) {
    List<String> out = new ArrayList<>();
    for (int b : payloadBytes) {
      out.add(putOne(b).toString());
    }
    fixture.flush();
    return out;
  }

  public void snapshot(int pid) {
    fixture.snapshot(pid);
  }

  /** A snapshot whose checkpoint holds the last {@code overlap} entries past its MANIFEST.offset. */
  public void snapshot(int pid, long overlap) {
    fixture.snapshot(pid, overlap);
  }

  /** Deletes every row of {@code name} (index 0), as a tablet's delete does. */
  public void delete(String name) {
    fixture.delete(0, name);
    fixture.flush();
  }

  public void rollBinlog(int pid) {
    fixture.rollBinlog(pid);
  }

  /** Tablet-side deletion of binlog files covered by the snapshot; returns how many went. */
  public int purgeBinlogs(int pid) {
    return fixture.purgeBinlogsBefore(pid);
  }

  @Override
  public void close() {
    fixture.close();
  }
}
