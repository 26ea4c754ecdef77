package io.offsync.iceberg;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.ColumnType;
import io.offsync.sink.Fixtures;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;

/** Rows of {@link Fixtures}, and an Iceberg table read back with Iceberg's own reader as row codec values. */
final class IcebergTestRows {

  private IcebergTestRows() {}

  /** Rows {@code from .. from+count-1} of {@link Fixtures#row}, cut or padded to {@code width} columns. */
  static List<List<Object>> expected(long from, long count, int width) {
    List<List<Object>> out = new ArrayList<>();
    for (long i = from; i < from + count; i++) {
      out.add(Fixtures.padded(Fixtures.row(i), width));
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
