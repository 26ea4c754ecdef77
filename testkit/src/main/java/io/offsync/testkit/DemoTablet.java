package io.offsync.testkit;

import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.snapshot.Manifest;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Generates a demo OpenMLDB disk table in the real tablet layout, for the quickstart and the benchmarks: per
 * partition a live RocksDB, a snapshot (checkpoint + MANIFEST) of the first {@code rows - binlog-rows} rows, the
 * binlog after it (older binlog files purged, as the tablet does), and optionally the table's metadata in
 * ZooKeeper. {@code --overlap K} makes each checkpoint hold K binlog entries past its {@code MANIFEST.offset}, as a
 * tablet that snapshots under write load leaves it. {@code --append} adds rows to the binlog of a demo table
 * generated before (and to the live DB).
 *
 * <p>By default the live DB is written in bulk ({@code --live-writes bulk}, {@link TabletFixtureBuilder#bulkLoad}):
 * rows are sorted in Java and ingested as SST files at the snapshot and at the end, which leaves the same keys and
 * values as one RocksDB write per row ({@code --live-writes put}, the tablet's way, tens of times slower because of
 * the Java comparator). Memory stays flat whatever {@code --rows} is: beyond {@code --bulk-buffer-mb} the sort
 * spills sorted runs to disk.
 *
 * <p>Schema {@code (id bigint, user string, amount double, city string, ts timestamp, day date, vip bool)}, index 0
 * {@code by_user(user, ts)}, index 1 {@code by_city(city, ts)}, written as a cluster writes it
 * ({@link TabletFixture}): a row goes to its user's partition and, with only its city's dimension, to its city's
 * partition when that is another one (about 1.75 binlog entries per row over 4 partitions); a sync reads it once,
 * from its user's partition. The table's metadata persists in ZooKeeper; the
 * tablet registration {@code /nodes/<endpoint>} is ephemeral, so it ends with this command.
 */
@Command(name = "demo-tablet", mixinStandardHelpOptions = true,
    description = "Generate an OpenMLDB disk table (RocksDB snapshot + binlog) in the tablet's on-disk layout.")
public final class DemoTablet implements Callable<Integer> {

  @Option(names = "--root", required = true, description = "tablet root path (like ssd_root_path); the table goes "
      + "to <root>/<tid>_<pid>/")
  Path root;

  @Option(names = "--zk", description = "ZooKeeper connect string; if set, the table is registered there")
  String zk;

  @Option(names = "--zk-root", defaultValue = "/openmldb", description = "ZooKeeper root path (default ${DEFAULT-VALUE})")
  String zkRoot;

  @Option(names = "--db", defaultValue = "demo_db", description = "database (default ${DEFAULT-VALUE})")
  String db;

  @Option(names = "--table", defaultValue = "demo_table", description = "table (default ${DEFAULT-VALUE})")
  String table;

  @Option(names = "--tid", defaultValue = "1", description = "table id (default ${DEFAULT-VALUE})")
  int tid;

  @Option(names = "--rows", defaultValue = "100000", description = "rows to write (default ${DEFAULT-VALUE})")
  long rows;

  @Option(names = "--binlog-rows", defaultValue = "-1", description = "of those, rows written after the snapshot "
      + "(default: 10%% of --rows; all of them with --append)")
  long binlogRows;

  @Option(names = "--partitions", defaultValue = "4", description = "partition count (default ${DEFAULT-VALUE})")
  int partitions;

  @Option(names = "--endpoint", defaultValue = TabletFixture.DEFAULT_ENDPOINT,
      description = "tablet endpoint recorded as every partition's leader (default ${DEFAULT-VALUE})")
  String endpoint;

  @Option(names = "--compress", defaultValue = "none", description = "none or snappy (default ${DEFAULT-VALUE})")
  String compress;

  @Option(names = "--storage", defaultValue = "ssd", description = "ssd or hdd (default ${DEFAULT-VALUE})")
  String storage;

  @Option(names = "--seed", defaultValue = "1", description = "random seed (default ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--append", description = "add --rows rows to the binlog of an existing demo table")
  boolean append;

  @Option(names = "--overlap", defaultValue = "0", description = "per partition, binlog entries past MANIFEST.offset "
      + "that the snapshot's checkpoint also holds, as a tablet snapshotting under write load leaves them (at most "
      + "the entries of the partition's last binlog file; default ${DEFAULT-VALUE})")
  long overlap;

  @Option(names = "--live-writes", defaultValue = "bulk", description = "how rows go into the live RocksDB: bulk "
      + "(sorted in Java, ingested as SST files; fast) or put (one RocksDB write per row, as a tablet; slow) "
      + "(default ${DEFAULT-VALUE}); the readable content is the same")
  String liveWrites;

  @Option(names = "--bulk-buffer-mb", defaultValue = "192", description = "bulk: heap for sorting, over all "
      + "partitions, before sorted runs are spilled to disk (default ${DEFAULT-VALUE})")
  long bulkBufferMb;

  public static void main(String[] args) {
    System.exit(new CommandLine(new DemoTablet()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (rows < 0 || partitions < 1 || overlap < 0) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--rows and --overlap must be >= 0 and "
          + "--partitions >= 1");
    }
    long bulkBytes = switch (liveWrites.toLowerCase()) {
      case "bulk" -> Math.max(1, (bulkBufferMb << 20) / partitions);
      case "put" -> 0;
      default -> throw new CommandLine.ParameterException(new CommandLine(this), "--live-writes must be bulk or put");
    };
    long start = System.nanoTime();
    long written;
    String name;
    try (TabletFixture f = append ? TabletFixture.reopen(root, tid, false, bulkBytes) : create(bulkBytes)) {
      name = f.tableInfo().getDb() + "." + f.tableInfo().getName();
      long firstId = 0; // entries >= rows (a row is put into up to one partition per index): new ids are unique
      for (int pid = 0; pid < f.partitionCount(); pid++) {
        firstId += f.lastLogIndex(pid);
      }
      SplittableRandom rnd = new SplittableRandom(seed + firstId);
      long afterSnapshot = append ? rows : (binlogRows < 0 ? rows / 10 : Math.min(binlogRows, rows));
      long before = rows - afterSnapshot;
      // the rows the checkpoints hold past their offset go into a binlog file of their own, so the older ones can
      // be purged after the snapshot as the tablet does
      long tail = append ? 0 : Math.min(before, 2 * overlap * f.partitionCount());
      written = write(f, rnd, firstId, before - tail);
      long[] rolledAt = new long[f.partitionCount()];
      for (int pid = 0; pid < f.partitionCount() && tail > 0; pid++) {
        f.rollBinlog(pid);
        rolledAt[pid] = f.lastLogIndex(pid);
      }
      written += write(f, rnd, firstId + before - tail, tail);
      if (!append) {
        for (int pid = 0; pid < f.partitionCount(); pid++) {
          long k = Math.min(overlap, f.lastLogIndex(pid) - rolledAt[pid]);
          Manifest m = f.snapshot(pid, k);
          f.rollBinlog(pid);
          f.purgeBinlogsBefore(pid);
          System.out.printf("partition %d: snapshot %s offset %d count %d%s%n", pid, m.name(), m.offset(), m.count(),
              k > 0 ? ", checkpoint holds " + k + " entries past the offset" : "");
        }
      }
      written += write(f, rnd, firstId + before, afterSnapshot);
      f.flush();
      if (zk != null) {
        register(f);
      }
      for (int pid = 0; pid < f.partitionCount(); pid++) {
        System.out.printf("partition %d: %s, last log index %d%n", pid, f.partitionDir(pid), f.lastLogIndex(pid));
      }
    }
    double secs = (System.nanoTime() - start) / 1e9;
    System.out.printf("%s %s (tid %d): %d rows in %.1f s (%.0f rows/s)%n", append ? "appended to" : "generated",
        name, tid, written, secs, written / Math.max(secs, 1e-9));
    return 0;
  }

  private TabletFixture create(long bulkBytes) {
    Common.StorageMode mode = switch (storage.toLowerCase()) {
      case "ssd" -> Common.StorageMode.kSSD;
      case "hdd" -> Common.StorageMode.kHDD;
      default -> throw new CommandLine.ParameterException(new CommandLine(this), "--storage must be ssd or hdd");
    };
    Type.CompressType ct = switch (compress.toLowerCase()) {
      case "none" -> Type.CompressType.kNoCompress;
      case "snappy" -> Type.CompressType.kSnappy;
      default -> throw new CommandLine.ParameterException(new CommandLine(this), "--compress must be none or snappy");
    };
    return TabletFixture.builder(root).db(db).table(table).tid(tid).partitions(partitions).storageMode(mode)
        .compressType(ct).endpoints(endpoint).trackRows(false).autoFlush(false).bulkLoad(bulkBytes)
        .column("id", Type.DataType.kBigInt).column("user", Type.DataType.kString)
        .column("amount", Type.DataType.kDouble).column("city", Type.DataType.kString)
        .column("ts", Type.DataType.kTimestamp).column("day", Type.DataType.kDate).column("vip", Type.DataType.kBool)
        .index("by_user", "ts", "user").index("by_city", "ts", "city")
        .build();
  }

  private static final String[] CITIES = {"beijing", "shanghai", "shenzhen", "hangzhou", "chengdu", "wuhan",
      "paris", "berlin", "lagos", "lima", "osaka", "toronto"};

  private static long write(TabletFixture f, SplittableRandom rnd, long firstId, long n) {
    long base = 1_700_000_000_000L;
    int users = (int) Math.max(1, Math.min(1_000_000, n / 8 + 1));
    for (long i = 0; i < n; i++) {
      long id = firstId + i;
      long ts = base + id * 1000 + rnd.nextInt(1000);
      Object[] v = {id, "user_" + rnd.nextInt(users), Math.round(rnd.nextDouble() * 100_000) / 100.0,
          rnd.nextInt(20) == 0 ? null : CITIES[rnd.nextInt(CITIES.length)], ts,
          LocalDate.ofEpochDay(ts / 86_400_000L), rnd.nextInt(10) == 0};
      f.put(v);
      if ((i & 0xFFFF) == 0xFFFF) {
        f.flush();
      }
      if (n >= 2_000_000 && (i + 1) % 1_000_000 == 0) {
        System.out.printf("  %,d / %,d rows%n", i + 1, n);
      }
    }
    return n;
  }

  private void register(TabletFixture f) throws InterruptedException {
    try (CuratorFramework client = CuratorFrameworkFactory.builder().connectString(zk)
        .retryPolicy(new ExponentialBackoffRetry(200, 5)).build()) {
      client.start();
      if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("cannot connect to ZooKeeper at " + zk + " within 30 s; check --zk");
      }
      f.register(client, zkRoot);
      System.out.printf("registered %s.%s (tid %d) in ZooKeeper %s under %s%n", db, table, tid, zk, zkRoot);
    }
  }
}
