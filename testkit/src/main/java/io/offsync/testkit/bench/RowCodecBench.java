package io.offsync.testkit.bench;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.ColumnType;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import java.io.ByteArrayOutputStream;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Decode throughput of {@link RowCodec} (not a test): a buffer of concatenated ~100-byte rows of a typical
 * 9-column table (bigint, 3 strings, double, int, timestamp, bool, date) is framed by the size field and
 * decoded over and over, after a warm-up.
 *
 * <p>Usage: {@code RowCodecBench [rowsPerRound=5000000] [rounds=5]}.
 */
public final class RowCodecBench {

  private RowCodecBench() {}

  public static void main(String[] args) {
    long rowsPerRound = args.length > 0 ? Long.parseLong(args[0]) : 5_000_000L;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    List<Column> cols = List.of(
        new Column("id", ColumnType.BIGINT, true), Column.of("user", ColumnType.VARCHAR),
        Column.of("amount", ColumnType.DOUBLE), Column.of("qty", ColumnType.INT),
        Column.of("ts", ColumnType.TIMESTAMP), Column.of("city", ColumnType.STRING),
        Column.of("vip", ColumnType.BOOL), Column.of("day", ColumnType.DATE),
        Column.of("note", ColumnType.VARCHAR));
    TableSchema schema = TableSchema.of("bench", cols);
    byte[] buf = rows(cols, 100_000, new Random(1));
    int distinct = 100_000;
    System.out.printf(Locale.ROOT, "schema: %d columns, %d distinct rows, %.1f bytes/row average%n",
        cols.size(), distinct, buf.length / (double) distinct);

    decode(schema, buf, 3_000_000L); // warm-up
    for (int r = 1; r <= rounds; r++) {
      long t0 = System.nanoTime();
      long[] result = decode(schema, buf, rowsPerRound);
      double secs = (System.nanoTime() - t0) / 1e9;
      System.out.printf(Locale.ROOT, "round %d: %,d rows in %.2f s = %,.0f rows/s, %.1f MB/s (checksum %d)%n",
          r, rowsPerRound, secs, rowsPerRound / secs, result[1] / secs / 1e6, result[0]);
    }
  }

  /** Decodes {@code rows} rows cycling over the buffer; returns a checksum and the bytes decoded. */
  private static long[] decode(TableSchema schema, byte[] buf, long rows) {
    long checksum = 0;
    long bytes = 0;
    int off = 0;
    for (long i = 0; i < rows; i++) {
      if (off == buf.length) {
        off = 0;
      }
      int len = RowCodec.rowLength(buf, off);
      Object[] values = RowCodec.decode(schema, buf, off);
      checksum += values.length + (values[1] == null ? 0 : ((String) values[1]).length());
      bytes += len;
      off += len;
    }
    return new long[] {checksum, bytes};
  }

  private static byte[] rows(List<Column> cols, int count, Random random) {
    String[] cities = {"Beijing", "Hangzhou", "Zürich", "São Paulo", "Lyon", "Shenzhen"};
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < count; i++) {
      Object[] v = {
          (long) i,
          "user_" + Integer.toString(random.nextInt(1 << 30), 36) + "@example.com",
          random.nextDouble() * 1000,
          random.nextInt(100),
          1_700_000_000_000L + random.nextInt(1_000_000_000),
          cities[random.nextInt(cities.length)],
          random.nextBoolean(),
          LocalDate.ofEpochDay(18_000 + random.nextInt(2_000)),
          random.nextInt(10) == 0
              ? null
              : "note " + Long.toString(random.nextLong() & Long.MAX_VALUE, 36) + "-" + random.nextInt(1000)};
      out.writeBytes(RowCodec.encode(cols, 1, v));
    }
    return out.toByteArray();
  }
}
