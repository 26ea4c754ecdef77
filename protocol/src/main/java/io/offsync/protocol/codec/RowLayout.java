package io.offsync.protocol.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;

/**
 * Where each column of one schema version lives in an encoded row, and the decode loop over it. Fixed
 * columns have an absolute offset from the row start; string columns have their index in the offset table.
 */
final class RowLayout {

  static final int HEADER = 6;

  private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle DOUBLE =
      MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);

  /** Days from 0000-01-01 to 1970-01-01 (as in {@code java.time.LocalDate}). */
  private static final long DAYS_0000_TO_1970 = (146097 * 5L) - (30L * 365L + 7L);

  private static final int K_BOOL = 0;
  private static final int K_SMALLINT = 1;
  private static final int K_INT = 2;
  private static final int K_BIGINT = 3;
  private static final int K_FLOAT = 4;
  private static final int K_DOUBLE = 5;
  private static final int K_DATE = 6;
  private static final int K_TIMESTAMP = 7;
  private static final int K_STRING = 8;

  final List<Column> columns;
  private final int[] kinds;
  private final int[] slots;
  /** Offset of the string offset table (= end of the fixed area). */
  final int stringTable;
  final int stringCount;

  RowLayout(List<Column> columns) {
    this.columns = List.copyOf(columns);
    int n = columns.size();
    kinds = new int[n];
    slots = new int[n];
    int fixed = HEADER + bitmapLength(n);
    int strings = 0;
    for (int i = 0; i < n; i++) {
      ColumnType t = columns.get(i).type();
      kinds[i] = kind(t);
      if (t.isString()) {
        slots[i] = strings++;
      } else {
        slots[i] = fixed;
        fixed += t.width();
      }
    }
    stringTable = fixed;
    stringCount = strings;
  }

  static int bitmapLength(int columns) {
    return (columns + 7) >>> 3;
  }

  /** Offset width for a row of {@code size} bytes. */
  static int addressWidth(long size) {
    if (size <= 0xFFL) {
      return 1;
    } else if (size <= 0xFFFFL) {
      return 2;
    } else if (size <= 0xFFFFFFL) {
      return 3;
    }
    return 4;
  }

  private static int kind(ColumnType t) {
    return switch (t) {
      case BOOL -> K_BOOL;
      case SMALLINT -> K_SMALLINT;
      case INT -> K_INT;
      case BIGINT -> K_BIGINT;
      case FLOAT -> K_FLOAT;
      case DOUBLE -> K_DOUBLE;
      case DATE -> K_DATE;
      case TIMESTAMP -> K_TIMESTAMP;
      case VARCHAR, STRING -> K_STRING;
    };
  }

  /**
   * Reads column {@code col} (bigint, timestamp or date) of a row whose header was already checked into
   * {@code out[0]}: epoch milliseconds or days since 1970-01-01. False when the value is NULL or the version has
   * no such column.
   */
  boolean timeValue(byte[] b, int off, int size, int col, String table, long[] out) {
    if (col >= kinds.length) {
      return false;
    }
    if (size < stringTable) {
      throw new RowFormatException("table " + table + ": row at offset " + off + " has size " + size
          + " but its schema version needs at least " + stringTable + " bytes (" + kinds.length + " columns)");
    }
    if ((b[off + HEADER + (col >>> 3)] & (1 << (col & 7))) != 0) {
      return false;
    }
    int p = off + slots[col];
    out[0] = switch (kinds[col]) {
      case K_BIGINT, K_TIMESTAMP -> (long) LONG.get(b, p);
      case K_DATE -> epochDay((int) INT.get(b, p), col, off, table);
      default -> throw new IllegalArgumentException("column '" + columns.get(col).name() + "' is "
          + columns.get(col).type() + ", not a bigint, timestamp or date");
    };
    return true;
  }

  /** Decodes a row whose header (format version, size within the buffer) was already checked. */
  Object[] decode(byte[] b, int off, int size, String table) {
    Object[] out = new Object[kinds.length];
    visit(b, off, size, table, new Values(out));
    return out;
  }

  /** Visits the non-NULL values of a row whose header was already checked; see {@link RowVisitor}. */
  void visit(byte[] b, int off, int size, String table, RowVisitor v) {
    int n = kinds.length;
    int addr = addressWidth(size);
    int stringData = stringTable + stringCount * addr;
    if (size < stringData) {
      throw new RowFormatException("table " + table + ": row at offset " + off + " has size " + size
          + " but its schema version needs at least " + stringData + " bytes (" + n + " columns)");
    }
    int bitmap = off + HEADER;
    for (int i = 0; i < n; i++) {
      if ((b[bitmap + (i >>> 3)] & (1 << (i & 7))) != 0) {
        continue;
      }
      int p = off + slots[i];
      switch (kinds[i]) {
        case K_BOOL -> v.bool(i, b[p] != 0);
        case K_SMALLINT -> v.int16(i, (short) SHORT.get(b, p));
        case K_INT -> v.int32(i, (int) INT.get(b, p));
        case K_BIGINT, K_TIMESTAMP -> v.int64(i, (long) LONG.get(b, p));
        case K_FLOAT -> v.float32(i, (float) FLOAT.get(b, p));
        case K_DOUBLE -> v.float64(i, (double) DOUBLE.get(b, p));
        case K_DATE -> v.date(i, epochDay((int) INT.get(b, p), i, off, table));
        default -> string(b, off, size, slots[i], addr, stringData, i, table, v);
      }
    }
  }

  /** {@link #decode}'s visitor: the values in their Java types. */
  private record Values(Object[] out) implements RowVisitor {
    @Override
    public void bool(int column, boolean value) {
      out[column] = value;
    }

    @Override
    public void int16(int column, short value) {
      out[column] = value;
    }

    @Override
    public void int32(int column, int value) {
      out[column] = value;
    }

    @Override
    public void int64(int column, long value) {
      out[column] = value;
    }

    @Override
    public void float32(int column, float value) {
      out[column] = value;
    }

    @Override
    public void float64(int column, double value) {
      out[column] = value;
    }

    @Override
    public void date(int column, int epochDay) {
      out[column] = LocalDate.ofEpochDay(epochDay);
    }

    @Override
    public void string(int column, byte[] buf, int offset, int length) {
      out[column] = new String(buf, offset, length, StandardCharsets.UTF_8);
    }
  }

  private void string(byte[] b, int off, int size, int k, int addr, int stringData, int col, String table,
      RowVisitor v) {
    int entry = off + stringTable + k * addr;
    long start = address(b, entry, addr);
    long end = k + 1 < stringCount ? address(b, entry + addr, addr) : size;
    if (start < stringData || end < start || end > size) {
      throw new RowFormatException("table " + table + ": row at offset " + off + ", column '"
          + columns.get(col).name() + "': string bytes [" + start + ", " + end + ") lie outside the string area ["
          + stringData + ", " + size + ")");
    }
    v.string(col, b, off + (int) start, (int) (end - start));
  }

  private static long address(byte[] b, int p, int width) {
    return switch (width) {
      case 1 -> b[p] & 0xFF;
      case 2 -> (short) SHORT.get(b, p) & 0xFFFF;
      case 3 -> ((b[p] & 0xFF) << 16) | ((b[p + 1] & 0xFF) << 8) | (b[p + 2] & 0xFF);
      default -> (int) INT.get(b, p) & 0xFFFFFFFFL;
    };
  }

  /**
   * The days since 1970-01-01 of OpenMLDB's date int ({@code (year - 1900) << 16 | (month - 1) << 8 | day}),
   * computed as {@link LocalDate#toEpochDay} does, without a {@code LocalDate} per value.
   */
  private int epochDay(int v, int col, int off, String table) {
    long y = (v >> 16) + 1900;
    int m = ((v >> 8) & 0xFF) + 1;
    int d = v & 0xFF;
    boolean leap = (y & 3) == 0 && (y % 100 != 0 || y % 400 == 0);
    if (m > 12 || d < 1 || d > (m == 2 ? (leap ? 29 : 28) : m == 4 || m == 6 || m == 9 || m == 11 ? 30 : 31)) {
      throw new RowFormatException("table " + table + ": row at offset " + off + ", column '"
          + columns.get(col).name() + "': 0x" + Integer.toHexString(v) + " is not a valid date");
    }
    long total = 365 * y;
    if (y >= 0) {
      total += (y + 3) / 4 - (y + 99) / 100 + (y + 399) / 400;
    } else {
      total -= y / -4 - y / -100 + y / -400;
    }
    total += (367 * m - 362) / 12 + d - 1;
    if (m > 2) {
      total -= leap ? 1 : 2;
    }
    return (int) (total - DAYS_0000_TO_1970);
  }

  /** Encodes values of this layout's columns; see {@link RowCodec#encode}. */
  byte[] encode(int version, Object[] values) {
    int n = kinds.length;
    if (values.length != n) {
      throw new IllegalArgumentException(
          "row has " + values.length + " values but schema version " + version + " has " + n + " columns");
    }
    byte[][] strings = new byte[stringCount][];
    long stringBytes = 0;
    for (int i = 0; i < n; i++) {
      Column c = columns.get(i);
      Object v = values[i];
      if (v == null) {
        if (c.notNull()) {
          throw new IllegalArgumentException("column '" + c.name() + "' is NOT NULL but the value is null");
        }
      } else if (kinds[i] == K_STRING) {
        if (!(v instanceof String s)) {
          throw wrongType(c, v);
        }
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        strings[slots[i]] = bytes;
        stringBytes += bytes.length;
      }
    }
    long base = stringTable + stringBytes;
    int addr = 1;
    while (addr < 4 && base + (long) addr * stringCount > (1L << (8 * addr)) - 1) {
      addr++;
    }
    long total = base + (long) addr * stringCount;
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("row of " + total + " bytes is too large to encode");
    }
    int size = (int) total;
    byte[] b = new byte[size];
    b[0] = 1;
    b[1] = (byte) version;
    INT.set(b, 2, size);
    int bitmap = HEADER;
    for (int j = 0; j < bitmapLength(n); j++) {
      b[bitmap + j] = (byte) 0xFF;
    }
    int data = stringTable + stringCount * addr;
    for (int i = 0; i < n; i++) {
      Object v = values[i];
      if (kinds[i] == K_STRING) {
        int k = slots[i];
        putAddress(b, stringTable + k * addr, addr, data);
        if (v != null) {
          byte[] s = strings[k];
          System.arraycopy(s, 0, b, data, s.length);
          data += s.length;
        }
      } else if (v != null) {
        writeFixed(b, slots[i], kinds[i], columns.get(i), v);
      }
      if (v != null) {
        b[bitmap + (i >>> 3)] &= (byte) ~(1 << (i & 7));
      }
    }
    return b;
  }

  private static void writeFixed(byte[] b, int p, int kind, Column c, Object v) {
    switch (kind) {
      case K_BOOL -> b[p] = (byte) (asType(c, v, Boolean.class) ? 1 : 0);
      case K_SMALLINT -> SHORT.set(b, p, (short) asType(c, v, Short.class));
      case K_INT -> INT.set(b, p, (int) asType(c, v, Integer.class));
      case K_BIGINT, K_TIMESTAMP -> LONG.set(b, p, (long) asType(c, v, Long.class));
      case K_FLOAT -> FLOAT.set(b, p, (float) asType(c, v, Float.class));
      case K_DOUBLE -> DOUBLE.set(b, p, (double) asType(c, v, Double.class));
      default -> INT.set(b, p, dateInt(c, asType(c, v, LocalDate.class)));
    }
  }

  private static int dateInt(Column c, LocalDate d) {
    if (d.getYear() < 1900 || d.getYear() > 9999) {
      throw new IllegalArgumentException(
          "column '" + c.name() + "': date " + d + " is outside the years 1900..9999 OpenMLDB can store");
    }
    return ((d.getYear() - 1900) << 16) | ((d.getMonthValue() - 1) << 8) | d.getDayOfMonth();
  }

  private static void putAddress(byte[] b, int p, int width, int value) {
    switch (width) {
      case 1 -> b[p] = (byte) value;
      case 2 -> SHORT.set(b, p, (short) value);
      case 3 -> {
        b[p] = (byte) (value >>> 16);
        b[p + 1] = (byte) (value >>> 8);
        b[p + 2] = (byte) value;
      }
      default -> INT.set(b, p, value);
    }
  }

  private static <T> T asType(Column c, Object v, Class<T> type) {
    if (!type.isInstance(v)) {
      throw wrongType(c, v);
    }
    return type.cast(v);
  }

  private static IllegalArgumentException wrongType(Column c, Object v) {
    String expected = switch (c.type()) {
      case BOOL -> "Boolean";
      case SMALLINT -> "Short";
      case INT -> "Integer";
      case BIGINT -> "Long";
      case FLOAT -> "Float";
      case DOUBLE -> "Double";
      case DATE -> "java.time.LocalDate";
      case TIMESTAMP -> "Long (epoch milliseconds)";
      case VARCHAR, STRING -> "String";
    };
    return new IllegalArgumentException("column '" + c.name() + "' (" + c.type() + ") expects " + expected
        + ", got " + v.getClass().getName());
  }
}
