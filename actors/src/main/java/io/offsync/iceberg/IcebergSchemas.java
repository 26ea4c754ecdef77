package io.offsync.iceberg;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.ColumnType;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.UpdateSchema;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * OpenMLDB columns as an Iceberg schema: bool → boolean, smallint and int → int, bigint → long, float → float,
 * double → double, date → date, timestamp (epoch milliseconds) → timestamptz (microseconds, UTC), varchar and
 * string → string. A NOT NULL column is a required field, every other one optional.
 *
 * <p>Schema evolution: OpenMLDB's ALTER ADD COLUMN appends columns (a new schema version); {@link #evolve} adds the
 * columns a table lacks, by name, as optional fields (rows of older versions hold NULL there), the way Iceberg's
 * own schema evolution does. A column whose type differs from the table's field is refused with both types named.
 */
public final class IcebergSchemas {

  private IcebergSchemas() {}

  /** The Iceberg type of an OpenMLDB column type. */
  public static Type typeOf(ColumnType type) {
    return switch (type) {
      case BOOL -> Types.BooleanType.get();
      case SMALLINT, INT -> Types.IntegerType.get();
      case BIGINT -> Types.LongType.get();
      case FLOAT -> Types.FloatType.get();
      case DOUBLE -> Types.DoubleType.get();
      case DATE -> Types.DateType.get();
      case TIMESTAMP -> Types.TimestampType.withZone();
      case VARCHAR, STRING -> Types.StringType.get();
    };
  }

  /** A new table's schema: field ids 1..n in column order. */
  public static Schema schema(List<Column> columns) {
    List<Types.NestedField> fields = new ArrayList<>(columns.size());
    int id = 1;
    for (Column c : columns) {
      fields.add(c.notNull()
          ? Types.NestedField.required(id++, c.name(), typeOf(c.type()))
          : Types.NestedField.optional(id++, c.name(), typeOf(c.type())));
    }
    return new Schema(fields);
  }

  /**
   * Adds to {@code table} the columns it lacks (by name), as optional fields, in one schema update; nothing when
   * it has them all. Returns whether the schema changed.
   *
   * @throws IllegalStateException naming the column when a field of the same name has another type
   */
  public static boolean evolve(Table table, List<Column> columns) {
    Schema current = table.schema();
    UpdateSchema update = null;
    for (Column c : columns) {
      Types.NestedField field = current.findField(c.name());
      Type wanted = typeOf(c.type());
      if (field == null) {
        update = update == null ? table.updateSchema() : update;
        update.addColumn(c.name(), wanted);
      } else if (!field.type().equals(wanted)) {
        throw new IllegalStateException("Iceberg table " + table.name() + " has column '" + c.name() + "' of type "
            + field.type() + " but the OpenMLDB column is " + c.type() + " (maps to " + wanted + "); write into"
            + " another table, or fix the table's schema");
      }
    }
    if (update == null) {
      return false;
    }
    update.commit();
    return true;
  }

  /** A row codec value (see {@code RowCodec.decode}) as the Iceberg generic value of its column's type. */
  public static Object value(ColumnType type, Object v) {
    if (v == null) {
      return null;
    }
    return switch (type) {
      case SMALLINT -> ((Short) v).intValue();
      case TIMESTAMP -> Instant.ofEpochMilli((Long) v).atOffset(ZoneOffset.UTC);
      case DATE -> (LocalDate) v;
      default -> v;
    };
  }
}
