package io.offsync.iceberg;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.ColumnType;
import io.offsync.sink.Fixtures;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.parquet.Parquet;

/** Rows of {@link Fixtures}, and an Iceberg table read back with Iceberg's own reader as row codec values. */
public final class IcebergTestRows {

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

  /** The rows of one data file of {@code table}, read on its own with Iceberg's Parquet reader. */
  public static List<Record> readDataFile(Table table, DataFile file) throws Exception {
    List<Record> out = new ArrayList<>();
    try (CloseableIterable<Record> rows = Parquet.read(table.io().newInputFile(file.location()))
        .project(table.schema())
        .createReaderFunc(s -> GenericParquetReaders.buildReader(table.schema(), s))
        .build()) {
      rows.forEach(r -> out.add(r.copy()));
    }
    return out;
  }

  /**
   * Checks that every data file of the table's current snapshot holds only rows whose {@code column} (a
   * timestamp) falls on the file's partition day (null for a null value), and returns the days seen.
   */
  public static Set<Integer> assertOneDayPerFile(Table table, String column) throws Exception {
    table.refresh();
    Set<Integer> days = new HashSet<>();
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      for (FileScanTask task : tasks) {
        Integer day = task.file().partition().get(0, Integer.class);
        days.add(day);
        for (Record r : readDataFile(table, task.file())) {
          OffsetDateTime at = (OffsetDateTime) r.getField(column);
          Integer rowDay = at == null ? null
              : (int) at.withOffsetSameInstant(ZoneOffset.UTC).toLocalDate().toEpochDay();
          if (!Objects.equals(day, rowDay)) {
            throw new AssertionError("row " + r + " is in data file " + task.file().location() + " of day " + day);
          }
        }
        String dir = "=" + (day == null ? "null" : LocalDate.ofEpochDay(day)) + "/";
        if (!task.file().location().contains(dir)) {
          throw new AssertionError("data file " + task.file().location() + " of day " + day + " not in *" + dir);
        }
      }
    }
    return days;
  }
}
