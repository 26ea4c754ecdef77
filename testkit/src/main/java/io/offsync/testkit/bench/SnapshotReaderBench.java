package io.offsync.testkit.bench;

import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.snapshot.DiskTableWriter;
import io.offsync.protocol.snapshot.SnapshotCursor;
import io.offsync.protocol.snapshot.SnapshotReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Benchmark (not a test): writes a disk table of N rows through {@link DiskTableWriter}, checkpoints it, and times
 * full {@link SnapshotReader} scans of index 0 (rows/s, MB/s of row bytes returned), then one scan that also
 * decodes every row with {@link RowCodec}.
 *
 * <pre>
 * java -cp ... io.offsync.testkit.bench.SnapshotReaderBench [--rows 1000000] [--row-bytes 100] [--pks 100000]
 *     [--runs 3] [--snappy] [--dir /tmp/x] [--keep]
 * </pre>
 * The table: {@code id string, ts bigint, payload string}, index 0 on {@code id} with ts column {@code ts}; the
 * payload is sized so that encoded rows are about {@code --row-bytes} long.
 */
public final class SnapshotReaderBench {

  private SnapshotReaderBench() {}

  public static void main(String[] args) throws IOException {
    long rows = 1_000_000;
    int rowBytes = 100;
    int pks = 100_000;
    int runs = 3;
    boolean snappy = false;
    boolean keep = false;
    Path dir = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rows" -> rows = Long.parseLong(args[++i]);
        case "--row-bytes" -> rowBytes = Integer.parseInt(args[++i]);
        case "--pks" -> pks = Integer.parseInt(args[++i]);
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--snappy" -> snappy = true;
        case "--keep" -> keep = true;
        case "--dir" -> dir = Paths.get(args[++i]);
        default -> {
          System.err.println("unknown argument " + args[i] + "; use --rows N --row-bytes B --pks P --runs R "
              + "--snappy --dir D --keep");
          System.exit(2);
        }
      }
    }
    Path root = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("snapshot-bench");
    NS.TableInfo table = NS.TableInfo.newBuilder().setName("bench").setDb("bench").setTid(1).setPartitionNum(1)
        .setStorageMode(Common.StorageMode.kSSD)
        .setCompressType(snappy ? Type.CompressType.kSnappy : Type.CompressType.kNoCompress)
        .addColumnDesc(Common.ColumnDesc.newBuilder().setName("id").setDataType(Type.DataType.kString))
        .addColumnDesc(Common.ColumnDesc.newBuilder().setName("ts").setDataType(Type.DataType.kBigInt))
        .addColumnDesc(Common.ColumnDesc.newBuilder().setName("payload").setDataType(Type.DataType.kString))
        .addColumnKey(Common.ColumnKey.newBuilder().setIndexName("idx_id").addColName("id").setTsName("ts"))
        .build();
    Path partition = root.resolve("1_0");
    Path checkpoint = partition.resolve("snapshot").resolve("202601010000");
    Files.createDirectories(checkpoint.getParent());

    TableSchema schema = TableSchema.of(table);
    Random rnd = new Random(1);
    long rowBytesWritten = 0;
    long t0 = System.nanoTime();
    try (DiskTableWriter w = DiskTableWriter.open(partition, table)) {
      for (long i = 0; i < rows; i++) {
        Object[] values = {"user" + (i % pks), 1_700_000_000_000L + i, ""};
        int fill = Math.max(0, rowBytes - RowCodec.encode(schema, 1, values).length);
        StringBuilder payload = new StringBuilder(fill);
        for (int j = 0; j < fill; j++) {
          payload.append((char) ('a' + rnd.nextInt(16)));
        }
        values[2] = payload.toString();
        byte[] row = RowCodec.encode(schema, 1, values);
        rowBytesWritten += row.length;
        w.put(values, 0, row);
      }
      long t1 = System.nanoTime();
      w.checkpoint(checkpoint);
      long t2 = System.nanoTime();
      System.out.printf("wrote %,d rows (%.0f bytes each, %,d pks%s) in %.1f s (%,.0f rows/s); checkpoint %.2f s%n",
          rows, (double) rowBytesWritten / rows, pks, snappy ? ", snappy" : "", (t1 - t0) / 1e9,
          rows / ((t1 - t0) / 1e9), (t2 - t1) / 1e9);
    }

    try (SnapshotReader reader = SnapshotReader.open(checkpoint, table)) {
      for (int run = 1; run <= runs + 1; run++) {
        boolean decode = run > runs;
        long n = 0;
        long bytes = 0;
        long s = System.nanoTime();
        try (SnapshotCursor c = reader.cursor(null, System.currentTimeMillis())) {
          while (c.next()) {
            n++;
            byte[] row = c.row();
            bytes += row.length;
            if (decode && RowCodec.decode(schema, row, 0).length != 3) {
              throw new IllegalStateException("row " + n + " did not decode to 3 values");
            }
          }
        }
        double sec = (System.nanoTime() - s) / 1e9;
        System.out.printf("%s %d: %,d rows, %.1f MB in %.2f s: %,.0f rows/s, %.1f MB/s%n",
            decode ? "scan+decode" : "scan", run, n, bytes / 1e6, sec, n / sec, bytes / 1e6 / sec);
        if (n != rows) {
          System.out.println("ERROR: read " + n + " rows, wrote " + rows);
        }
      }
    }
    if (!keep) {
      try (Stream<Path> s = Files.walk(root)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    } else {
      System.out.println("kept " + root);
    }
  }
}
