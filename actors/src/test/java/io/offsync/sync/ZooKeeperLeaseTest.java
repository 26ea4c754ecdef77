package io.offsync.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.zk.ZkLayout;
import io.offsync.testkit.EmbeddedZooKeeper;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.coordination.lease.javadsl.Lease;
import org.apache.pekko.coordination.lease.javadsl.LeaseProvider;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link ZooKeeperLease} against a real ZooKeeper, loaded the way Pekko loads it (LeaseProvider, config path
 * {@code offsync.sync.lease}): two actor systems, each with its own ZooKeeper client and session, contend for
 * the same lease names. Covers contention, release, a holder's session expiring (lost callback, the other takes
 * the lease) and ZooKeeper going down (checkLease false, lost callback, acquire refused until it is back).
 */
@ExtendWith(LogCapturingExtension.class)
class ZooKeeperLeaseTest {

  private static final ZkLayout LAYOUT = new ZkLayout("/openmldb");
  private static final long WAIT_S = 30;

  private static ActorTestKit kitA;
  private static ActorTestKit kitB;
  private EmbeddedZooKeeper zk;
  private CuratorFramework clientA;
  private CuratorFramework clientB;

  @BeforeAll
  static void startSystems() {
    kitA = ActorTestKit.create("ZooKeeperLeaseTestA");
    kitB = ActorTestKit.create("ZooKeeperLeaseTestB");
  }

  @AfterAll
  static void stopSystems() {
    kitA.shutdownTestKit();
    kitB.shutdownTestKit();
  }

  @BeforeEach
  void startZooKeeper() {
    zk = EmbeddedZooKeeper.start();
    clientA = zk.newClient();
    clientB = zk.newClient();
    ZooKeeperLease.bind(kitA.system(), clientA, LAYOUT);
    ZooKeeperLease.bind(kitB.system(), clientB, LAYOUT);
  }

  @AfterEach
  void stopZooKeeper() {
    clientA.close();
    clientB.close();
    zk.close();
  }

  private static Lease lease(ActorTestKit kit, String name) {
    return LeaseProvider.get(kit.system()).getLease(name, SyncSettings.LEASE, kit.system().name() + ":2552");
  }

  private static boolean await(java.util.concurrent.CompletionStage<Boolean> stage) throws Exception {
    return stage.toCompletableFuture().get(WAIT_S, TimeUnit.SECONDS);
  }

  private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("never happened: " + what);
      }
      Thread.sleep(50);
    }
  }

  private boolean acquires(Lease lease) {
    try {
      return await(lease.acquire());
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void onlyOneOwnerHoldsALeaseAndAcquiringAgainIsIdempotent() throws Exception {
    Lease a = lease(kitA, "shard-TableTask-7");
    Lease b = lease(kitB, "shard-TableTask-7");
    assertTrue(await(a.acquire()));
    assertFalse(await(b.acquire()), "the other owner is refused while the lease is held");
    assertTrue(a.checkLease());
    assertFalse(b.checkLease());
    assertArrayEquals((kitA.system().name() + ":2552").getBytes(StandardCharsets.UTF_8),
        clientA.getData().forPath(LAYOUT.lease("shard-TableTask-7")), "the node holds the owner name");
    assertTrue(await(a.acquire()), "acquiring a lease already held is idempotent");
    assertTrue(a.checkLease());
  }

  @Test
  void releaseDeletesOnlyTheOwnersNode() throws Exception {
    // a name with slashes and a colon (as Pekko names singleton leases) is one znode all the same
    String name = "offsync-singleton-pekko://offsync/system/singletonManager/offsync-task-registry";
    Lease a = lease(kitA, name);
    Lease b = lease(kitB, name);
    assertTrue(await(a.acquire()));
    assertFalse(await(b.release()), "B does not hold it: nothing released");
    assertTrue(a.checkLease(), "B's release left A's lease alone");
    assertTrue(await(a.release()));
    assertFalse(a.checkLease());
    assertNull(clientA.checkExists().forPath(LAYOUT.lease(name)));
    assertTrue(await(b.acquire()));
    assertFalse(await(a.acquire()));
    assertFalse(await(a.release()));
    assertTrue(b.checkLease(), "A's release did not delete B's node");
  }

  @Test
  void anExpiredSessionLosesTheLeaseAndTheOtherOwnerTakesIt() throws Exception {
    Lease a = lease(kitA, "shard-TableTask-8");
    Lease b = lease(kitB, "shard-TableTask-8");
    CompletableFuture<Optional<Throwable>> lost = new CompletableFuture<>();
    assertTrue(await(a.acquire(lost::complete)));
    assertFalse(await(b.acquire()));

    expireSession(clientA);
    assertTrue(lost.get(WAIT_S, TimeUnit.SECONDS).isPresent(), "the lost callback names the reason");
    assertFalse(a.checkLease());
    eventually("B acquires the lease of A's expired session", () -> acquires(b));
    assertTrue(b.checkLease());
    eventually("A's client is connected again with a new session",
        () -> clientA.getZookeeperClient().isConnected());
    assertFalse(await(a.acquire()), "A's new session does not take B's lease");
  }

  @Test
  void withZooKeeperDownTheHolderLosesTheLeaseAndCannotAcquire() throws Exception {
    Lease a = lease(kitA, "shard-TableTask-9");
    CompletableFuture<Optional<Throwable>> lost = new CompletableFuture<>();
    assertTrue(await(a.acquire(lost::complete)));
    zk.stop();
    try {
      lost.get(WAIT_S, TimeUnit.SECONDS);
      assertFalse(a.checkLease());
      ExecutionException refused = assertThrows(ExecutionException.class,
          () -> await(a.acquire()));
      assertTrue(refused.getCause().getMessage().contains("ZooKeeper is not connected"), refused.toString());
    } finally {
      zk.restart();
    }
    // the session survived the short outage: the node is still this session's, so A holds the lease again
    eventually("A acquires again once ZooKeeper is back", () -> acquires(a));
    assertTrue(a.checkLease());
  }

  /** Ends the session of {@code client} on the server (a twin handle on the same session closes it). */
  private void expireSession(CuratorFramework client) throws Exception {
    ZooKeeper handle = client.getZookeeperClient().getZooKeeper();
    ZooKeeper twin = new ZooKeeper(zk.connectString(), 10_000, event -> {}, handle.getSessionId(),
        handle.getSessionPasswd());
    try {
      eventually("the twin handle connects", () -> twin.getState().isConnected());
    } finally {
      twin.close();
    }
  }
}
