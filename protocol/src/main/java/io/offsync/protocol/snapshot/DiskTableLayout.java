package io.offsync.protocol.snapshot;

import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Tablet;
import io.offsync.protocol.openmldb.Type;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How an OpenMLDB disk table lays its indexes out in RocksDB, as a tablet builds it when it loads the table.
 *
 * <ul>
 *   <li>Indexes ({@code column_key}, position = index id) whose key column lists are equal share one <em>inner
 *       index</em>; inner indexes are numbered in order of first appearance in {@code column_key}. Deleted indexes
 *       ({@code flag = 1}) keep their place in the grouping (the tablet still opens their column family) but get no
 *       rows.
 *   <li>Column families: {@code default} first (unused, bytewise comparator), then one per inner index named after
 *       the {@code index_name} of its first index, with {@link KeyTSComparator}.
 *   <li>Keys: {@code pk ‖ ts} (uint64 LE), or {@code pk ‖ tsColumnId ‖ ts} (uint32 LE id) when the inner index holds
 *       more than one index. The ts column id is the column's position in {@code column_desc} (then
 *       {@code added_column_desc} continuing the count), or {@link #AUTO_TS_COLUMN_ID} for an index without a ts
 *       column, whose ts is the put time.
 *   <li>The pk string: the key columns' values joined with {@code |}; bool as {@code true}/{@code false}, integers
 *       and timestamps (epoch ms) in decimal, a date as the decimal of its encoded int
 *       {@code (year-1900)<<16 | (month-1)<<8 | day}, strings as is; NULL is {@link #NULL_TOKEN} and an empty string
 *       {@link #EMPTY_TOKEN}. Float and double columns cannot be index keys.
 * </ul>
 * A table without any {@code column_key} gets OpenMLDB's default index {@code idx0} with no key columns and the put
 * time as ts (its pk cannot be derived from row values).
 */
public final class DiskTableLayout {

  /** RocksDB's default column family, present and unused. */
  public static final String DEFAULT_COLUMN_FAMILY = "default";
  /** The ts column id of an index without a ts column (UINT32_MAX). */
  public static final int AUTO_TS_COLUMN_ID = -1;
  /** The pk text of a NULL key value. */
  public static final String NULL_TOKEN = "!N@U#L$L%";
  /** The pk text of an empty-string key value. */
  public static final String EMPTY_TOKEN = "!@#$%";

  /** A column: its id (position in the latest schema), name and type. */
  public record Column(int id, String name, Type.DataType type) {}

  /**
   * An index ({@code column_key} entry).
   *
   * @param id the position in {@code column_key}
   * @param name the {@code index_name}
   * @param keyColumns the key columns, in {@code col_name} order
   * @param tsColumn the ts column, or null when the index uses the put time
   * @param deleted whether the index is deleted ({@code flag = 1})
   * @param ttl the TTL
   * @param innerPosition the position of its inner index (its column family is {@code innerPosition + 1})
   */
  public record Index(int id, String name, List<Column> keyColumns, Column tsColumn, boolean deleted, Ttl ttl,
                      int innerPosition) {

    /** The ts column id written into shared keys. */
    public int tsColumnId() {
      return tsColumn == null ? AUTO_TS_COLUMN_ID : tsColumn.id();
    }
  }

  /**
   * An inner index: one column family.
   *
   * @param position the inner index position (column family handle {@code position + 1})
   * @param columnFamily the column family name
   * @param indexes the indexes stored in it, in {@code column_key} order
   */
  public record InnerIndex(int position, String columnFamily, List<Index> indexes) {

    /** Whether keys in this column family carry the ts column id. */
    public boolean keysHaveTsColumnId() {
      return indexes.size() > 1;
    }
  }

  /** One index key of a row, as in {@code LogEntry.dimensions}. */
  public record Dimension(int index, String key) {

    /** The protobuf form. */
    public Tablet.Dimension toProto() {
      return Tablet.Dimension.newBuilder().setIdx(index).setKey(key).build();
    }
  }

  private final List<Column> columns;
  private final List<Index> indexes;
  private final List<InnerIndex> innerIndexes;
  private final Type.CompressType compressType;

  private DiskTableLayout(List<Column> columns, List<Index> indexes, List<InnerIndex> innerIndexes,
                          Type.CompressType compressType) {
    this.columns = columns;
    this.indexes = indexes;
    this.innerIndexes = innerIndexes;
    this.compressType = compressType;
  }

  /** The layout of a table as the nameserver describes it. */
  public static DiskTableLayout of(NS.TableInfo table) {
    return build(table.getName(), table.getColumnDescList(), table.getAddedColumnDescList(),
        table.getColumnKeyList(), table.getCompressType());
  }

  /** The layout of a table as a tablet describes it. */
  public static DiskTableLayout of(Tablet.TableMeta table) {
    return build(table.getName(), table.getColumnDescList(), table.getAddedColumnDescList(),
        table.getColumnKeyList(), table.getCompressType());
  }

  private static DiskTableLayout build(String table, List<Common.ColumnDesc> columnDesc,
                                       List<Common.ColumnDesc> addedColumnDesc, List<Common.ColumnKey> columnKeys,
                                       Type.CompressType compressType) {
    List<Column> columns = new ArrayList<>();
    Map<String, Column> byName = new HashMap<>();
    for (Common.ColumnDesc d : columnDesc) {
      Column c = new Column(columns.size(), d.getName(), d.getDataType());
      columns.add(c);
      byName.putIfAbsent(c.name(), c);
    }
    for (Common.ColumnDesc d : addedColumnDesc) {
      Column c = new Column(columns.size(), d.getName(), d.getDataType());
      columns.add(c);
      byName.putIfAbsent(c.name(), c);
    }
    if (columnKeys.isEmpty()) {
      Index idx0 = new Index(0, "idx0", List.of(), null, false, Ttl.NONE, 0);
      return new DiskTableLayout(List.copyOf(columns), List.of(idx0),
          List.of(new InnerIndex(0, idx0.name(), List.of(idx0))), compressType);
    }
    Map<String, Integer> groupOf = new LinkedHashMap<>();
    List<List<Index>> groups = new ArrayList<>();
    List<Index> indexes = new ArrayList<>();
    for (int pos = 0; pos < columnKeys.size(); pos++) {
      Common.ColumnKey ck = columnKeys.get(pos);
      List<Column> keyCols = new ArrayList<>();
      for (String col : ck.getColNameList()) {
        keyCols.add(column(table, byName, ck, col));
      }
      Column ts = null;
      if (ck.hasTsName() && !ck.getTsName().isEmpty()) {
        ts = column(table, byName, ck, ck.getTsName());
        if (ts.type() != Type.DataType.kBigInt && ts.type() != Type.DataType.kTimestamp) {
          throw new IllegalArgumentException("table " + table + ": index " + ck.getIndexName() + " has ts column "
              + ts.name() + " of type " + ts.type() + "; a ts column must be bigint or timestamp");
        }
      }
      String groupKey;
      if (ck.getColNameCount() == 0) {
        groupKey = ck.getIndexName();
      } else if (ck.getColNameCount() == 1) {
        groupKey = ck.getColName(0);
      } else {
        StringBuilder sb = new StringBuilder();
        for (String c : ck.getColNameList()) {
          sb.append(c).append('|');
        }
        groupKey = sb.toString();
      }
      Integer inner = groupOf.get(groupKey);
      if (inner == null) {
        inner = groups.size();
        groupOf.put(groupKey, inner);
        groups.add(new ArrayList<>());
      }
      Index index = new Index(pos, ck.getIndexName(), List.copyOf(keyCols), ts, ck.getFlag() != 0, Ttl.of(ck), inner);
      indexes.add(index);
      groups.get(inner).add(index);
    }
    List<InnerIndex> inners = new ArrayList<>();
    for (int i = 0; i < groups.size(); i++) {
      List<Index> g = groups.get(i);
      inners.add(new InnerIndex(i, g.get(0).name(), List.copyOf(g)));
    }
    return new DiskTableLayout(List.copyOf(columns), List.copyOf(indexes), List.copyOf(inners), compressType);
  }

  private static Column column(String table, Map<String, Column> byName, Common.ColumnKey ck, String name) {
    Column c = byName.get(name);
    if (c == null) {
      throw new IllegalArgumentException("table " + table + ": index " + ck.getIndexName() + " refers to column "
          + name + ", which is not in column_desc or added_column_desc");
    }
    return c;
  }

  /** The columns of the latest schema, by id. */
  public List<Column> columns() {
    return columns;
  }

  /** The indexes in {@code column_key} order (position = index id). */
  public List<Index> indexes() {
    return indexes;
  }

  /** The index with id {@code id}. */
  public Index index(int id) {
    if (id < 0 || id >= indexes.size()) {
      throw new IllegalArgumentException("no index " + id + "; the table has " + indexes.size());
    }
    return indexes.get(id);
  }

  /** The inner indexes in column-family order. */
  public List<InnerIndex> innerIndexes() {
    return innerIndexes;
  }

  /** The inner index holding {@code index}. */
  public InnerIndex innerIndex(Index index) {
    return innerIndexes.get(index.innerPosition());
  }

  /** The column family names in handle order: {@code default}, then one per inner index. */
  public List<String> columnFamilies() {
    List<String> names = new ArrayList<>();
    names.add(DEFAULT_COLUMN_FAMILY);
    for (InnerIndex i : innerIndexes) {
      names.add(i.columnFamily());
    }
    return names;
  }

  /** Whether values are snappy-compressed. */
  public Type.CompressType compressType() {
    return compressType;
  }

  /** The RocksDB key of {@code pk} at {@code ts} in {@code index}'s column family. */
  public byte[] key(Index index, byte[] pk, long ts) {
    return innerIndex(index).keysHaveTsColumnId()
        ? DiskKey.encode(pk, index.tsColumnId(), ts) : DiskKey.encode(pk, ts);
  }

  /** The RocksDB key of {@code pk} at {@code ts} in {@code index}'s column family. */
  public byte[] key(Index index, String pk, long ts) {
    return key(index, pk.getBytes(StandardCharsets.UTF_8), ts);
  }

  /** Takes apart a key of {@code index}'s column family. */
  public DiskKey parseKey(Index index, byte[] key) {
    return DiskKey.parse(key, innerIndex(index).keysHaveTsColumnId());
  }

  /**
   * The index keys of a row, for every index not deleted, in {@code column_key} order (what a client puts into
   * {@code LogEntry.dimensions}).
   *
   * @param values the row's values by column id (Java types of the row codec: Boolean, Short, Integer, Long,
   *     LocalDate or its encoded Integer for dates, Long epoch ms for timestamps, String; null for NULL)
   */
  public List<Dimension> dimensions(Object[] values) {
    List<Dimension> dims = new ArrayList<>();
    for (Index i : indexes) {
      if (!i.deleted()) {
        dims.add(new Dimension(i.id(), pk(i, values)));
      }
    }
    return dims;
  }

  /** The pk string of {@code index} for a row's values (see the class description). */
  public String pk(Index index, Object[] values) {
    if (index.keyColumns().isEmpty()) {
      throw new IllegalArgumentException("index " + index.name() + " has no key columns; its pk cannot be derived "
          + "from the row, pass the dimension explicitly");
    }
    StringBuilder sb = new StringBuilder();
    for (Column c : index.keyColumns()) {
      if (sb.length() > 0) {
        sb.append('|');
      }
      sb.append(pkPart(c, value(values, c)));
    }
    return sb.toString();
  }

  /**
   * The ts of a row in {@code index}: its ts column's value, or {@code time} (the put time) for an index without a
   * ts column.
   *
   * @throws IllegalArgumentException if the ts column is NULL or negative (the tablet refuses such rows)
   */
  public long ts(Index index, Object[] values, long time) {
    if (index.tsColumn() == null) {
      return time;
    }
    Object v = value(values, index.tsColumn());
    if (!(v instanceof Number n)) {
      throw new IllegalArgumentException("ts column " + index.tsColumn().name() + " of index " + index.name()
          + " must be a non-null bigint/timestamp (Long), got " + v);
    }
    long ts = n.longValue();
    if (ts < 0) {
      throw new IllegalArgumentException("ts column " + index.tsColumn().name() + " of index " + index.name()
          + " is negative (" + ts + "); OpenMLDB refuses negative timestamps");
    }
    return ts;
  }

  private Object value(Object[] values, Column c) {
    if (c.id() >= values.length) {
      throw new IllegalArgumentException("the row has " + values.length + " values but column " + c.name()
          + " has id " + c.id() + "; pass the values of the latest schema");
    }
    return values[c.id()];
  }

  private static String pkPart(Column c, Object v) {
    if (v == null) {
      return NULL_TOKEN;
    }
    return switch (c.type()) {
      case kBool -> String.valueOf((Boolean) v);
      case kSmallInt, kInt, kBigInt, kTimestamp -> Long.toString(((Number) v).longValue());
      case kDate -> Integer.toString(v instanceof LocalDate d ? encodeDate(d) : ((Number) v).intValue());
      case kVarchar, kString -> {
        String s = v.toString();
        yield s.isEmpty() ? EMPTY_TOKEN : s;
      }
      default -> throw new IllegalArgumentException("column " + c.name() + " of type " + c.type()
          + " cannot be an index key");
    };
  }

  /** OpenMLDB's date encoding: {@code (year-1900)<<16 | (month-1)<<8 | day}. */
  public static int encodeDate(LocalDate d) {
    return (d.getYear() - 1900) << 16 | (d.getMonthValue() - 1) << 8 | d.getDayOfMonth();
  }
}
