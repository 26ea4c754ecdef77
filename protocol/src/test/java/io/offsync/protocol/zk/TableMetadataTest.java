package io.offsync.protocol.zk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Type;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TableMetadataTest {

  static TestingServer zk;
  static CuratorFramework client;

  @BeforeAll
  static void start() throws Exception {
    zk = new TestingServer(true);
    client = CuratorFrameworkFactory.builder().connectString(zk.getConnectString())
        .retryPolicy(new ExponentialBackoffRetry(100, 3)).build();
    client.start();
    client.blockUntilConnected(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    client.close();
    zk.close();
  }

  static NS.TableInfo table(String db, String name, int tid, String... leaders) {
    NS.TableInfo.Builder b = NS.TableInfo.newBuilder().setDb(db).setName(name).setTid(tid)
        .setPartitionNum(leaders.length).setReplicaNum(2).setStorageMode(Common.StorageMode.kSSD)
        .setCompressType(Type.CompressType.kSnappy)
        .addColumnDesc(Common.ColumnDesc.newBuilder().setName("id").setDataType(Type.DataType.kBigInt))
        .addColumnDesc(Common.ColumnDesc.newBuilder().setName("ts").setDataType(Type.DataType.kTimestamp))
        .addColumnKey(Common.ColumnKey.newBuilder().setIndexName("idx0").addColName("id").setTsName("ts"));
    for (int pid = 0; pid < leaders.length; pid++) {
      b.addTablePartition(NS.TablePartition.newBuilder().setPid(pid)
          .addPartitionMeta(NS.PartitionMeta.newBuilder().setEndpoint("10.0.0.9:9527").setIsLeader(false))
          .addPartitionMeta(NS.PartitionMeta.newBuilder().setEndpoint(leaders[pid]).setIsLeader(true)));
    }
    return b.build();
  }

  static void put(String root, NS.TableInfo t) throws Exception {
    String path = new ZkLayout(root).tableInfo(t.getTid());
    if (client.checkExists().forPath(path) == null) {
      client.create().creatingParentsIfNeeded().forPath(path, t.toByteArray());
    } else {
      client.setData().forPath(path, t.toByteArray());
    }
  }

  @Test
  void layoutPaths() {
    ZkLayout l = new ZkLayout("/openmldb/");
    assertEquals("/openmldb/table/db_table_data/7", l.tableInfo(7));
    assertEquals("/openmldb/nodes/10.0.0.1:9527", l.node("10.0.0.1:9527"));
    assertEquals("/openmldb/sync_tool/collector/10.0.0.1:8888", l.collector("10.0.0.1:8888"));
    assertEquals("/table/db_table_data", new ZkLayout("/").tableData());
    assertThrows(IllegalArgumentException.class, () -> new ZkLayout("openmldb"));
  }

  @Test
  void findsTablesByNameAndTidAndSkipsGarbage() throws Exception {
    String root = "/find";
    put(root, table("db1", "t1", 3, "10.0.0.1:9527"));
    put(root, table("db2", "t1", 12, "10.0.0.2:9527", "10.0.0.3:9527"));
    client.create().creatingParentsIfNeeded().forPath(new ZkLayout(root).tableInfo(5), new byte[] {(byte) 0xff});
    TableMetadata meta = new TableMetadata(client, root);
    assertEquals(12, meta.find("db2", "t1").orElseThrow().getTid());
    assertEquals(3, meta.find("db1", "t1").orElseThrow().getTid());
    assertFalse(meta.find("db1", "nope").isPresent());
    assertEquals("db2", meta.byTid(12).orElseThrow().getDb());
    assertFalse(meta.byTid(99).isPresent());
    assertFalse(meta.byTid(5).isPresent());
    assertEquals(List.of(3, 12), meta.list().stream().map(NS.TableInfo::getTid).toList());
    assertEquals(List.of(), new TableMetadata(client, "/empty").list());
    NS.TableInfo t = meta.byTid(12).orElseThrow();
    assertEquals(Common.StorageMode.kSSD, t.getStorageMode());
    assertEquals(Type.CompressType.kSnappy, t.getCompressType());
    assertEquals(2, t.getColumnDescCount());
  }

  @Test
  void leaderAndHost() {
    NS.TableInfo t = table("db", "t", 1, "10.0.0.1:9527", "10.0.0.2:9528");
    assertEquals("10.0.0.2:9528", TableMetadata.leaderEndpoint(t, 1));
    assertEquals("10.0.0.2", TableMetadata.host(TableMetadata.leaderEndpoint(t, 1)));
    assertEquals("tablet-a", TableMetadata.host("tablet-a"));

    NS.TableInfo noLeader = t.toBuilder().setTablePartition(0, t.getTablePartition(0).toBuilder()
        .setPartitionMeta(1, t.getTablePartition(0).getPartitionMeta(1).toBuilder().setIsLeader(false))).build();
    ZkMetadataException e = assertThrows(ZkMetadataException.class, () -> TableMetadata.leaderEndpoint(noLeader, 0));
    assertTrue(e.getMessage().contains("no leader"), e.getMessage());

    NS.TableInfo twoLeaders = t.toBuilder().setTablePartition(0, t.getTablePartition(0).toBuilder()
        .setPartitionMeta(0, t.getTablePartition(0).getPartitionMeta(0).toBuilder().setIsLeader(true))).build();
    e = assertThrows(ZkMetadataException.class, () -> TableMetadata.leaderEndpoint(twoLeaders, 0));
    assertTrue(e.getMessage().contains("several leaders"), e.getMessage());

    e = assertThrows(ZkMetadataException.class, () -> TableMetadata.leaderEndpoint(t, 5));
    assertTrue(e.getMessage().contains("no partition 5"), e.getMessage());
  }

  @Test
  void listenersSeeLeaderMovesAlterAndDrop() throws Exception {
    String root = "/watch";
    NS.TableInfo t = table("db", "t", 4, "10.0.0.1:9527", "10.0.0.2:9527");
    put(root, t);
    BlockingQueue<NS.TableInfo> seen = new LinkedBlockingQueue<>();
    BlockingQueue<Integer> dropped = new LinkedBlockingQueue<>();
    try (TableMetadata meta = new TableMetadata(client, root)) {
      meta.addListener(seen::add);
      meta.addDropListener(dropped::add);
      assertEquals(t, seen.poll(10, TimeUnit.SECONDS), "initial state is delivered");

      NS.TableInfo moved = t.toBuilder().setTablePartition(1, NS.TablePartition.newBuilder().setPid(1)
          .addPartitionMeta(NS.PartitionMeta.newBuilder().setEndpoint("10.0.0.2:9527").setIsLeader(false))
          .addPartitionMeta(NS.PartitionMeta.newBuilder().setEndpoint("10.0.0.3:9527").setIsLeader(true)))
          .build();
      put(root, moved);
      NS.TableInfo got = seen.poll(10, TimeUnit.SECONDS);
      assertEquals("10.0.0.3:9527", TableMetadata.leaderEndpoint(got, 1));

      NS.TableInfo altered = moved.toBuilder()
          .addAddedColumnDesc(Common.ColumnDesc.newBuilder().setName("c3").setDataType(Type.DataType.kString))
          .addSchemaVersions(Common.VersionPair.newBuilder().setId(2).setFieldCount(3)).build();
      put(root, altered);
      assertEquals(altered, seen.poll(10, TimeUnit.SECONDS));

      NS.TableInfo other = table("db", "u", 9, "10.0.0.1:9527");
      put(root, other);
      assertEquals(other, seen.poll(10, TimeUnit.SECONDS));

      client.delete().forPath(new ZkLayout(root).tableInfo(9));
      assertEquals(9, dropped.poll(10, TimeUnit.SECONDS));
      assertTrue(seen.isEmpty(), "no spurious change events: " + seen);
    }
  }
}
