package io.offsync.collector.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.collector.Collector;
import io.offsync.collector.HardLinker;
import io.offsync.collector.RowPack;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.curator.test.TestingServer;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9 at the collector: a stream resumed at a position inside a snapshot's overlap with the binlog compares
 * against the same checkpoint, which the collector keeps hard-linked (also after the tablet replaced its snapshot,
 * and across a {@code Release} of a subtask whose stream is closed), and releases once the position is past it.
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CollectorOverlapTest {

  static final int PACK = 512;
  static final String MACHINE = "machine-ov";

  @TempDir static Path tmp;
  TestingServer zk;
  CollectorNode collector;
  ActorSystem<Void> client;

  @BeforeAll
  void start() throws Exception {
    zk = new TestingServer(true);
    collector = TestNodes.collector(zk.getConnectString(), MACHINE, tmp.resolve("datadir"),
        Files.createDirectories(tmp.resolve("hdd")), PACK, null, HardLinker.FILES);
    client = TestNodes.client(collector);
    TestNodes.awaitUp(client, 2);
  }

  @AfterAll
  void stop() throws Exception {
    if (client != null) {
      client.terminate();
      client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    if (collector != null) {
      collector.close();
    }
    if (zk != null) {
      zk.close();
    }
  }

  private List<RowPack> readAll(Tablet t, Position from, String subtask) throws Exception {
    SourceRef<RowPack> ref = TestNodes.open(client, MACHINE, t.tid(), 0, 0, 0, from, t.tableInfoBytes(), subtask)
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    return ref.getSource().runWith(Sink.seq(), client).toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static List<String> snapshotLinks(Path partition) throws Exception {
    try (Stream<Path> s = Files.list(partition)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("snapshot-")).sorted().toList();
    }
  }

  private void release(Tablet t, String subtask, Position upTo) {
    ClusterSharding.get(client).entityRefFor(Collector.TYPE_KEY, MACHINE)
        .tell(new Collector.Release(t.tid(), 0, subtask, upTo));
  }

  @Test
  void aReadResumedInsideTheOverlapUsesTheKeptCheckpoint() throws Exception {
    Tablet t = Tablet.create(tmp.resolve("hdd"), 41, 1, 0, 0);
    try {
      t.put(200);
      t.delete("k3");
      t.put(30);
      t.snapshot(0, 60); // the checkpoint holds 60 entries past its offset, a delete among them
      t.put(80);
      Path partition = tmp.resolve("datadir").resolve("41-0");
      List<RowPack> packs = readAll(t, Position.start(), "ov-41");
      List<String> all = t.decode(TestNodes.rows(packs, PACK));
      assertEquals(t.expectedRows(0), all.stream().sorted().toList(), "every row once");
      String linked = snapshotLinks(partition).get(0);

      List<String> expected = new java.util.ArrayList<>(t.expectedRows(0));
      int checked = 0;
      List<Integer> inside = new java.util.ArrayList<>();
      for (int i = 0; i < packs.size(); i++) {
        if (packs.get(i).next() instanceof BinlogPosition b && b.inOverlap()) {
          inside.add(i);
        }
      }
      assertTrue(inside.size() >= 3, "positions inside the overlap: " + inside.size());
      for (int i : List.of(inside.get(0), inside.get(1), inside.get(inside.size() - 1))) {
        BinlogPosition b = (BinlogPosition) packs.get(i).next();
        // the subtask journaled this position while its stream is closed; the tablet replaces its snapshot
        release(t, "ov-41", b);
        if (checked == 0) {
          expected.addAll(t.put(5));
          t.snapshot(0);
        }
        List<String> before = t.decode(TestNodes.rows(packs.subList(0, i + 1), PACK));
        List<String> whole = new java.util.ArrayList<>(before);
        whole.addAll(t.decode(TestNodes.rows(readAll(t, b, "ov-41"), PACK)));
        assertTrue(snapshotLinks(partition).contains(linked), "the overlap's checkpoint stays linked");
        assertEquals(expected.stream().sorted().toList(), whole.stream().sorted().toList(),
            "every row once, resumed at " + b);
        checked++;
      }
      assertEquals(3, checked);

      Position past = packs.get(packs.size() - 1).next();
      assertFalse(((BinlogPosition) past).inOverlap(), "a mode-0 read ends with a plain position");
      release(t, "ov-41", past);
      readAll(t, past, "ov-41");
      assertFalse(snapshotLinks(partition).contains(linked), "past the overlap its checkpoint is released");
    } finally {
      t.close();
    }
  }
}
