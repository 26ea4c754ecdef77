package io.offsync.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.partition.PartitionRead;
import io.offsync.protocol.partition.PartitionReader;
import io.offsync.protocol.position.Position;
import io.offsync.protocol.snapshot.Manifest;
import io.offsync.protocol.zk.TableMetadata;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DemoTabletTest {

  @TempDir Path root;

  static long countRows(Path root, NS.TableInfo t, int pid) throws IOException {
    Path dir = root.resolve(t.getTid() + "_" + pid);
    long n = 0;
    try (PartitionReader r = PartitionReader.open(dir.resolve("snapshot"), dir.resolve("binlog"), t, 0, 0,
        Position.start(), System.currentTimeMillis())) {
      PartitionRead read;
      while (!((read = r.next()) instanceof PartitionRead.End)) {
        if (read instanceof PartitionRead.Row) {
          n++;
        }
      }
    }
    return n;
  }

  @Test
  void generatesAppendsAndRegisters() throws Exception {
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start()) {
      int rc = new CommandLine(new DemoTablet()).execute("--root", root.toString(), "--zk", zk.connectString(),
          "--zk-root", "/demo", "--db", "d", "--table", "t", "--tid", "3", "--rows", "3000", "--binlog-rows", "500",
          "--partitions", "2", "--compress", "snappy", "--endpoint", "127.0.0.1:10921");
      assertEquals(0, rc);
      NS.TableInfo t = new TableMetadata(zk.client(), "/demo").find("d", "t").orElseThrow();
      assertEquals(Type.CompressType.kSnappy, t.getCompressType());
      assertEquals("127.0.0.1:10921", TableMetadata.leaderEndpoint(t, 1));
      long snapshotRows = 0;
      long total = 0;
      for (int pid = 0; pid < 2; pid++) {
        snapshotRows += Manifest.read(root.resolve("3_" + pid).resolve("snapshot").resolve("MANIFEST")).offset();
        total += countRows(root, t, pid);
      }
      assertEquals(2500, snapshotRows);
      assertEquals(3000, total);

      rc = new CommandLine(new DemoTablet()).execute("--root", root.toString(), "--tid", "3", "--rows", "700",
          "--append");
      assertEquals(0, rc);
      long after = countRows(root, t, 0) + countRows(root, t, 1);
      assertEquals(3700, after);
      assertTrue(rc == 0);
    }
  }
}
