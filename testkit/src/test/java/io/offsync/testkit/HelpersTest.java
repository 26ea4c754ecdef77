package io.offsync.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.Test;

class HelpersTest {

  @Test
  void embeddedZooKeeperServesEphemeralNodes() throws Exception {
    try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start()) {
      var other = zk.newClient();
      other.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL)
          .forPath("/x/nodes/a", "a".getBytes(StandardCharsets.UTF_8));
      assertArrayEquals("a".getBytes(StandardCharsets.UTF_8), zk.client().getData().forPath("/x/nodes/a"));
      other.close();
      long deadline = System.currentTimeMillis() + 10_000;
      while (zk.client().checkExists().forPath("/x/nodes/a") != null && System.currentTimeMillis() < deadline) {
        Thread.sleep(50);
      }
      assertEquals(null, zk.client().checkExists().forPath("/x/nodes/a"));

      zk.client().create().forPath("/x/kept", new byte[] {7});
      int port = zk.port();
      zk.stop();
      zk.restart();
      assertEquals(port, zk.port());
      assertArrayEquals(new byte[] {7}, zk.client().getData().forPath("/x/kept"), "data survives a restart");
    }
  }

  @Test
  void miniHdfsWritesSyncsRenamesAndReads() throws Exception {
    try (MiniHdfs hdfs = MiniHdfs.start()) {
      FileSystem fs = hdfs.fileSystem();
      assertEquals("hdfs", hdfs.uri().getScheme());
      Path tmp = new Path("/dest/_tmp/a.inprogress");
      try (FSDataOutputStream out = fs.create(tmp, true)) {
        out.write("hello".getBytes(StandardCharsets.UTF_8));
        out.hsync();
      }
      assertTrue(fs.rename(tmp, new Path("/dest/a")));
      byte[] buf = new byte[5];
      try (FSDataInputStream in = fs.open(new Path("/dest/a"))) {
        in.readFully(buf);
      }
      assertEquals("hello", new String(buf, StandardCharsets.UTF_8));
    }
  }

  @Test
  void localClusterJoinsNodesWithRoles() {
    try (LocalCluster cluster = LocalCluster.start("offsync-test",
        List.of(Set.of("synctool"), Set.of("collector"), Set.of("collector")))) {
      assertEquals(3, cluster.size());
      Cluster c0 = Cluster.get(cluster.system(0));
      assertEquals(3, c0.state().members().size());
      assertTrue(Cluster.get(cluster.system(1)).selfMember().hasRole("collector"));
      assertTrue(c0.selfMember().hasRole("synctool"));
      cluster.stop(2);
      long deadline = System.currentTimeMillis() + 20_000;
      while (c0.state().members().size() != 2 && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
      assertEquals(2, c0.state().members().size());
      assertEquals(MemberStatus.up(), Cluster.get(cluster.system(1)).selfMember().status());
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
