package io.offsync.sink;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.ColumnType;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.position.BinlogPosition;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Throughput of the Parquet part writer alone on one thread (not a test): {@code rows} encoded rows of the
 * benchmark table's shape (bigint id, a ~20k-distinct user string, double, int, timestamp, a 6-value city
 * string, bool, date, a unique note string, 10% NULL) through {@link PartWriter#writeEncoded} into local files of
 * {@code rows} rows, after a warm-up; prints rows/s and the writing thread's CPU µs per row.
 * Run: {@code java -cp <test classpath> io.offsync.sink.ParquetWriterBench [rows=2000000] [rounds=5]}.
 */
public final class ParquetWriterBench {

  static final List<Column> COLUMNS = List.of(
      new Column("id", ColumnType.BIGINT, true), Column.of("user", ColumnType.VARCHAR),
      Column.of("amount", ColumnType.DOUBLE), Column.of("qty", ColumnType.INT),
      Column.of("ts", ColumnType.TIMESTAMP), Column.of("city", ColumnType.STRING),
      Column.of("vip", ColumnType.BOOL), Column.of("day", ColumnType.DATE),
      Column.of("note", ColumnType.VARCHAR));

  private ParquetWriterBench() {}

  public static void main(String[] args) throws Exception {
    long rows = args.length > 0 ? Long.parseLong(args[0]) : 2_000_000L;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    TableSchema schema = TableSchema.of("bench", COLUMNS);
    byte[] block = rows(100_000, new Random(1));
    File dir = Files.createTempDirectory("parquet-bench").toFile();
    FileSystem fs = FileSystem.get(dir.toURI(), new Configuration());
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    try {
      write(fs, new Path(dir.toURI().toString(), "warmup.parquet"), schema, block, rows);
      for (int r = 1; r <= rounds; r++) {
        Path file = new Path(dir.toURI().toString(), "round-" + r + ".parquet");
        long cpu0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        long size = write(fs, file, schema, block, rows);
        double secs = (System.nanoTime() - t0) / 1e9;
        double cpuUs = (threads.getCurrentThreadCpuTime() - cpu0) / 1e3 / rows;
        System.out.printf(Locale.ROOT, "round %d: %,d rows in %.2f s = %,.0f rows/s, %.3f CPU us/row, %,d bytes%n",
            r, rows, secs, rows / secs, cpuUs, size);
        fs.delete(file, false);
      }
    } finally {
      fs.delete(new Path(dir.toURI()), true);
    }
  }

  static long write(FileSystem fs, Path file, TableSchema schema, byte[] block, long rows) throws Exception {
    PartWriter w = PartWriter.open(fs, file, schema.latest(), OutputFormat.PARQUET);
    int off = 0;
    for (long i = 0; i < rows; i++) {
      if (off == block.length) {
        off = 0;
      }
      w.writeEncoded(schema, block, off);
      off += RowCodec.rowLength(block, off);
    }
    return w.close(new CommitRecord("bench", 1, 0, 1, "a", null, new BinlogPosition(rows), rows));
  }

  static byte[] rows(int count, Random random) {
    String[] cities = {"Beijing", "Hangzhou", "Zürich", "São Paulo", "Lyon", "Shenzhen"};
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < count; i++) {
      Object[] v = {
          (long) i,
          "user_" + random.nextInt(20_000) + "@example.com",
          random.nextDouble() * 1000,
          random.nextInt(100),
          1_700_000_000_000L + i * 50L + random.nextInt(50),
          cities[random.nextInt(cities.length)],
          random.nextBoolean(),
          LocalDate.ofEpochDay(18_000 + random.nextInt(2_000)),
          random.nextInt(10) == 0 ? null : "note " + Long.toString(random.nextLong() & Long.MAX_VALUE, 36)};
      out.writeBytes(RowCodec.encode(COLUMNS, 1, v));
    }
    return out.toByteArray();
  }
}
