package io.offsync.protocol.codec;

import io.offsync.protocol.openmldb.Type;

/**
 * The column types of an OpenMLDB row, with their width in the row's fixed area. VARCHAR and STRING share one
 * encoding (an entry in the string offset table plus UTF-8 bytes); every other type has a fixed slot.
 */
public enum ColumnType {
  BOOL(Type.DataType.kBool, 1),
  SMALLINT(Type.DataType.kSmallInt, 2),
  INT(Type.DataType.kInt, 4),
  BIGINT(Type.DataType.kBigInt, 8),
  FLOAT(Type.DataType.kFloat, 4),
  DOUBLE(Type.DataType.kDouble, 8),
  DATE(Type.DataType.kDate, 4),
  TIMESTAMP(Type.DataType.kTimestamp, 8),
  VARCHAR(Type.DataType.kVarchar, 0),
  STRING(Type.DataType.kString, 0);

  private final Type.DataType dataType;
  private final int width;

  ColumnType(Type.DataType dataType, int width) {
    this.dataType = dataType;
    this.width = width;
  }

  /** OpenMLDB's protobuf type. */
  public Type.DataType dataType() {
    return dataType;
  }

  /** Bytes in the fixed area; 0 for string types, which live in the string area. */
  public int width() {
    return width;
  }

  public boolean isString() {
    return width == 0;
  }

  /**
   * The column type of an OpenMLDB data type.
   *
   * @throws IllegalArgumentException for types the row codec cannot carry (kArray, kMap)
   */
  public static ColumnType of(Type.DataType dataType) {
    for (ColumnType t : values()) {
      if (t.dataType == dataType) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "column type " + dataType + " is not supported by the OpenMLDB row codec (supported: bool, smallint, int,"
            + " bigint, float, double, date, timestamp, varchar, string)");
  }
}
