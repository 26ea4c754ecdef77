package io.offsync.protocol.snapshot;

import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;

/** Table descriptions for the snapshot tests, and a raw reader of what they wrote. */
final class TestTables {

  private TestTables() {}

  /**
   * Every key and value ({@code {key, value}}) of a column family in iteration order, read with RocksDB directly,
   * not with the code under test's reader.
   */
  static List<byte[][]> rawEntries(Path db, List<String> families, String family) throws Exception {
    List<byte[][]> out = new ArrayList<>();
    try (KeyTSComparator cmp = KeyTSComparator.create();
         ColumnFamilyOptions def = new ColumnFamilyOptions();
         ColumnFamilyOptions cfo = new ColumnFamilyOptions().setComparator(cmp);
         DBOptions dbo = new DBOptions()) {
      List<ColumnFamilyDescriptor> ds = new ArrayList<>();
      for (String f : families) {
        ds.add(new ColumnFamilyDescriptor(f.getBytes(StandardCharsets.UTF_8), f.equals("default") ? def : cfo));
      }
      List<ColumnFamilyHandle> hs = new ArrayList<>();
      try (RocksDB rocks = RocksDB.openReadOnly(dbo, db.toString(), ds, hs)) {
        try (RocksIterator it = rocks.newIterator(hs.get(families.indexOf(family)))) {
          for (it.seekToFirst(); it.isValid(); it.next()) {
            out.add(new byte[][] {it.key(), it.value()});
          }
        }
        hs.forEach(ColumnFamilyHandle::close);
      }
    }
    return out;
  }

  static Common.ColumnDesc col(String name, Type.DataType type) {
    return Common.ColumnDesc.newBuilder().setName(name).setDataType(type).build();
  }

  static Common.ColumnKey index(String name, List<String> cols, String ts) {
    Common.ColumnKey.Builder b = Common.ColumnKey.newBuilder().setIndexName(name).addAllColName(cols);
    if (ts != null) {
      b.setTsName(ts);
    }
    return b.build();
  }

  static Common.ColumnKey index(String name, List<String> cols, String ts, Type.TTLType ttl, long abs, long lat) {
    return index(name, cols, ts).toBuilder()
        .setTtl(Common.TTLSt.newBuilder().setTtlType(ttl).setAbsTtl(abs).setLatTtl(lat)).build();
  }

  static NS.TableInfo.Builder table(String name) {
    return NS.TableInfo.newBuilder().setName(name).setDb("db").setTid(7).setPartitionNum(1)
        .setStorageMode(Common.StorageMode.kSSD);
  }

  /**
   * Columns id, name, amount, ts1, ts2, d, flag (+ added ts3). Indexes:
   * 0 idx_id(id; ts1), 1 idx_name(name; ts1), 2 idx_id2(id; ts2), 3 idx_multi(id, d; put time),
   * 4 idx_del(flag; ts1; deleted), 5 idx_id3(id; ts3). Inner indexes: {0, 2, 5}, {1}, {3}, {4}.
   */
  static NS.TableInfo.Builder wide(String name) {
    return table(name)
        .addColumnDesc(col("id", Type.DataType.kString))
        .addColumnDesc(col("name", Type.DataType.kVarchar))
        .addColumnDesc(col("amount", Type.DataType.kBigInt))
        .addColumnDesc(col("ts1", Type.DataType.kTimestamp))
        .addColumnDesc(col("ts2", Type.DataType.kBigInt))
        .addColumnDesc(col("d", Type.DataType.kDate))
        .addColumnDesc(col("flag", Type.DataType.kBool))
        .addAddedColumnDesc(col("ts3", Type.DataType.kBigInt))
        .addSchemaVersions(Common.VersionPair.newBuilder().setId(2).setFieldCount(8))
        .addColumnKey(index("idx_id", List.of("id"), "ts1"))
        .addColumnKey(index("idx_name", List.of("name"), "ts1"))
        .addColumnKey(index("idx_id2", List.of("id"), "ts2"))
        .addColumnKey(index("idx_multi", List.of("id", "d"), null))
        .addColumnKey(index("idx_del", List.of("flag"), "ts1").toBuilder().setFlag(1).build())
        .addColumnKey(index("idx_id3", List.of("id"), "ts3"));
  }

  /** Columns k (string), v (int), ts (bigint); index 0 alone in its column family, a second index on v. */
  static NS.TableInfo.Builder simple(String name, Common.ColumnKey index0) {
    return table(name)
        .addColumnDesc(col("k", Type.DataType.kString))
        .addColumnDesc(col("v", Type.DataType.kInt))
        .addColumnDesc(col("ts", Type.DataType.kBigInt))
        .addColumnKey(index0)
        .addColumnKey(index("idx_v", List.of("v"), "ts"));
  }
}
