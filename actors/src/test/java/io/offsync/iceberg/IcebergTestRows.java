package io.offsync.iceberg;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.ColumnType;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;

/** Rows of every OpenMLDB type, and an Iceberg table read back with Iceberg's own reader as row codec values. */
final class IcebergTestRows {

  static final List<Column> ALL_TYPES = List.of(
      new Column("id", ColumnType.BIGINT, true),
      new Column("name", ColumnType.STRING, false),
      new Column("ok", ColumnType.BOOL, false),
      new Column("small", ColumnType.SMALLINT, false),
      new Column("num", ColumnType.INT, false),
      new Column("f", ColumnType.FLOAT, false),
      new Column("d", ColumnType.DOUBLE, false),
      new Column("day", ColumnType.DATE, false),
      new Column("at", ColumnType.TIMESTAMP, false),
      new Column("note", ColumnType.VARCHAR, false));

  private IcebergTestRows() {}

  /** Row {@code i}: unique id, every 7th value null (never the id), extremes and non-ASCII text. */
  static Object[] row(long i) {
    Random r = new Random(i);
    Object[] v = {
        i,
        "中文é-" + i,
        i % 2 == 0,
        (short) (i % 3 == 0 ? Short.MIN_VALUE : r.nextInt(Short.MAX_VALUE)),
        i % 5 == 0 ? Integer.MAX_VALUE : r.nextInt(),
        r.nextFloat() * 1e6f,
        r.nextDouble(),
        LocalDate.of(1900 + (int) (i % 200), 1 + (int) (i % 12), 1 + (int) (i % 28)),
        1681180000123L + i * 1_000_003L,
        "v\t" + i};
    for (int k = 1; k < v.length; k++) {
      if ((i + k) % 7 == 0) {
        v[k] = null;
      }
    }
    return v;
  }

  static List<List<Object>> expected(long from, long count, int width) {
    List<List<Object>> out = new ArrayList<>();
    for (long i = from; i < from + count; i++) {
      out.add(Arrays.asList(Arrays.copyOf(row(i), width)));
    }
    return out;
  }

  /**
   * Every row of the table's current snapshot (IcebergGenerics), values converted back to the row codec's Java
   * types by {@code columns}' types (timestamps to epoch ms, smallint to short), in the table's field order.
   */
  static List<List<Object>> read(Table table, List<Column> columns) throws Exception {
    table.refresh();
    List<List<Object>> out = new ArrayList<>();
    try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
      for (Record rec : records) {
        List<Object> row = new ArrayList<>();
        for (int i = 0; i < rec.size(); i++) {
          Object v = rec.get(i);
          ColumnType t = i < columns.size() ? columns.get(i).type() : null;
          if (v instanceof OffsetDateTime odt) {
            v = odt.toInstant().toEpochMilli();
          } else if (v instanceof Instant inst) {
            v = inst.toEpochMilli();
          } else if (t == ColumnType.SMALLINT && v != null) {
            v = ((Integer) v).shortValue();
          }
          row.add(v);
        }
        out.add(row);
      }
    }
    return out;
  }
}
