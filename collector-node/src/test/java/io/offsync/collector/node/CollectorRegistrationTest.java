package io.offsync.collector.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CollectorRegistrationTest {

  private TestingServer zk;
  private CuratorFramework observer;

  @BeforeAll
  void start() throws Exception {
    zk = new TestingServer(true);
    observer = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100));
    observer.start();
    observer.blockUntilConnected();
  }

  @AfterAll
  void stop() throws Exception {
    observer.close();
    zk.close();
  }

  @Test
  void registersEphemeralNodeAndReRegistersAfterSessionLoss() throws Exception {
    String path = "/openmldb/sync_tool/collector/10.1.2.3:8888";
    try (CollectorRegistration reg = CollectorRegistration.start(zk.getConnectString(), "/openmldb",
        Duration.ofSeconds(5), "", "10.1.2.3:8888", Duration.ofSeconds(20))) {
      assertEquals(path, reg.path());
      Stat stat = observer.checkExists().forPath(path);
      assertNotEquals(0, stat.getEphemeralOwner(), "registration must be ephemeral");
      assertEquals("10.1.2.3:8888", new String(observer.getData().forPath(path), StandardCharsets.UTF_8));
      assertEquals(0, observer.checkExists().forPath("/openmldb/sync_tool/collector").getEphemeralOwner(),
          "parents are persistent");

      long session = stat.getEphemeralOwner();
      reg.client().getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      Stat again = null;
      while (System.nanoTime() < deadline) {
        again = observer.checkExists().forPath(path);
        if (again != null && again.getEphemeralOwner() != session) {
          break;
        }
        Thread.sleep(50);
      }
      assertTrue(again != null && again.getEphemeralOwner() != session,
          "node must be re-created by the new session");
    }
    assertNull(observer.checkExists().forPath(path), "close deregisters");
  }

  @Test
  void withZkCertTheNodeIsReadableOnlyWithTheCredentials() throws Exception {
    String path = "/secure/sync_tool/collector/10.1.2.4:8888";
    try (CollectorRegistration reg = CollectorRegistration.start(zk.getConnectString(), "/secure",
        Duration.ofSeconds(5), "sync:secret", "10.1.2.4:8888", Duration.ofSeconds(20))) {
      assertThrows(KeeperException.NoAuthException.class, () -> observer.getData().forPath(path));
      try (CuratorFramework authed = CuratorFrameworkFactory.builder().connectString(zk.getConnectString())
          .retryPolicy(new RetryOneTime(100)).authorization("digest", "sync:secret".getBytes(StandardCharsets.UTF_8))
          .build()) {
        authed.start();
        authed.blockUntilConnected();
        assertEquals("10.1.2.4:8888", new String(authed.getData().forPath(path), StandardCharsets.UTF_8));
      }
    }
  }
}
