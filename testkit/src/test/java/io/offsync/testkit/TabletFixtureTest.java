package io.offsync.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.binlog.BinlogFiles;
import io.offsync.protocol.binlog.BinlogRead;
import io.offsync.protocol.binlog.BinlogReader;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Tablet;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.snapshot.Manifest;
import io.offsync.protocol.zk.TableMetadata;
import io.offsync.protocol.zk.ZkLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

class TabletFixtureTest {

  static EmbeddedZooKeeper zk;
  @TempDir Path root;

  @BeforeAll
  static void startZk() {
    zk = EmbeddedZooKeeper.start();
  }

  @AfterAll
  static void stopZk() {
    zk.close();
  }

  static TabletFixtureBuilder table(Path root, int tid) {
    return TabletFixture.builder(root).db("db").table("t" + tid).tid(tid)
        .column("k", Type.DataType.kString).column("v", Type.DataType.kBigInt).column("ts", Type.DataType.kTimestamp)
        .index("idx0", "ts", "k").index("idx1", "ts", "v")
        .endpoints("127.0.0.1:9527", "127.0.0.2:9527");
  }

  @Test
  void writesTheTabletLayoutAndBinlogEntries() throws Exception {
    try (TabletFixture f = table(root, 3).partitions(2).compressType(Type.CompressType.kSnappy)
        .clock(() -> 1_700_000_000_000L).build()) {
      int pid = f.put("a", 1, 1000L);
      assertEquals(pid, f.partitionOf("a", 2, 5L), "the partition follows index 0's key only");
      for (int i = 0; i < 20; i++) {
        f.put("k" + i, i, 2000L + i);
      }
      Path p = f.partitionDir(pid);
      assertEquals(root.resolve("3_" + pid), p);
      assertTrue(Files.isRegularFile(p.resolve("binlog").resolve("00000000.log")));
      assertTrue(Files.isRegularFile(p.resolve("data").resolve("CURRENT")));
      assertTrue(Files.isRegularFile(p.resolve("table_meta.txt")));

      Manifest m = f.snapshot(pid);
      assertEquals(f.lastLogIndex(pid), m.offset());
      assertEquals("202311142213", m.name());
      assertEquals(m, Manifest.read(f.snapshotDir(pid).resolve("MANIFEST")));
      assertTrue(Files.isRegularFile(f.snapshotDir(pid).resolve(m.name()).resolve("CURRENT")));
      Manifest m2 = f.snapshot(pid);
      assertEquals("202311142214", m2.name(), "a second snapshot in the same minute gets the next minute");
      assertFalse(Files.exists(f.snapshotDir(pid).resolve(m.name())), "the previous checkpoint is deleted");

      f.delete(0, "a");
      try (BinlogReader r = BinlogReader.open(f.binlogDir(pid), 1, true)) {
        Tablet.LogEntry first = ((BinlogRead.Entry) r.next()).entry();
        assertEquals(1, first.getLogIndex());
        assertEquals(1, first.getTerm());
        assertTrue(first.hasPk() && first.getPk().isEmpty(), "a tablet logs the request's pk, empty for a client");
        assertEquals(1_700_000_000_000L, first.getTs());
        assertEquals(Tablet.MethodType.kPut, first.getMethodType());
        assertEquals(f.dimensionsByPartition("a", 1, 1000L).get(pid).stream().map(d -> d.key()).toList(),
            first.getDimensionsList().stream().map(Tablet.Dimension::getKey).toList());
        assertEquals("a", first.getDimensions(0).getKey());
        byte[] row = Snappy.uncompress(first.getValue().toByteArray());
        assertEquals(Arrays.asList("a", 1L, 1000L),
            Arrays.asList(RowCodec.decode(TableSchema.of(f.tableInfo()), row, 0)));
        Tablet.LogEntry last = null;
        BinlogRead read;
        while ((read = r.next()) instanceof BinlogRead.Entry e) {
          last = e.entry();
        }
        assertNotNull(last);
        assertEquals(Tablet.MethodType.kDelete, last.getMethodType());
        assertEquals(f.lastLogIndex(pid), last.getLogIndex());
      }
    }
  }

