package io.offsync.protocol.codec;

import io.offsync.protocol.openmldb.Common;
import java.util.Objects;

/** One column of a table schema. */
public record Column(String name, ColumnType type, boolean notNull) {

  public Column {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
  }

  /** A nullable column. */
  public static Column of(String name, ColumnType type) {
    return new Column(name, type, false);
  }

  /**
   * The column described by an OpenMLDB {@code ColumnDesc}.
   *
   * @throws IllegalArgumentException naming the column if its type is not supported
   */
  public static Column of(Common.ColumnDesc desc) {
    ColumnType type;
    try {
      type = ColumnType.of(desc.getDataType());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("column '" + desc.getName() + "': " + e.getMessage(), e);
    }
    return new Column(desc.getName(), type, desc.getNotNull());
  }
}
