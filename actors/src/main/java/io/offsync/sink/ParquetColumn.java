package io.offsync.sink;

import java.io.IOException;
import java.util.Arrays;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.PrimitiveType;

/**
 * The values of one optional column buffered for the open row group: the non-NULL values densely in a primitive
 * array of the subclass, and the definition levels (1 = value, 0 = NULL), kept only once the column has had a
 * NULL. {@link #writeChunk} encodes the column chunk page by page (at most {@link ParquetPages#PAGE_ROWS} rows
 * and about {@link ParquetPages#PAGE_BYTES} of values a page) with per-page statistics computed exactly as
 * parquet-mr's statistics objects do, then the buffers are reused for the next row group.
 */
abstract class ParquetColumn {

  final ColumnDescriptor descriptor;
  final PrimitiveType type;
  /** Rows of the open row group (values and NULLs). */
  int rows;
  /** Non-NULL values of the open row group. */
  int values;
  /** Definition level per row, valid while {@link #nulls}: the row group has had a NULL in this column. */
  private byte[] defs = new byte[0];
  private boolean nulls;

  ParquetColumn(ColumnDescriptor descriptor) {
    this.descriptor = descriptor;
    this.type = descriptor.getPrimitiveType();
  }

  final void addNull() {
    if (rows >= defs.length) {
      defs = Arrays.copyOf(defs, grown(defs.length, rows + 1));
    }
    if (!nulls) {
      Arrays.fill(defs, 0, rows, (byte) 1);
      nulls = true;
    }
    defs[rows++] = 0;
  }

  /** Counts a non-NULL value just stored at index {@code values}. */
  final void defined() {
    values++;
    if (nulls) {
      if (rows == defs.length) {
        defs = Arrays.copyOf(defs, grown(defs.length, rows + 1));
      }
      defs[rows] = 1;
    }
    rows++;
  }

  /** Removes the last row (of a row that could not be added whole). */
  final void dropLast() {
    rows--;
    if (isDefined(rows)) {
      values--;
      dropValue();
    }
  }

  /** Removes the subclass's last value (index {@link #values}); the fixed-width columns need do nothing. */
  void dropValue() {}

  /** Writes the column chunk of the open row group and empties the buffers. */
  final void writeChunk(ParquetPages pages) throws IOException {
    pages.file().startColumn(descriptor, rows, CompressionCodecName.SNAPPY);
    Encoding encoding = prepareChunk(pages);
    int r = 0;
    int v = 0;
    while (r < rows) {
      int end = pageEnd(r, v);
      int n = end - r;
      if (nulls) {
        n = 0;
        for (int i = r; i < end; i++) {
          n += defs[i];
        }
      }
      pages.startPage(nulls ? defs : null, r, end);
      Statistics<?> stats = Statistics.createStats(type);
      if (end - r > n) {
        stats.incrementNumNulls(end - r - n);
      }
      long binaryBytes = writeValues(pages, v, v + n, stats);
      pages.writeDataPage(type, end - r, stats, binaryBytes, encoding);
      r = end;
      v += n;
    }
    pages.file().endColumn();
    rows = 0;
    values = 0;
    nulls = false;
    reset();
  }

  /** Empties the subclass's buffers after a chunk is written (arrays are kept for the next row group). */
  void reset() {}

  /** The end (exclusive) of the page starting at row {@code row}, whose first value is {@code value}. */
  int pageEnd(int row, int value) {
    return Math.min(rows, row + ParquetPages.PAGE_ROWS);
  }

  /** Whether row {@code row} of the open row group holds a value. */
  final boolean isDefined(int row) {
    return !nulls || defs[row] != 0;
  }

  /** Before the first page: writes a dictionary page if the column uses one; returns the values' encoding. */
  Encoding prepareChunk(ParquetPages pages) throws IOException {
    return Encoding.PLAIN;
  }

  /**
   * Appends values {@code [from, to)} to the page and puts their min and max into {@code stats}.
   *
   * @return the values' string bytes (BINARY columns), else 0
   */
  abstract long writeValues(ParquetPages pages, int from, int to, Statistics<?> stats);

  /** The PLAIN size of the buffered values: the row group's share of this column. */
  abstract long bufferedBytes();

  static int grown(int capacity, int needed) {
    long c = Math.max((long) needed, capacity + (long) (capacity >> 1) + 16);
    if (c > Integer.MAX_VALUE - 16) {
      if (needed > Integer.MAX_VALUE - 16) {
        throw new IllegalStateException("a Parquet row group column cannot hold " + needed + " entries");
      }
      c = Integer.MAX_VALUE - 16;
    }
    return (int) c;
  }
}