  @Test
  void rollAndPurgeKeepTheFilesAfterTheSnapshot() throws Exception {
    try (TabletFixture f = table(root, 4).partitions(1).build()) {
      for (int i = 0; i < 5; i++) {
        f.put("k" + i, i, 10L + i);
      }
      f.rollBinlog(0);
      f.put("x", 1, 1L);
      f.rollBinlog(0);
      f.put("y", 2, 2L);
      assertEquals(0, f.purgeBinlogsBefore(0), "nothing is purged without a snapshot");
      f.snapshot(0);
      f.put("z", 3, 3L);
      assertEquals(2, f.purgeBinlogsBefore(0));
      assertEquals(List.of(7L), BinlogFiles.scan(f.binlogDir(0)).stream().map(b -> b.firstLogIndex()).toList());
    }
  }

  @Test
  void registersInZooKeeperLikeTheNameserver() throws Exception {
    String zkRoot = "/fixture";
    try (TabletFixture f = table(root, 5).partitions(2).build();
         TableMetadata meta = new TableMetadata(zk.client(), zkRoot)) {
      f.register(zk.client(), zkRoot);
      ZkLayout l = new ZkLayout(zkRoot);
      assertArrayEquals(f.tableInfo().toByteArray(), zk.client().getData().forPath(l.tableInfo(5)));
      assertEquals("startup_127.0.0.2:9527",
          new String(zk.client().getData().forPath(l.node("127.0.0.2:9527")), StandardCharsets.UTF_8));
      NS.TableInfo t = meta.find("db", "t5").orElseThrow();
      assertEquals("127.0.0.1:9527", TableMetadata.leaderEndpoint(t, 0));
      assertEquals("127.0.0.2:9527", TableMetadata.leaderEndpoint(t, 1));
      assertEquals(Common.StorageMode.kSSD, t.getStorageMode());

      BlockingQueue<NS.TableInfo> seen = new LinkedBlockingQueue<>();
      meta.addListener(seen::add);
      assertEquals(t, seen.poll(10, TimeUnit.SECONDS));
      f.moveLeader(0, "127.0.0.3:9527");
      assertEquals("127.0.0.3:9527", TableMetadata.leaderEndpoint(seen.poll(10, TimeUnit.SECONDS), 0));
      assertEquals(2, f.term());
      assertNotNull(zk.client().checkExists().forPath(l.node("127.0.0.3:9527")));

      NS.TableInfo altered = f.alterAddColumn("extra", Type.DataType.kString);
      NS.TableInfo got = seen.poll(10, TimeUnit.SECONDS);
      assertEquals(altered, got);
      assertEquals(2, TableSchema.of(got).latestVersion());
      assertEquals(4, TableSchema.of(got).latest().size());
      f.put("k", 1L, 5L, "e");
    }
  }

  @Test
  void registersAMemoryTableForRefusalTests() throws Exception {
    try (TabletFixture f = table(root, 6).storageMode(Common.StorageMode.kMemory).build()) {
      f.register(zk.client(), "/mem");
      f.put("k", 1, 2L);
      assertFalse(Files.exists(f.partitionDir(0).resolve("data")));
      assertThrows(IllegalStateException.class, () -> f.snapshot(0));
      assertEquals(Common.StorageMode.kMemory,
          new TableMetadata(zk.client(), "/mem").byTid(6).orElseThrow().getStorageMode());
    }
  }

  @Test
  void badValuesAreRefusedWithTheColumnList() {
    try (TabletFixture f = table(root, 9).build()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.put("k", 1));
      assertTrue(e.getMessage().contains("[k, v, ts]"), e.getMessage());
    }
  }
}
