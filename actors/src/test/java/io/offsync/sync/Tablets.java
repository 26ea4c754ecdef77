package io.offsync.sync;

import io.offsync.protocol.openmldb.Type;
import io.offsync.testkit.TabletFixture;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;

/** The tablets of the end-to-end tests: a multi-partition disk table written by the testkit's tablet fixture. */
final class Tablets {

  /** 2023-11-14T22:13:20Z, the put time of the first rows. */
  static final long T0 = 1_700_000_000_000L;

  private Tablets() {}

  /** Table {@code db1.<name>} (tid, partitions) under {@code root}, registered in ZooKeeper under /openmldb. */
  static TabletFixture table(Path root, String name, int tid, int partitions, CuratorFramework zk) {
    TabletFixture f = TabletFixture.builder(root).db("db1").table(name).tid(tid).partitions(partitions)
        .column("id", Type.DataType.kBigInt)
        .column("user", Type.DataType.kString)
        .column("amount", Type.DataType.kDouble)
        .column("ts", Type.DataType.kTimestamp)
        .column("day", Type.DataType.kDate)
        .column("vip", Type.DataType.kBool)
        .index("by_user", "ts", "user")
        .build();
    f.register(zk, "/openmldb");
    return f;
  }

  /** Puts rows with ids {@code first .. first+n-1} at put time (and ts column) {@code time + id}. */
  static void write(TabletFixture f, long first, int n, long time) {
    for (long id = first; id < first + n; id++) {
      long ts = time + id;
      f.putAt(ts, id, "user_" + (id % 37), id * 1.25, ts, LocalDate.ofEpochDay(ts / 86_400_000L),
          id % 5 == 0 ? null : id % 2 == 0);
    }
    f.flush();
  }

  /** Snapshots every partition. */
  static void snapshot(TabletFixture f) {
    for (int pid = 0; pid < f.partitionCount(); pid++) {
      f.snapshot(pid);
    }
  }

  /** The ids (first column) a sync of partition {@code pid} must commit. */
  static List<Long> expectedIds(TabletFixture f, int pid, int mode, long startTs) {
    List<Long> ids = new ArrayList<>();
    for (List<Object> row : f.expectedRows(pid, mode, startTs)) {
      ids.add((Long) row.get(0));
    }
    return ids;
  }
}
