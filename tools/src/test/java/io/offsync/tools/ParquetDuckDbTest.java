package io.offsync.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.sink.CommitRecord;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.PartWriter;
import io.offsync.testkit.RandomRows;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DuckDB's own Parquet reader on a part file of offsync's Parquet writer: random rows over every column type and
 * three schema versions ({@link RandomRows}; half written encoded, half as values; more than one row group, long
 * strings past the dictionary limit), counted and summed per column by DuckDB and compared with the same figures
 * computed from the rows in Java.
 */
class ParquetDuckDbTest {

  private static final int ROWS = 40_000;

  @TempDir
  Path dir;

  @Test
  void duckDbCountsAndSumsEveryColumnAsWritten() throws Exception {
    TableSchema schema = RandomRows.schema();
    RandomRows random = new RandomRows(7, ROWS);
    FileSystem fs = FileSystem.getLocal(new Configuration());
    Path file = dir.resolve("random.parquet");
    List<Object[]> rows = new ArrayList<>();
    PartWriter w = PartWriter.open(fs, new org.apache.hadoop.fs.Path(file.toUri()), schema.latest(),
        OutputFormat.PARQUET);
    for (int i = 0; i < ROWS; i++) {
      RandomRows.Row row = random.row(i);
      rows.add(row.latest());
      if (i % 2 == 0) {
        w.writeEncoded(schema, RowCodec.encode(schema, row.version(), row.values()), 0);
      } else {
        w.write(row.latest());
      }
    }
    w.close(new CommitRecord("db.t|1|0", 1, 0, 0, "a", null, new BinlogPosition(ROWS), ROWS));

    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = duck.createStatement()) {
      s.execute("CREATE VIEW t AS SELECT * FROM read_parquet('" + file.toString().replace("'", "''") + "')");
      assertEquals(List.of(Long.toString(ROWS)), query(s, "SELECT count(*) FROM t"));
      List<Column> cols = RandomRows.ALL;
      for (int c = 0; c < cols.size(); c++) {
        String n = '"' + cols.get(c).name() + '"';
        String sql = switch (cols.get(c).type()) {
          case BOOL -> "SELECT count(" + n + "), count(*) FILTER (WHERE " + n + ") FROM t";
          case SMALLINT, INT, BIGINT -> "SELECT count(" + n + "), sum(" + n + "::HUGEINT), min(" + n + "), max(" + n
              + ") FROM t";
          case FLOAT, DOUBLE -> "SELECT count(" + n + "), count(*) FILTER (WHERE isnan(" + n + ")), count(*) FILTER"
              + " (WHERE " + n + " = 0), count(*) FILTER (WHERE " + n + " > 0 AND NOT isnan(" + n + ")), count(*) FILTER (WHERE isinf(" + n
              + ")), sum(CASE WHEN abs(" + n + ") < 1e15 THEN floor(" + n + ")::HUGEINT END) FROM t";
          case DATE -> "SELECT count(" + n + "), sum(" + n + " - DATE '1970-01-01'), min(" + n + "), max(" + n
              + ") FROM t";
          case TIMESTAMP -> "SELECT count(" + n + "), sum(epoch_ms(" + n + ")::HUGEINT) FROM t";
          case VARCHAR, STRING -> "SELECT count(" + n + "), sum(strlen(" + n + ")), count(DISTINCT " + n + "),"
              + " min(" + n + "), max(" + n + ") FROM t";
        };
        assertEquals(expected(rows, c, cols.get(c)), query(s, sql), "column " + cols.get(c).name() + ": " + sql);
      }
    }
  }

  /** The figures of the query for column {@code c}, computed from the rows. */
  private static List<String> expected(List<Object[]> rows, int c, Column col) {
    List<Object> values = new ArrayList<>();
    for (Object[] r : rows) {
      if (r[c] != null) {
        values.add(r[c]);
      }
    }
    String count = Integer.toString(values.size());
    return switch (col.type()) {
      case BOOL -> List.of(count, Long.toString(values.stream().filter(v -> (Boolean) v).count()));
      case SMALLINT, INT, BIGINT -> {
        List<Long> longs = values.stream().map(v -> ((Number) v).longValue()).toList();
        yield List.of(count, longs.stream().map(BigInteger::valueOf).reduce(BigInteger.ZERO, BigInteger::add)
            .toString(), min(longs), max(longs));
      }
      case FLOAT, DOUBLE -> {
        List<Double> ds = values.stream().map(v -> ((Number) v).doubleValue()).toList();
        BigInteger sum = BigInteger.ZERO;
        for (double d : ds) {
          if (Math.abs(d) < 1e15) {
            sum = sum.add(BigInteger.valueOf((long) Math.floor(d)));
          }
        }
        yield List.of(count, Long.toString(ds.stream().filter(d -> d.isNaN()).count()),
            Long.toString(ds.stream().filter(d -> d == 0).count()), Long.toString(ds.stream().filter(d -> d > 0).count()),
            Long.toString(ds.stream().filter(d -> d.isInfinite()).count()), sum.toString());
      }
      case DATE -> {
        List<Long> days = values.stream().map(v -> ((LocalDate) v).toEpochDay()).toList();
        yield List.of(count, Long.toString(days.stream().mapToLong(Long::longValue).sum()),
            LocalDate.ofEpochDay(Long.parseLong(min(days))).toString(),
            LocalDate.ofEpochDay(Long.parseLong(max(days))).toString());
      }
      case TIMESTAMP -> List.of(count, values.stream().map(v -> BigInteger.valueOf((Long) v))
          .reduce(BigInteger.ZERO, BigInteger::add).toString());
      case VARCHAR, STRING -> {
        Set<String> distinct = new HashSet<>();
        long bytes = 0;
        String min = null;
        String max = null;
        for (Object v : values) {
          String s = (String) v;
          distinct.add(s);
          bytes += s.getBytes(StandardCharsets.UTF_8).length;
          min = min == null || compareUtf8(s, min) < 0 ? s : min;
          max = max == null || compareUtf8(s, max) > 0 ? s : max;
        }
        yield values.isEmpty() ? List.of("0", "null", "0", "null", "null")
            : List.of(count, Long.toString(bytes), Integer.toString(distinct.size()), min, max);
      }
    };
  }

  private static int compareUtf8(String a, String b) {
    byte[] x = a.getBytes(StandardCharsets.UTF_8);
    byte[] y = b.getBytes(StandardCharsets.UTF_8);
    return java.util.Arrays.compareUnsigned(x, y);
  }

  private static String min(List<Long> v) {
    return Long.toString(v.stream().mapToLong(Long::longValue).min().orElseThrow());
  }

  private static String max(List<Long> v) {
    return Long.toString(v.stream().mapToLong(Long::longValue).max().orElseThrow());
  }

  private static List<String> query(Statement s, String sql) throws Exception {
    try (ResultSet r = s.executeQuery(sql)) {
      r.next();
      List<String> out = new ArrayList<>();
      for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
        out.add(String.valueOf(r.getString(i)));
      }
      return out;
    }
  }
}
