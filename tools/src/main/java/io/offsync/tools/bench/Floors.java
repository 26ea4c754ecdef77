package io.offsync.tools.bench;

import com.google.protobuf.TextFormat;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Tablet;
import io.offsync.protocol.partition.PartitionRead;
import io.offsync.protocol.partition.PartitionReader;
import io.offsync.protocol.position.Position;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.fs.FileSystem;

/**
 * What the benchmark compares a sync with, each measured on the same machine in the same run:
 * <ul>
 *   <li>{@link #duckDb}: DuckDB (the best converter at hand) writing the same rows, already in its memory, to one
 *       Parquet file (snappy), with as many threads as cores;
 *   <li>{@link #readFloor}: iterating every partition's snapshot and binlog with offsync's {@link PartitionReader}
 *       (the collector's reader, CRCs checked as the collector does), partitions in parallel on as many threads as
 *       cores, without decoding or writing a row;
 *   <li>{@link #rawCopy}: copying the table's snapshot and binlog files byte for byte into the target file system.
 * </ul>
 */
final class Floors implements AutoCloseable {

  /**
   * A measured floor: rows (or bytes) handled, the seconds it took and the CPU seconds of this process meanwhile
   * (DuckDB's threads are native threads of this process; the nodes are idle then).
   */
  record Run(long count, double seconds, double cpuSeconds) {
    double perSecond() {
      return count / seconds;
    }

    /** CPU microseconds per row (or byte). */
    double cpuMicros() {
      return cpuSeconds * 1e6 / count;
    }
  }

  /** CPU time of this process so far. */
  static long cpuNanos() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : 0;
  }

  private final Connection duck;
  private final int threads = Runtime.getRuntime().availableProcessors();

  private Floors(Connection duck) {
    this.duck = duck;
  }

  /**
   * Loads the rows of {@code parquetGlob} (a sync's committed output: the table's rows) into an in-memory DuckDB
   * table; not timed.
   */
  static Floors load(String parquetGlob) throws SQLException {
    Connection c = DriverManager.getConnection("jdbc:duckdb:");
    try (Statement s = c.createStatement()) {
      s.execute("SET threads TO " + Runtime.getRuntime().availableProcessors());
      s.execute("SET preserve_insertion_order = false");
      s.execute("CREATE TABLE rows AS SELECT * FROM read_parquet('" + parquetGlob.replace("'", "''") + "')");
      return new Floors(c);
    } catch (SQLException e) {
      c.close();
      throw e;
    }
  }

  /** Rows in DuckDB's table. */
  long rows() throws SQLException {
    try (Statement s = duck.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM rows")) {
      r.next();
      return r.getLong(1);
    }
  }

  /** DuckDB writes its table to {@code file} (deleted afterwards): Parquet, snappy, one thread per core. */
  Run duckDb(Path file) throws SQLException, IOException {
    long rows = rows();
    long cpu0 = cpuNanos();
    long t0 = System.nanoTime();
    try (Statement s = duck.createStatement()) {
      s.execute("COPY rows TO '" + file.toString().replace("'", "''") + "' (FORMAT parquet, COMPRESSION snappy)");
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    double cpu = (cpuNanos() - cpu0) / 1e9;
    Files.deleteIfExists(file);
    return new Run(rows, secs, cpu);
  }

  /** Reads every row of partitions {@code <root>/<tid>_<pid>} (mode 0) with the collector's reader. */
  Run readFloor(Path root, int tid, int partitions) throws Exception {
    NS.TableInfo table = tableInfo(root.resolve(tid + "_0"));
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, partitions));
    try {
      long cpu0 = cpuNanos();
      long t0 = System.nanoTime();
      List<Future<Long>> counts = new ArrayList<>();
      for (int pid = 0; pid < partitions; pid++) {
        Path dir = root.resolve(tid + "_" + pid);
        counts.add(pool.submit(() -> {
          long n = 0;
          try (PartitionReader r = PartitionReader.open(dir.resolve("snapshot"), dir.resolve("binlog"), table, 0, 0,
              Position.start(), System.currentTimeMillis(), true)) {
            PartitionRead read;
            while (!((read = r.next()) instanceof PartitionRead.End)) {
              if (read instanceof PartitionRead.Row) {
                n++;
              }
            }
          }
          return n;
        }));
      }
      long rows = 0;
      for (Future<Long> f : counts) {
        rows += f.get();
      }
      return new Run(rows, (System.nanoTime() - t0) / 1e9, (cpuNanos() - cpu0) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Copies {@code files} into {@code dest} on {@code fs}; the count is bytes. */
  static Run rawCopy(List<Path> files, FileSystem fs, org.apache.hadoop.fs.Path dest) throws IOException {
    long bytes = 0;
    long cpu0 = cpuNanos();
    long t0 = System.nanoTime();
    int i = 0;
    for (Path f : files) {
      fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(f.toUri()),
          new org.apache.hadoop.fs.Path(dest, (i++) + "-" + f.getFileName()));
      bytes += Files.size(f);
    }
    return new Run(bytes, (System.nanoTime() - t0) / 1e9, (cpuNanos() - cpu0) / 1e9);
  }

  /** The table as its partition's {@code table_meta.txt} describes it. */
  static NS.TableInfo tableInfo(Path partition) throws IOException {
    Tablet.TableMeta.Builder m = Tablet.TableMeta.newBuilder();
    TextFormat.getParser().merge(Files.readString(partition.resolve("table_meta.txt")), m);
    return NS.TableInfo.newBuilder().setTid(m.getTid()).setName(m.getName()).setDb(m.getDb())
        .setCompressType(m.getCompressType()).setStorageMode(m.getStorageMode())
        .addAllColumnDesc(m.getColumnDescList()).addAllColumnKey(m.getColumnKeyList())
        .addAllAddedColumnDesc(m.getAddedColumnDescList()).addAllSchemaVersions(m.getSchemaVersionsList()).build();
  }

  @Override
  public void close() throws SQLException {
    duck.close();
  }
}
