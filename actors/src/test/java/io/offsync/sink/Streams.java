package io.offsync.sink;

import io.offsync.collector.RowPack;
import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongFunction;

/**
 * A table whose schema has two versions (version 2 adds the column {@code note}), rows encoded with the real row
 * codec, and packs cut from the row byte stream the way a collector cuts them.
 */
final class Streams {

  static final int TID = 7;
  static final int PID = 3;
  static final List<Column> V1 = Fixtures.ALL_TYPES.subList(0, Fixtures.ALL_TYPES.size() - 1);

  private Streams() {}

  static TableSchema schema() {
    NS.TableInfo.Builder t = NS.TableInfo.newBuilder().setName("t1").setDb("db").setTid(TID).setPartitionNum(8)
        .setStorageMode(Common.StorageMode.kSSD);
    for (Column c : V1) {
      t.addColumnDesc(desc(c));
    }
    t.addAddedColumnDesc(desc(Fixtures.ALL_TYPES.get(Fixtures.ALL_TYPES.size() - 1)));
    t.addSchemaVersions(Common.VersionPair.newBuilder().setId(2).setFieldCount(Fixtures.ALL_TYPES.size()));
    return TableSchema.of(t.build());
  }

  private static Common.ColumnDesc desc(Column c) {
    Type.DataType dt = switch (c.type()) {
      case BOOL -> Type.DataType.kBool;
      case SMALLINT -> Type.DataType.kSmallInt;
      case INT -> Type.DataType.kInt;
      case BIGINT -> Type.DataType.kBigInt;
      case FLOAT -> Type.DataType.kFloat;
      case DOUBLE -> Type.DataType.kDouble;
      case DATE -> Type.DataType.kDate;
      case TIMESTAMP -> Type.DataType.kTimestamp;
      case VARCHAR -> Type.DataType.kVarchar;
      case STRING -> Type.DataType.kString;
    };
    return Common.ColumnDesc.newBuilder().setName(c.name()).setDataType(dt).setNotNull(c.notNull()).build();
  }

  /** Row {@code i} of the fixture: even rows in schema version 2, odd rows in version 1 (without {@code note}). */
  static byte[] encoded(long i) {
    Object[] v = Fixtures.row(i);
    return i % 2 == 0 ? RowCodec.encode(Fixtures.ALL_TYPES, 2, v) : RowCodec.encode(V1, 1, Arrays.copyOf(v, V1.size()));
  }

  /** What the sink must write for row {@code i}: version 1 rows have NULL in the added column. */
  static List<Object> expected(long i) {
    Object[] v = Fixtures.row(i);
    if (i % 2 != 0) {
      v[v.length - 1] = null;
    }
    return Arrays.asList(v);
  }

  static Object[] expectedArray(long i) {
    return expected(i).toArray();
  }

  /**
   * Rows {@code from .. from+count-1} cut into packs of {@code packBytes} bytes regardless of row boundaries. A
   * pack that ends at a row boundary carries {@code position.apply(rows so far, counted from 0)}; one that ends
   * inside a row carries none.
   */
  static List<RowPack> packs(long from, long count, int packBytes, LongFunction<Position> position) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    List<Long> ends = new ArrayList<>();
    for (long i = from; i < from + count; i++) {
      all.writeBytes(encoded(i));
      ends.add((long) all.size());
    }
    byte[] bytes = all.toByteArray();
    List<RowPack> packs = new ArrayList<>();
    int rowsDone = 0;
    for (int off = 0; off < bytes.length; off += packBytes) {
      int end = Math.min(bytes.length, off + packBytes);
      while (rowsDone < ends.size() && ends.get(rowsDone) <= end) {
        rowsDone++;
      }
      boolean boundary = rowsDone > 0 && ends.get(rowsDone - 1) == end;
      packs.add(new RowPack(Arrays.copyOfRange(bytes, off, end), boundary ? position.apply(from + rowsDone) : null));
    }
    return packs;
  }

  /** Rows {@code from .. from+count-1}, {@code rowsPerPack} whole rows per pack, each pack with its position. */
  static List<RowPack> wholeRowPacks(long from, long count, int rowsPerPack, LongFunction<Position> position) {
    List<RowPack> packs = new ArrayList<>();
    for (long i = from; i < from + count; i += rowsPerPack) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      long end = Math.min(from + count, i + rowsPerPack);
      for (long k = i; k < end; k++) {
        b.writeBytes(encoded(k));
      }
      packs.add(new RowPack(b.toByteArray(), position.apply(end)));
    }
    return packs;
  }

  /** Binlog positions: after row {@code n} (0-based count of rows done) comes log index n + 1. */
  static Position binlog(long rowsDone) {
    return new BinlogPosition(rowsDone + 1);
  }
}
