package io.offsync.sink;

import java.util.Arrays;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.statistics.Statistics;

/**
 * The fixed-width columns of a Parquet part file: BOOLEAN, INT32 (smallint, int, date), INT64 (bigint,
 * timestamp), FLOAT and DOUBLE, all PLAIN-encoded as parquet-mr writes them when dictionary encoding is off (floats
 * and doubles with their canonical NaN, as {@code Float.floatToIntBits}). Statistics follow parquet-mr's
 * statistics classes: min and max by the type's order (booleans false &lt; true); for floats and doubles NaNs are
 * left out of min/max and counted, and a zero is -0.0 as a minimum and +0.0 as a maximum (the statistics object
 * normalizes what it is given, and normalizing commutes with taking the min or max).
 */
final class ParquetFixedColumns {

  private ParquetFixedColumns() {}

  static final class Bools extends ParquetColumn {
    private boolean[] data = new boolean[256];

    Bools(ColumnDescriptor d) {
      super(d);
    }

    void add(boolean v) {
      if (values == data.length) {
        data = Arrays.copyOf(data, grown(data.length, values + 1));
      }
      data[values] = v;
      defined();
    }

    @Override
    long writeValues(ParquetPages pages, int from, int to, Statistics<?> stats) {
      pages.putBits(data, from, to);
      boolean anyTrue = false;
      boolean anyFalse = false;
      for (int i = from; i < to; i++) {
        if (data[i]) {
          anyTrue = true;
        } else {
          anyFalse = true;
        }
      }
      if (anyFalse) {
        stats.updateStats(false);
      }
      if (anyTrue) {
        stats.updateStats(true);
      }
      return 0;
    }

    @Override
    long bufferedBytes() {
      return (values + 7) >>> 3;
    }
  }

  static final class Ints extends ParquetColumn {
    private int[] data = new int[256];

    Ints(ColumnDescriptor d) {
      super(d);
    }

    void add(int v) {
      if (values == data.length) {
        data = Arrays.copyOf(data, grown(data.length, values + 1));
      }
      data[values] = v;
      defined();
    }

    @Override
    long writeValues(ParquetPages pages, int from, int to, Statistics<?> stats) {
      pages.putInts(data, from, to);
      if (to > from) {
        int min = data[from];
        int max = min;
        for (int i = from + 1; i < to; i++) {
          int v = data[i];
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        stats.updateStats(min);
        stats.updateStats(max);
      }
      return 0;
    }

    @Override
    long bufferedBytes() {
      return 4L * values;
    }
  }

  static final class Longs extends ParquetColumn {
    private long[] data = new long[256];

    Longs(ColumnDescriptor d) {
      super(d);
    }

    void add(long v) {
      if (values == data.length) {
        data = Arrays.copyOf(data, grown(data.length, values + 1));
      }
      data[values] = v;
      defined();
    }

    @Override
    long writeValues(ParquetPages pages, int from, int to, Statistics<?> stats) {
      pages.putLongs(data, from, to);
      if (to > from) {
        long min = data[from];
        long max = min;
        for (int i = from + 1; i < to; i++) {
          long v = data[i];
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
        stats.updateStats(min);
        stats.updateStats(max);
      }
      return 0;
    }

    @Override
    long bufferedBytes() {
      return 8L * values;
    }
  }

  /** Floats as their canonical bits ({@code Float.floatToIntBits}: every NaN the same). */
  static final class Floats extends ParquetColumn {
    private int[] data = new int[256];

    Floats(ColumnDescriptor d) {
      super(d);
    }

    void add(float v) {
      if (values == data.length) {
        data = Arrays.copyOf(data, grown(data.length, values + 1));
      }
      data[values] = Float.floatToIntBits(v);
      defined();
    }

    @Override
    long writeValues(ParquetPages pages, int from, int to, Statistics<?> stats) {
      pages.putInts(data, from, to);
      long nans = 0;
      boolean any = false;
      float min = 0;
      float max = 0;
      for (int i = from; i < to; i++) {
        float v = Float.intBitsToFloat(data[i]);
        if (Float.isNaN(v)) {
          nans++;
        } else if (!any) {
          min = v;
          max = v;
          any = true;
        } else {
          min = Float.compare(v, min) < 0 ? v : min;
          max = Float.compare(v, max) > 0 ? v : max;
        }
      }
      if (any) {
        stats.updateStats(min);
        stats.updateStats(max);
      }
      if (nans > 0) {
        stats.incrementNanCount(nans);
      }
      return 0;
    }

    @Override
    long bufferedBytes() {
      return 4L * values;
    }
  }

  /** Doubles as their canonical bits ({@code Double.doubleToLongBits}: every NaN the same). */
  static final class Doubles extends ParquetColumn {
    private long[] data = new long[256];

    Doubles(ColumnDescriptor d) {
      super(d);
    }

    void add(double v) {
      if (values == data.length) {
        data = Arrays.copyOf(data, grown(data.length, values + 1));
      }
      data[values] = Double.doubleToLongBits(v);
      defined();
    }

    @Override
    long writeValues(ParquetPages pages, int from, int to, Statistics<?> stats) {
      pages.putLongs(data, from, to);
      long nans = 0;
      boolean any = false;
      double min = 0;
      double max = 0;
      for (int i = from; i < to; i++) {
        double v = Double.longBitsToDouble(data[i]);
        if (Double.isNaN(v)) {
          nans++;
        } else if (!any) {
          min = v;
          max = v;
          any = true;
        } else {
          min = Double.compare(v, min) < 0 ? v : min;
          max = Double.compare(v, max) > 0 ? v : max;
        }
      }
      if (any) {
        stats.updateStats(min);
        stats.updateStats(max);
      }
      if (nans > 0) {
        stats.incrementNanCount(nans);
      }
      return 0;
    }

    @Override
    long bufferedBytes() {
      return 8L * values;
    }
  }
}
