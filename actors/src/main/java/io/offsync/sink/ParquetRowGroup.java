package io.offsync.sink;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.ColumnType;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.RowVisitor;
import io.offsync.protocol.codec.TableSchema;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.schema.MessageType;

/**
 * The open row group of a Parquet part file, buffered column by column: rows come as encoded OpenMLDB rows
 * (through {@link RowCodec#visit}, no value boxed, string bytes copied once into the column's arena) or as decoded
 * values. A row is added whole or not at all: if its values are malformed, the columns it already reached are cut
 * back. Not thread-safe.
 */
final class ParquetRowGroup implements RowVisitor {

  private final ParquetColumn[] columns;
  private final ColumnType[] types;
  /** The typed view of {@link #columns}: per column index the one array of its type holds it, the others null. */
  private final ParquetFixedColumns.Bools[] bools;
  private final ParquetFixedColumns.Ints[] ints;
  private final ParquetFixedColumns.Longs[] longs;
  private final ParquetFixedColumns.Floats[] floats;
  private final ParquetFixedColumns.Doubles[] doubles;
  private final ParquetStringColumn[] strings;
  private int rows;
  /** The PLAIN size of the buffered values. */
  private long bytes;

  ParquetRowGroup(MessageType schema, List<Column> cols) {
    int n = cols.size();
    List<ColumnDescriptor> descriptors = schema.getColumns();
    columns = new ParquetColumn[n];
    types = new ColumnType[n];
    bools = new ParquetFixedColumns.Bools[n];
    ints = new ParquetFixedColumns.Ints[n];
    longs = new ParquetFixedColumns.Longs[n];
    floats = new ParquetFixedColumns.Floats[n];
    doubles = new ParquetFixedColumns.Doubles[n];
    strings = new ParquetStringColumn[n];
    for (int i = 0; i < n; i++) {
      ColumnDescriptor d = descriptors.get(i);
      types[i] = cols.get(i).type();
      columns[i] = switch (types[i]) {
        case BOOL -> bools[i] = new ParquetFixedColumns.Bools(d);
        case SMALLINT, INT, DATE -> ints[i] = new ParquetFixedColumns.Ints(d);
        case BIGINT, TIMESTAMP -> longs[i] = new ParquetFixedColumns.Longs(d);
        case FLOAT -> floats[i] = new ParquetFixedColumns.Floats(d);
        case DOUBLE -> doubles[i] = new ParquetFixedColumns.Doubles(d);
        case VARCHAR, STRING -> strings[i] = new ParquetStringColumn(d);
      };
    }
  }

  int rows() {
    return rows;
  }

  /** The PLAIN-encoded size of the buffered values: what the row group bound counts. */
  long bytes() {
    return bytes;
  }

  /** Adds an encoded row whose schema version's columns are the first columns of the file (the rest NULL). */
  void addEncoded(TableSchema schema, byte[] buf, int off) {
    int r = rows;
    try {
      RowCodec.visit(schema, buf, off, this);
    } catch (RuntimeException e) {
      cutBack(r);
      throw e;
    }
    for (ParquetColumn c : columns) {
      if (c.rows == r) {
        c.addNull();
      }
    }
    rows = r + 1;
  }

  /** Adds a row of values in the decoded Java types of the row codec, in the file's column order. */
  void add(Object[] values) {
    int r = rows;
    int n = Math.min(values.length, columns.length);
    try {
      for (int i = 0; i < n; i++) {
        Object v = values[i];
        if (v == null) {
          columns[i].addNull();
          continue;
        }
        switch (types[i]) {
          case BOOL -> bool(i, (Boolean) v);
          case SMALLINT -> int16(i, (Short) v);
          case INT -> int32(i, (Integer) v);
          case BIGINT, TIMESTAMP -> int64(i, (Long) v);
          case FLOAT -> float32(i, (Float) v);
          case DOUBLE -> float64(i, (Double) v);
          case DATE -> date(i, Math.toIntExact(((LocalDate) v).toEpochDay()));
          case VARCHAR, STRING -> {
            byte[] b = ((String) v).getBytes(StandardCharsets.UTF_8);
            string(i, b, 0, b.length);
          }
        }
      }
    } catch (RuntimeException e) {
      cutBack(r);
      throw e;
    }
    for (int i = n; i < columns.length; i++) {
      columns[i].addNull();
    }
    rows = r + 1;
  }

  /** Writes the buffered rows as one row group and empties the buffers. */
  void write(ParquetPages pages) throws IOException {
    pages.file().startBlock(rows);
    for (ParquetColumn c : columns) {
      c.writeChunk(pages);
    }
    pages.file().endBlock();
    rows = 0;
    bytes = 0;
  }

  private void cutBack(int r) {
    bytes = 0;
    for (ParquetColumn c : columns) {
      if (c.rows > r) {
        c.dropLast();
      }
      bytes += c.bufferedBytes();
    }
  }

  @Override
  public void bool(int column, boolean value) {
    bools[column].add(value);
    bytes += 1;
  }

  @Override
  public void int16(int column, short value) {
    ints[column].add(value);
    bytes += 4;
  }

  @Override
  public void int32(int column, int value) {
    ints[column].add(value);
    bytes += 4;
  }

  @Override
  public void int64(int column, long value) {
    longs[column].add(value);
    bytes += 8;
  }

  @Override
  public void float32(int column, float value) {
    floats[column].add(value);
    bytes += 4;
  }

  @Override
  public void float64(int column, double value) {
    doubles[column].add(value);
    bytes += 8;
  }

  @Override
  public void date(int column, int epochDay) {
    ints[column].add(epochDay);
    bytes += 4;
  }

  @Override
  public void string(int column, byte[] buf, int offset, int length) {
    strings[column].add(buf, offset, length);
    bytes += 4 + length;
  }
}
