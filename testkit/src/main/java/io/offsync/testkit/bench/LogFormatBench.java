package io.offsync.testkit.bench;

import com.google.protobuf.ByteString;
import io.offsync.protocol.binlog.BinlogFile;
import io.offsync.protocol.binlog.BinlogFiles;
import io.offsync.protocol.binlog.BinlogRead;
import io.offsync.protocol.binlog.BinlogReader;
import io.offsync.protocol.binlog.BinlogWriter;
import io.offsync.protocol.openmldb.Tablet;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Throughput of the binlog format: writes {@code --entries} {@code LogEntry}s (values of {@code --value-bytes}
 * random bytes, two dimensions each) with {@link BinlogWriter}, rolling files at {@code --file-mb}, then reads
 * them back with {@link BinlogReader} (CRC checked and unchecked, twice each, the first pass warming the JIT),
 * and prints entries/s and MB/s of file bytes, per wall-clock second and per CPU second of the benchmark thread
 * (the figure that holds on a shared machine). The read runs from the page cache. Last, it opens the reader at the
 * last entry, which skips the entries of that file before it (peeking at {@code log_index} only). The directory ({@code --dir}, default a temporary one) is deleted
 * afterwards unless given.
 *
 * <pre>java -cp ... io.offsync.testkit.bench.LogFormatBench [--entries 1000000] [--value-bytes 100] [--file-mb 64]</pre>
 */
public final class LogFormatBench {

  private LogFormatBench() {}

  public static void main(String[] args) throws IOException {
    long entries = 1_000_000;
    int valueBytes = 100;
    long fileMb = 64;
    Path dir = null;
    for (int i = 0; i < args.length; i += 2) {
      String value = i + 1 < args.length ? args[i + 1] : "";
      switch (args[i]) {
        case "--entries" -> entries = Long.parseLong(value);
        case "--value-bytes" -> valueBytes = Integer.parseInt(value);
        case "--file-mb" -> fileMb = Long.parseLong(value);
        case "--dir" -> dir = Path.of(value);
        default -> throw new IllegalArgumentException(
            "unknown option " + args[i] + "; options: --entries N --value-bytes B --file-mb M --dir PATH");
      }
    }
    boolean temporary = dir == null;
    Path binlog = temporary ? Files.createTempDirectory("offsync-logbench") : dir;
    try {
      run(binlog, entries, valueBytes, fileMb * 1024 * 1024);
    } finally {
      if (temporary) {
        try (Stream<Path> paths = Files.walk(binlog)) {
          for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
    }
  }

  private static void run(Path dir, long entries, int valueBytes, long maxFileBytes) throws IOException {
    byte[] pool = new byte[1 << 20];
    new Random(1).nextBytes(pool);
    long bytes;
    long start = System.nanoTime();
    long cpuStart = cpuNanos();
    try (BinlogWriter writer = BinlogWriter.open(dir, 1, maxFileBytes)) {
      for (long i = 1; i <= entries; i++) {
        int off = (int) (i * 7919 % (pool.length - valueBytes));
        writer.append(Tablet.LogEntry.newBuilder()
            .setTerm(1)
            .setLogIndex(i)
            .setValue(ByteString.copyFrom(pool, off, valueBytes))
            .setTs(1_700_000_000_000L + i)
            .addDimensions(Tablet.Dimension.newBuilder().setKey("user-" + (i % 100_000)).setIdx(0))
            .addDimensions(Tablet.Dimension.newBuilder().setKey("item-" + (i % 997)).setIdx(1))
            .build());
      }
      writer.flush();
      double flushed = seconds(start);
      double flushedCpu = (cpuNanos() - cpuStart) / 1e9;
      writer.sync();
      double synced = seconds(start);
      bytes = fileBytes(dir);
      report("write (to page cache)", entries, bytes, flushed, flushedCpu);
      report("write + fsync", entries, bytes, synced, (cpuNanos() - cpuStart) / 1e9);
    }
    for (boolean verifyCrc : new boolean[] {true, false, true, false}) {
      start = System.nanoTime();
      cpuStart = cpuNanos();
      long read = 0;
      try (BinlogReader reader = BinlogReader.open(dir, 1, verifyCrc)) {
        while (reader.next() instanceof BinlogRead.Entry) {
          read++;
        }
      }
      double elapsed = seconds(start);
      double cpu = (cpuNanos() - cpuStart) / 1e9;
      if (read != entries) {
        throw new IllegalStateException("read " + read + " entries, wrote " + entries);
      }
      report(verifyCrc ? "read (CRC checked)" : "read (no CRC)", read, bytes, elapsed, cpu);
    }
    List<BinlogFile> files = BinlogFiles.scan(dir);
    BinlogFile lastFile = files.get(files.size() - 1);
    start = System.nanoTime();
    cpuStart = cpuNanos();
    try (BinlogReader reader = BinlogReader.open(dir, entries, true)) {
      BinlogRead last = reader.next();
      if (!(last instanceof BinlogRead.Entry e) || e.entry().getLogIndex() != entries) {
        throw new IllegalStateException("open at the last entry returned " + last);
      }
    }
    report("open at last (skip)", entries - lastFile.firstLogIndex() + 1, Files.size(lastFile.path()), seconds(start),
        (cpuNanos() - cpuStart) / 1e9);
    System.out.printf("%d files of up to %d MiB in %s%n", files.size(), maxFileBytes >> 20, dir);
  }

  private static long fileBytes(Path dir) throws IOException {
    long total = 0;
    for (BinlogFile file : BinlogFiles.scan(dir)) {
      total += Files.size(file.path());
    }
    return total;
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static long cpuNanos() {
    return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  /** Wall-clock rates, and rates per CPU second of this thread (what the code costs on a busy machine). */
  private static void report(String what, long entries, long bytes, double seconds, double cpuSeconds) {
    System.out.printf("%-22s %,10d entries  wall %6.2f s %,10.0f entries/s %7.1f MB/s"
            + "  | cpu %6.2f s %,10.0f entries/s %7.1f MB/s%n",
        what, entries, seconds, entries / seconds, bytes / seconds / 1e6,
        cpuSeconds, entries / cpuSeconds, bytes / cpuSeconds / 1e6);
  }
}
