package io.offsync.collector.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.offsync.collector.Collector;
import io.offsync.collector.CollectorDirectory;
import io.offsync.collector.HardLinker;
import io.offsync.collector.RowPack;
import io.offsync.protocol.log.LogReader;
import io.offsync.protocol.log.LogRecord;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import io.offsync.protocol.position.SnapshotPosition;
import io.offsync.testkit.PrometheusPage;
import java.io.RandomAccessFile;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.curator.test.TestingServer;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streams of real tablet partitions (testkit fixture: RocksDB checkpoint + binlog files) through a collector node
 * (real ZooKeeper, Pekko cluster on 127.0.0.1) to a client node, over a SourceRef.
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CollectorStreamTest {

  static final int PACK = 4096;
  static final String MACHINE = "machine-1";
  static final String OTHER_MACHINE = "machine-2";

  @TempDir static Path tmp;
  TestingServer zk;
  CollectorNode collector;
  CollectorNode crossDevice;
  ActorSystem<Void> client;
  Tablet tablet;
  Tablet bigRows;
  Tablet corrupt;
  Tablet otherMachine;

  @BeforeAll
  void start() throws Exception {
    zk = new TestingServer(true);
    Path root = Files.createDirectories(tmp.resolve("hdd"));
    Path otherRoot = Files.createDirectories(tmp.resolve("hdd-2"));
    tablet = Tablet.create(root, 11, 2, 300, 40);
    bigRows = Tablet.create(root, 12, 1, 0, 0);
    corrupt = Tablet.create(root, 13, 1, 0, 60);
    otherMachine = Tablet.create(otherRoot, 14, 1, 50, 5);
    collector = TestNodes.collector(zk.getConnectString(), MACHINE, tmp.resolve("datadir"), root, PACK, null,
        HardLinker.FILES);
    HardLinker exdev = (link, existing) -> {
      throw new FileSystemException(existing.toString(), link.toString(), "Invalid cross-device link");
    };
    crossDevice = TestNodes.collector(zk.getConnectString(), OTHER_MACHINE, tmp.resolve("datadir-2"), otherRoot,
        PACK, TestNodes.seedOf(collector), exdev);
    client = TestNodes.client(collector);
    TestNodes.awaitUp(client, 3);
    TestNodes.awaitUp(collector.system(), 3);
  }

  @AfterAll
  void stop() throws Exception {
    if (client != null) {
      client.terminate();
      client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    for (CollectorNode n : new CollectorNode[] {crossDevice, collector}) {
      if (n != null) {
        n.close();
      }
    }
    for (Tablet t : new Tablet[] {tablet, bigRows, corrupt, otherMachine}) {
      if (t != null) {
        t.close();
      }
    }
    if (zk != null) {
      zk.close();
    }
  }

  private List<RowPack> readAll(Tablet t, int pid, int mode, Position from, String subtask) throws Exception {
    SourceRef<RowPack> ref = TestNodes.open(client, MACHINE, t.tid(), pid, mode, 0, from, t.tableInfoBytes(),
        subtask).toCompletableFuture().get(30, TimeUnit.SECONDS);
    return ref.getSource().runWith(Sink.seq(), client).toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static List<String> hex(List<byte[]> rows) {
    return rows.stream().map(r -> HexFormat.of().formatHex(r)).toList();
  }

  private static List<String> sorted(List<String> rows) {
    return rows.stream().sorted().toList();
  }

  @Test
  void modeZeroStreamsTheSnapshotThenTheBinlogThenCompletes() throws Exception {
    assertTrue(CollectorDirectory.hasLiveCollector(client, MACHINE));
    List<RowPack> packs = readAll(tablet, 0, 0, Position.start(), "full-0");
    List<byte[]> rows = TestNodes.rows(packs, PACK);
    assertEquals(tablet.expectedRows(0), sorted(tablet.decode(rows)));
    assertTrue(packs.size() >= 4, "the pack limit splits the stream: " + packs.size() + " packs");
    boolean inBinlog = false;
    int snapshotRows = 0;
    for (RowPack p : packs) {
      if (p.next() instanceof BinlogPosition) {
        if (!inBinlog) {
          snapshotRows += TestNodes.rows(List.of(p), PACK).size();
        }
        inBinlog = true;
      } else {
        assertFalse(inBinlog, "no snapshot position after the hand-over");
        assertInstanceOf(SnapshotPosition.class, p.next());
        snapshotRows += TestNodes.rows(List.of(p), PACK).size();
      }
    }
    assertEquals(tablet.snapshotRowCount(0), snapshotRows, "the hand-over pack closes the snapshot rows");
    assertEquals(new BinlogPosition(tablet.lastLogIndex(0) + 1), packs.get(packs.size() - 1).next());
  }

  @Test
  void reopeningAtAnyPositionYieldsTheRemainderWithoutGapOrRepeat() throws Exception {
    List<RowPack> packs = readAll(tablet, 1, 0, Position.start(), "resume-1");
    List<String> all = hex(TestNodes.rows(packs, PACK));
    assertEquals(tablet.expectedRows(1), sorted(tablet.decode(TestNodes.rows(packs, PACK))));
    int checkedSnapshot = 0;
    int checkedBinlog = 0;
    for (int i = 0; i < packs.size() - 1; i += Math.max(1, packs.size() / 7)) {
      Position at = packs.get(i).next();
      if (at == null) {
        continue;
      }
      int done = TestNodes.rows(packs.subList(0, i + 1), PACK).size();
      List<String> rest = hex(TestNodes.rows(readAll(tablet, 1, 0, at, "resume-1"), PACK));
      assertEquals(all.subList(done, all.size()), rest, "reopened at " + at);
      if (at instanceof SnapshotPosition) {
        checkedSnapshot++;
      } else {
        checkedBinlog++;
      }
    }
    assertTrue(checkedSnapshot >= 2 && checkedBinlog >= 1,
        "positions checked: snapshot " + checkedSnapshot + ", binlog " + checkedBinlog);
  }

  @Test
  void continuousModeSeesAppendsAcrossRollAndPurge() throws Exception {
    Tablet t = Tablet.create(tmp.resolve("hdd"), 15, 1, 30, 10);
    try {
      SourceRef<RowPack> ref = TestNodes.open(client, MACHINE, t.tid(), 0, 2, 0, Position.start(),
          t.tableInfoBytes(), "tail-15").toCompletableFuture().get(30, TimeUnit.SECONDS);
      ConcurrentLinkedQueue<RowPack> got = new ConcurrentLinkedQueue<>();
      UniqueKillSwitch kill = ref.getSource().viaMat(KillSwitches.single(), Keep.right())
          .to(Sink.foreach(got::add)).run(client);
      List<String> expected = new ArrayList<>(t.expectedRows(0));
      awaitRows(t, got, expected);

      List<String> appended = t.put(25);
      long appendedAt = System.nanoTime();
      expected.addAll(appended);
      awaitRows(t, got, expected);
      long latencyMs = (System.nanoTime() - appendedAt) / 1_000_000;
      assertTrue(latencyMs < 2000, "append to pack took " + latencyMs + " ms");

      t.rollBinlog(0);
      expected.addAll(t.put(25));
      awaitRows(t, got, expected);

      t.snapshot(0);
      t.rollBinlog(0);
      expected.addAll(t.put(10));
      int purged = t.purgeBinlogs(0);
      assertTrue(purged > 0, "the tablet purged old binlog files");
      expected.addAll(t.put(25));
      awaitRows(t, got, expected);
      List<String> tail = t.decode(TestNodes.rows(new ArrayList<>(got), PACK));
      assertEquals(expected.subList(expected.size() - 85, expected.size()),
          tail.subList(tail.size() - 85, tail.size()), "appended rows arrive in binlog order");

      Path links = tmp.resolve("datadir").resolve("15-0").resolve("binlog");
      int linked = fileCount(links);
      assertTrue(linked >= 3, "purged files stay linked while the subtask may need them: " + linked);
      ClusterSharding.get(client).entityRefFor(Collector.TYPE_KEY, MACHINE)
          .tell(new Collector.Release(t.tid(), 0, "tail-15", new BinlogPosition(t.lastLogIndex(0) + 1)));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (fileCount(links) != 1 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(1, fileCount(links), "committed past them, the subtask releases the old binlog files");
      kill.shutdown();
    } finally {
      t.close();
    }
  }

  @Test
  void metricsCountRowsBytesOpensAndBinlogLagAndManagementAnswers() throws Exception {
    Tablet t = Tablet.create(tmp.resolve("hdd"), 17, 1, 20, 30);
    try {
      SourceRef<RowPack> ref = TestNodes.open(client, MACHINE, t.tid(), 0, 2, 0, Position.start(),
          t.tableInfoBytes(), "metrics-a").toCompletableFuture().get(30, TimeUnit.SECONDS);
      ConcurrentLinkedQueue<RowPack> got = new ConcurrentLinkedQueue<>();
      UniqueKillSwitch kill = ref.getSource().viaMat(KillSwitches.single(), Keep.right())
          .to(Sink.foreach(got::add)).run(client);
      List<String> expected = t.expectedRows(0);
      awaitRows(t, got, expected);
      Map<String, String> labels = Map.of("tid", "17", "pid", "0", "subtask", "metrics-a");
      PrometheusPage page = scrape();
      assertEquals("counter", page.type("offsync_collector_rows_sent_total"));
      assertEquals("counter", page.type("offsync_collector_bytes_sent_total"));
      assertEquals("counter", page.type("offsync_collector_stream_opens_total"));
      assertEquals("gauge", page.type("offsync_collector_binlog_lag_entries"));
      assertEquals("gauge", page.type("offsync_collector_binlog_last_index"));
      assertEquals("gauge", page.type("offsync_collector_open_streams"));
      assertEquals(expected.size(), page.value("offsync_collector_rows_sent_total", labels));
      long bytes = got.stream().mapToLong(p -> p.data().length).sum();
      assertEquals(bytes, page.value("offsync_collector_bytes_sent_total", labels));
      assertEquals(1, page.value("offsync_collector_stream_opens_total", labels));
      assertEquals(0, page.value("offsync_collector_binlog_lag_entries", labels), "caught up");
      assertEquals(t.lastLogIndex(0), page.value("offsync_collector_binlog_last_index",
          Map.of("tid", "17", "pid", "0")));
      assertEquals(page.samples("offsync_collector_rows_sent_total").size(),
          page.value("offsync_collector_open_streams", Map.of()), "one series per open stream");
      assertTrue(page.samples("jvm_memory_used_bytes", Map.of("area", "heap")).stream()
          .anyMatch(m -> m.value() > 0), "JVM heap meters");
      assertEquals("gauge", page.type("jvm_threads_live_threads"));
      assertTrue(page.value("jvm_threads_live_threads", Map.of()) > 0);
      assertEquals("counter", page.type("jvm_gc_memory_allocated_bytes_total"), "JVM GC meters");
      kill.shutdown();
      awaitPage(p -> !p.has("offsync_collector_rows_sent_total", labels), "the closed stream's series go");
      page = scrape();
      assertFalse(page.has("offsync_collector_binlog_lag_entries", labels));
      assertFalse(page.has("offsync_collector_stream_opens_total", labels));

      t.put(3000);
      long last = t.lastLogIndex(0);
      SourceRef<RowPack> unread = TestNodes.open(client, MACHINE, t.tid(), 0, 2, 0, new BinlogPosition(last - 2999),
          t.tableInfoBytes(), "metrics-a").toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertNotNull(unread);
      page = awaitPage(p -> p.has("offsync_collector_stream_opens_total", labels), "the reopened stream's series");
      assertEquals(2, page.value("offsync_collector_stream_opens_total", labels), "reopened");
      // the stream reads ahead of its consumer by its buffers, not 3000 entries: the lag is the unread rest
      // the reader fills its buffers meanwhile: read both pages until they describe the same, settled position
      String status;
      long next;
      long lag;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      do {
        status = http(collector.httpPort(), "/status", 200);
        page = scrape();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("metrics-a\\s+binlog\\((\\d+)\\)")
            .matcher(status);
        assertTrue(m.find(), status);
        next = Long.parseLong(m.group(1));
        lag = (long) page.value("offsync_collector_binlog_lag_entries", labels);
        if (lag != last + 1 - next) {
          Thread.sleep(50);
        }
      } while (lag != last + 1 - next && System.nanoTime() < deadline);
      assertEquals(last + 1 - next, lag, "lag = last log index + 1 - next position: " + status);
      assertTrue(lag > 0 && lag <= 3000, "entries not yet read: " + lag);
      assertEquals(3000 - lag, page.value("offsync_collector_rows_sent_total", labels));
      assertEquals(last, page.value("offsync_collector_binlog_last_index", Map.of("tid", "17", "pid", "0")));

      assertEquals("OK", http(collector.managementPort(), "/alive", 200).strip());
      assertTrue(http(collector.managementPort(), "/ready", 500).contains("no synctool in the cluster"),
          "a collector in a cluster without a synctool is not ready");
      assertTrue(http(collector.managementPort(), "/cluster/members", 200)
          .contains(collector.system().address().toString()));
    } finally {
      t.close();
    }
  }

  private static String http(int port, String path, int status) throws Exception {
    var response = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + path)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(status, response.statusCode(), path + ": " + response.body());
    return response.body();
  }

  private PrometheusPage scrape() throws Exception {
    return PrometheusPage.scrape(collector.httpPort());
  }

  private PrometheusPage awaitPage(java.util.function.Predicate<PrometheusPage> ok, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    PrometheusPage page = scrape();
    while (!ok.test(page) && System.nanoTime() < deadline) {
      Thread.sleep(20);
      page = scrape();
    }
    assertTrue(ok.test(page), "timed out waiting for " + what);
    return page;
  }

  @Test
  void aCaughtUpQuietStreamSendsHeartbeatsCarryingNothing() throws Exception {
    SourceRef<RowPack> ref = TestNodes.open(client, MACHINE, tablet.tid(), 1, 2, 0, Position.start(),
        tablet.tableInfoBytes(), "heartbeat-11").toCompletableFuture().get(30, TimeUnit.SECONDS);
    ConcurrentLinkedQueue<RowPack> got = new ConcurrentLinkedQueue<>();
    UniqueKillSwitch kill = ref.getSource().viaMat(KillSwitches.single(), Keep.right())
        .to(Sink.foreach(got::add)).run(client);
    List<String> expected = tablet.expectedRows(1);
    awaitRows(tablet, got, expected);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (got.stream().filter(RowPack::isHeartbeat).count() < 2 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    kill.shutdown();
    List<RowPack> all = new ArrayList<>(got);
    int first = 0;
    while (first < all.size() && !all.get(first).isHeartbeat()) {
      first++;
    }
    assertTrue(all.size() - first >= 2, "a caught-up, quiet stream sends heartbeats: " + all);
    assertTrue(all.subList(first, all.size()).stream().allMatch(RowPack::isHeartbeat),
        "nothing but heartbeats once caught up with a quiet binlog");
    assertTrue(all.subList(first, all.size()).stream().allMatch(p -> p.data().length == 0 && p.next() == null));
    assertEquals(sorted(expected), sorted(tablet.decode(TestNodes.rows(all, PACK))), "heartbeats carry no rows");
  }

  @Test
  void modeOneSkipsRowsOlderThanTheStartTimestamp() throws Exception {
    long startTs = Tablet.tsOfRow(150);
    List<String> expected = tablet.expectedRows(0, 1, startTs);
    assertTrue(expected.size() < tablet.expectedRows(0).size(), "the filter drops snapshot rows");
    SourceRef<RowPack> ref = TestNodes.open(client, MACHINE, tablet.tid(), 0, 1, startTs, Position.start(),
        tablet.tableInfoBytes(), "ts-11").toCompletableFuture().get(30, TimeUnit.SECONDS);
    ConcurrentLinkedQueue<RowPack> got = new ConcurrentLinkedQueue<>();
    UniqueKillSwitch kill = ref.getSource().viaMat(KillSwitches.single(), Keep.right())
        .to(Sink.foreach(got::add)).run(client);
    awaitRows(tablet, got, expected);
    Thread.sleep(300);
    assertEquals(expected, sorted(tablet.decode(TestNodes.rows(new ArrayList<>(got), PACK))),
        "mode 1 tails: nothing more arrives and the stream stays open");
    kill.shutdown();
  }

  private static void awaitRows(Tablet t, ConcurrentLinkedQueue<RowPack> got, List<String> expected)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    List<String> rows = List.of();
    while (System.nanoTime() < deadline) {
      rows = t.decode(TestNodes.rows(new ArrayList<>(got), PACK));
      if (rows.size() >= expected.size()) {
        break;
      }
      Thread.sleep(5);
    }
    assertEquals(sorted(expected), sorted(rows));
  }

  @Test
  void linksAreReleasedOnceNoSubtaskCanNeedThem() throws Exception {
    Tablet t = Tablet.create(tmp.resolve("hdd"), 16, 1, 40, 10);
    try {
      Path partition = tmp.resolve("datadir").resolve("16-0");
      List<RowPack> packs = readAll(t, 0, 0, Position.start(), "release-16");
      assertEquals(t.expectedRows(0), sorted(t.decode(TestNodes.rows(packs, PACK))));
      assertEquals(1, snapshotLinks(partition).size(), "the snapshot stays linked after the stream: "
          + "the subtask may resume in it");
      Position inBinlog = packs.get(packs.size() - 1).next();
      assertInstanceOf(BinlogPosition.class, inBinlog);
      assertEquals(List.of(), TestNodes.rows(readAll(t, 0, 0, inBinlog, "release-16"), PACK));
      assertEquals(List.of(), snapshotLinks(partition), "a stream opened past the snapshot releases it");
      assertTrue(Files.isDirectory(partition.resolve("binlog")));

      ClusterSharding.get(client).entityRefFor(Collector.TYPE_KEY, MACHINE)
          .tell(new Collector.Release(t.tid(), 0, "release-16", null));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (Files.exists(partition) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertFalse(Files.exists(partition), "a finished subtask's links are removed");
    } finally {
      t.close();
    }
  }

  private static int fileCount(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return (int) s.count();
    }
  }

  private static List<Path> snapshotLinks(Path partition) throws Exception {
    try (Stream<Path> s = Files.list(partition)) {
      return s.filter(p -> p.getFileName().toString().startsWith("snapshot-")).toList();
    }
  }

  @Test
  void rowsLargerThanAPackAreSplitAndReassembled() throws Exception {
    List<String> big = bigRows.putBig(PACK * 3 + 17, 100, PACK, PACK - 1, 9000, 10);
    List<RowPack> packs = readAll(bigRows, 0, 0, Position.start(), "big-12");
    assertEquals(big, bigRows.decode(TestNodes.rows(packs, PACK)));
    assertTrue(packs.stream().anyMatch(p -> p.next() == null), "a row larger than a pack travels in parts");
  }

  @Test
  void corruptBinlogRecordFailsTheStreamNamingFileAndOffset() throws Exception {
    corrupt.rollBinlog(0);
    corrupt.put(10);
    Path file;
    long offset;
    try (Stream<Path> files = Files.list(corrupt.binlogDir(0))) {
      file = files.filter(f -> f.toString().endsWith(".log")).sorted().findFirst().orElseThrow();
    }
    try (LogReader reader = new LogReader(file, 0, true)) {
      reader.readRecord();
      LogRecord second = reader.readRecord();
      offset = ((LogRecord.Full) second).offset();
    }
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(offset + 12);
      int b = raf.read();
      raf.seek(offset + 12);
      raf.write(b ^ 0x5a);
    }
    SourceRef<RowPack> ref = TestNodes.open(client, MACHINE, corrupt.tid(), 0, 0, 0, Position.start(),
        corrupt.tableInfoBytes(), "crc-13").toCompletableFuture().get(30, TimeUnit.SECONDS);
    List<RowPack> before = new ArrayList<>();
    ExecutionException e = assertThrowsExecution(() -> ref.getSource().runWith(Sink.foreach(before::add), client)
        .toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertTrue(TestNodes.rows(before, PACK).size() <= 1, "no row after the corrupt record is sent");
    String msg = e.getCause().getMessage();
    assertTrue(msg.contains(file.getFileName().toString()), msg);
    assertTrue(msg.contains(String.valueOf(offset)), msg);
    assertTrue(msg.toLowerCase().contains("crc"), msg);
  }

  @Test
  void missingPartitionIsRefused() throws Exception {
    ExecutionException e = assertThrowsExecution(() -> readAll(tablet, 7, 0, Position.start(), "missing"));
    String msg = e.getCause().getMessage();
    assertTrue(msg.contains("11_7") && msg.contains("not found under"), msg);
  }

  @Test
  void memoryTableIsRefused() throws Exception {
    byte[] memory = tablet.tableInfo().toBuilder().setStorageMode(Common.StorageMode.kMemory).build()
        .toByteArray();
    ExecutionException e = assertThrowsExecution(() -> TestNodes.open(client, MACHINE, tablet.tid(), 0, 0, 0,
        Position.start(), memory, "memory").toCompletableFuture().get(30, TimeUnit.SECONDS));
    String msg = e.getCause().getMessage();
    assertTrue(msg.contains("memory table"), msg);
  }

  @Test
  void crossDeviceDatadirIsRefusedNamingBothPaths() throws Exception {
    ExecutionException e = assertThrowsExecution(() -> TestNodes.open(client, OTHER_MACHINE, otherMachine.tid(), 0,
        0, 0, Position.start(), otherMachine.tableInfoBytes(), "exdev").toCompletableFuture()
        .get(30, TimeUnit.SECONDS));
    String msg = e.getCause().getMessage();
    assertTrue(msg.contains("collector_datadir must be on the same filesystem as " + tmp.resolve("hdd-2")), msg);
    assertTrue(msg.contains(tmp.resolve("datadir-2").toString()), msg);
  }

  @Test
  void machineWithoutCollectorIsRefusedClearly() {
    assertFalse(CollectorDirectory.hasLiveCollector(client, "machine-9"));
    assertTrue(CollectorDirectory.refusal("machine-9").contains("no live collector on host machine-9"));
  }

  interface Call {
    Object run() throws Exception;
  }

  private static ExecutionException assertThrowsExecution(Call call) {
    try {
      Object r = call.run();
      fail("expected a failure, got " + r);
      return null;
    } catch (ExecutionException e) {
      assertNotNull(e.getCause().getMessage());
      return e;
    } catch (CompletionException e) {
      return new ExecutionException(e.getCause());
    } catch (Exception e) {
      throw new AssertionError("expected an ExecutionException", e);
    }
  }
}
