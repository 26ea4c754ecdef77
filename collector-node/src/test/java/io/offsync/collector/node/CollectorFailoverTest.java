package io.offsync.collector.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.collector.CollectorDirectory;
import io.offsync.collector.CollectorRegistry;
import io.offsync.collector.HardLinker;
import io.offsync.collector.RowPack;
import io.offsync.protocol.position.Position;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two collector nodes on one machine: the oldest is active, the other a standby; when the active one leaves, the
 * machine's entity moves to the standby and a new stream opens there.
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CollectorFailoverTest {

  static final String MACHINE = "machine-f";

  @TempDir static Path tmp;
  TestingServer zk;
  CollectorNode active;
  CollectorNode standby;
  ActorSystem<Void> client;
  Tablet tablet;

  @BeforeAll
  void start() throws Exception {
    zk = new TestingServer(true);
    Path root = Files.createDirectories(tmp.resolve("hdd"));
    tablet = Tablet.create(root, 21, 1, 300, 50);
    active = TestNodes.collector(zk.getConnectString(), MACHINE, tmp.resolve("datadir"), root, 1024, null,
        HardLinker.FILES);
    client = TestNodes.client(active);
    TestNodes.awaitUp(client, 2);
    standby = TestNodes.collector(zk.getConnectString(), MACHINE, tmp.resolve("datadir"), root, 1024,
        TestNodes.seedOf(active), HardLinker.FILES);
    TestNodes.awaitUp(client, 3);
    TestNodes.awaitUp(active.system(), 3);
  }

  @AfterAll
  void stop() throws Exception {
    if (client != null) {
      client.terminate();
      client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    for (CollectorNode n : new CollectorNode[] {standby, active}) {
      if (n != null && !n.system().whenTerminated().isCompleted()) {
        n.close();
      }
    }
    if (tablet != null) {
      tablet.close();
    }
    if (zk != null) {
      zk.close();
    }
  }

  private static String status(CollectorNode node) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/status")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    return r.body();
  }

  @Test
  void standbyTakesOverWhenTheActiveCollectorLeaves() throws Exception {
    assertEquals(2, CollectorDirectory.liveCollectors(client, MACHINE).size());
    assertTrue(status(active).contains("state: active"), status(active));
    assertTrue(status(standby).contains("state: standby"), status(standby));

    CompletionStage<SourceRef<RowPack>> first = TestNodes.open(client, MACHINE, tablet.tid(), 0, 2, 0,
        Position.start(), tablet.tableInfoBytes(), "failover-21");
    SourceRef<RowPack> ref = first.toCompletableFuture().get(30, TimeUnit.SECONDS);
    var consumed = ref.getSource().runWith(Sink.seq(), client);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (CollectorRegistry.get(active.system()).streams().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(1, CollectorRegistry.get(active.system()).streams().size(), "the stream runs on the active node");
    String page = status(active);
    assertTrue(page.contains("streams: 1") && page.contains("failover-21"), page);

    active.close();
    ExecutionException failed = assertThrows(ExecutionException.class,
        () -> consumed.toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertTrue(failed.getCause().getMessage() != null);

    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (CollectorDirectory.liveCollectors(client, MACHINE).size() != 1 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(CollectorDirectory.hasLiveCollector(client, MACHINE));
    SourceRef<RowPack> again = TestNodes.open(client, MACHINE, tablet.tid(), 0, 0, 0, Position.start(),
        tablet.tableInfoBytes(), "failover-21").toCompletableFuture().get(60, TimeUnit.SECONDS);
    List<RowPack> packs = again.getSource().runWith(Sink.seq(), client).toCompletableFuture()
        .get(60, TimeUnit.SECONDS);
    assertEquals(tablet.expectedRows(0), tablet.decode(TestNodes.rows(packs, 1024)).stream().sorted().toList());
    assertTrue(CollectorRegistry.get(standby.system()).isActive(MACHINE), "the entity moved to the standby");
    assertTrue(status(standby).contains("state: active"), status(standby));
  }

  @Test
  void aDownedActiveCollectorIsReplacedWithoutHandOff() throws Exception {
    int before = liveMembers();
    CollectorNode first = TestNodes.collector(zk.getConnectString(), "machine-g", tmp.resolve("datadir-g"),
        tmp.resolve("hdd"), 1024, TestNodes.seedOf(standby), HardLinker.FILES);
    CollectorNode second = null;
    try {
      Tablet t = Tablet.create(tmp.resolve("hdd"), 22, 1, 100, 20);
      try {
        TestNodes.awaitUp(client, before + 1);
        List<RowPack> packs = readAll(t, "machine-g", "downed-22");
        assertEquals(t.expectedRows(0), t.decode(TestNodes.rows(packs, 1024)).stream().sorted().toList());
        assertTrue(CollectorRegistry.get(first.system()).isActive("machine-g"));
        second = TestNodes.collector(zk.getConnectString(), "machine-g", tmp.resolve("datadir-g"),
            tmp.resolve("hdd"), 1024, TestNodes.seedOf(standby), HardLinker.FILES);
        TestNodes.awaitUp(client, before + 2);
        TestNodes.awaitUp(second.system(), before + 2);

        // what the split-brain resolver does to a crashed node: down it; it leaves without handing off
        Cluster.get(client).manager().tell(new Down(first.system().address()));
        first.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        // a request sent before the cluster removed the dead node went to its region and is lost: ask again,
        // as a subtask does
        packs = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (packs == null) {
          try {
            SourceRef<RowPack> ref = TestNodes.open(client, "machine-g", t.tid(), 0, 0, 0, Position.start(),
                t.tableInfoBytes(), "downed-22", Duration.ofSeconds(3)).toCompletableFuture().get();
            packs = ref.getSource().runWith(Sink.seq(), client).toCompletableFuture().get(60, TimeUnit.SECONDS);
          } catch (ExecutionException e) {
            if (System.nanoTime() > deadline) {
              throw e;
            }
          }
        }
        assertEquals(t.expectedRows(0), t.decode(TestNodes.rows(packs, 1024)).stream().sorted().toList());
        assertTrue(CollectorRegistry.get(second.system()).isActive("machine-g"), "the second node took over");
      } finally {
        t.close();
      }
    } finally {
      if (second != null) {
        second.close();
      }
      if (!first.system().whenTerminated().isCompleted()) {
        first.close();
      }
    }
  }

  private int liveMembers() {
    int up = 0;
    for (var m : Cluster.get(client).state().getMembers()) {
      if (m.status() == MemberStatus.up()) {
        up++;
      }
    }
    return up;
  }

  private List<RowPack> readAll(Tablet t, String machine, String subtask) throws Exception {
    SourceRef<RowPack> ref = TestNodes.open(client, machine, t.tid(), 0, 0, 0, Position.start(),
        t.tableInfoBytes(), subtask).toCompletableFuture().get(60, TimeUnit.SECONDS);
    return ref.getSource().runWith(Sink.seq(), client).toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
