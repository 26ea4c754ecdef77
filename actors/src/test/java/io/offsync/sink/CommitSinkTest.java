package io.offsync.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.collector.RowPack;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import io.offsync.protocol.position.SnapshotPosition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The commit sink flow on the local file system: rolling, framing across packs, failure handling. */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CommitSinkTest {

  private static final RollPolicy NEVER = new RollPolicy(Long.MAX_VALUE, Duration.ofHours(1), Duration.ofHours(1));

  private ActorTestKit kit;
  private FileSystem fs;
  private java.nio.file.Path dir;

  @BeforeAll
  void start() throws IOException {
    kit = ActorTestKit.create("CommitSinkTest");
    dir = Files.createTempDirectory(Paths.get("target"), "sink-flow-");
    fs = FileSystem.get(dir.toAbsolutePath().toUri(), new Configuration());
  }

  @AfterAll
  void stop() throws IOException {
    kit.shutdownTestKit();
    fs.delete(new Path(dir.toAbsolutePath().toUri()), true);
  }

  private Path newDest() {
    return fs.makeQualified(new Path(dir.toAbsolutePath().toUri().toString(), "d-" + UUID.randomUUID()));
  }

  private List<RolledFile> run(List<RowPack> packs, Path dest, OutputFormat format, RollPolicy roll, long firstSeq)
      throws Exception {
    return Source.from(packs)
        .via(CommitSink.flow(fs, dest, Streams.TID, Streams.PID, Streams.schema(), format, roll, firstSeq))
        .runWith(Sink.seq(), kit.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private List<List<Object>> readCommitted(RolledFile f, OutputFormat format) throws IOException {
    assertEquals(CommitOps.Outcome.RENAMED, CommitOps.commit(fs, f));
    if (format == OutputFormat.PARQUET) {
      return ReadBack.parquet(fs, f.finalPath(), Fixtures.ALL_TYPES);
    }
    return null;
  }

  private static List<List<Object>> expectedRows(long from, long count) {
    List<List<Object>> rows = new ArrayList<>();
    for (long i = from; i < from + count; i++) {
      rows.add(Streams.expected(i));
    }
    return rows;
  }

  private static String expectedCsv(long from, long count) {
    StringBuilder sb = new StringBuilder();
    for (long i = from; i < from + count; i++) {
      sb.append(Fixtures.expectedCsvLine(Fixtures.ALL_TYPES, Streams.expectedArray(i)));
    }
    return sb.toString();
  }

  private int tmpFileCount(Path dest) throws IOException {
    Path tmp = FileNames.tmpDir(dest);
    return fs.exists(tmp) ? fs.listStatus(tmp).length : 0;
  }

  @Test
  void parquetFileHoldsBothSchemaVersionsAndRowsSpanningPacks() throws Exception {
    Path dest = newDest();
    List<RowPack> packs = Streams.packs(0, 1000, 997, Streams::binlog);
    assertTrue(packs.stream().anyMatch(p -> p.next() == null), "some packs end inside a row");
    List<RolledFile> files = run(packs, dest, OutputFormat.PARQUET, NEVER, 5);
    assertEquals(1, files.size());
    RolledFile f = files.get(0);
    assertEquals(5, f.seq());
    assertEquals(1000, f.rows());
    assertEquals(new BinlogPosition(1001), f.next());
    assertEquals(FileNames.tmpDir(fs.makeQualified(dest)), f.tmp().getParent());
    assertEquals(5, FileNames.seqOf(f.tmp().getName(), Streams.TID, Streams.PID).getAsLong());
    assertTrue(f.tmp().getName().startsWith(FileNames.name(Streams.TID, Streams.PID, 5, OutputFormat.PARQUET) + "."),
        f.tmp().getName());
    assertEquals(fs.getFileStatus(f.tmp()).getLen(), f.bytes());
    assertFalse(fs.exists(f.finalPath()), "the sink never renames");
    assertEquals(expectedRows(0, 1000), readCommitted(f, OutputFormat.PARQUET));
  }

  @Test
  void csvFileMatchesTheOriginalsLines() throws Exception {
    Path dest = newDest();
    List<RolledFile> files = run(Streams.packs(0, 500, 333, Streams::binlog), dest, OutputFormat.CSV, NEVER, 0);
    assertEquals(1, files.size());
    RolledFile f = files.get(0);
    assertEquals(FileNames.finalPath(dest, Streams.TID, Streams.PID, 0, OutputFormat.CSV), f.finalPath());
    readCommitted(f, OutputFormat.CSV);
    assertEquals(expectedCsv(0, 500), ReadBack.text(fs, f.finalPath()));
  }

  @Test
  void rollsBySizeAtRowBoundariesWithConsecutiveSeqs() throws Exception {
    Path dest = newDest();
    long maxBytes = 16 * 1024;
    List<RolledFile> files = run(Streams.wholeRowPacks(0, 3000, 20, Streams::binlog), dest, OutputFormat.CSV,
        NEVER.withMaxBytes(maxBytes), 10);
    assertTrue(files.size() >= 5, "files: " + files.size());
    long rowsBefore = 0;
    StringBuilder all = new StringBuilder();
    for (int k = 0; k < files.size(); k++) {
      RolledFile f = files.get(k);
      assertEquals(10 + k, f.seq());
      // the file holds exactly the rows between the previous file's position and its own
      assertEquals(rowsBefore + f.rows() + 1, ((BinlogPosition) f.next()).nextLogIndex());
      if (k < files.size() - 1) {
        assertTrue(f.bytes() >= maxBytes && f.bytes() < maxBytes + 20 * 300, "size " + f.bytes());
      }
      readCommitted(f, OutputFormat.CSV);
      all.append(ReadBack.text(fs, f.finalPath()));
      rowsBefore += f.rows();
    }
    assertEquals(3000, rowsBefore);
    assertEquals(expectedCsv(0, 3000), all.toString());
  }

  @Test
  void parquetRollsBySizeToo() throws Exception {
    Path dest = newDest();
    List<RolledFile> files = run(Streams.wholeRowPacks(0, 4000, 50, Streams::binlog), dest, OutputFormat.PARQUET,
        NEVER.withMaxBytes(64 * 1024), 0);
    assertTrue(files.size() >= 2, "files: " + files.size());
    List<List<Object>> all = new ArrayList<>();
    for (RolledFile f : files) {
      all.addAll(readCommitted(f, OutputFormat.PARQUET));
    }
    assertEquals(expectedRows(0, 4000), all);
  }

  @Test
  void rollsAtSnapshotToBinlogHandOver() throws Exception {
    Path dest = newDest();
    List<RowPack> packs = new ArrayList<>(
        Streams.packs(0, 100, 512, n -> new SnapshotPosition("snapshot_1", 99, new byte[] {(byte) n})));
    packs.add(new RowPack(new byte[0], new BinlogPosition(100)));
    packs.addAll(Streams.packs(100, 50, 512, n -> new BinlogPosition(n)));
    List<RolledFile> files = run(packs, dest, OutputFormat.PARQUET, NEVER, 0);
    assertEquals(2, files.size());
    assertEquals(100, files.get(0).rows());
    assertEquals(new BinlogPosition(100), files.get(0).next());
    assertEquals(50, files.get(1).rows());
    assertEquals(new BinlogPosition(150), files.get(1).next());
    assertEquals(expectedRows(0, 100), readCommitted(files.get(0), OutputFormat.PARQUET));
    assertEquals(expectedRows(100, 50), readCommitted(files.get(1), OutputFormat.PARQUET));
  }

  /** A resumed stream whose first pack ends the snapshot: the sink knows the phase from the start position. */
  @Test
  void rollsAtAHandOverInTheFirstPackGivenTheStartPosition() throws Exception {
    Path dest = newDest();
    List<RowPack> packs = new ArrayList<>(Streams.wholeRowPacks(0, 10, 10, n -> new BinlogPosition(100)));
    packs.addAll(Streams.wholeRowPacks(10, 20, 5, n -> new BinlogPosition(90 + n)));
    Position from = new SnapshotPosition("snapshot_1", 99, new byte[] {42});
    List<RolledFile> files = Source.from(packs)
        .via(CommitSink.flow(fs, dest, Streams.TID, Streams.PID, Streams.schema(), OutputFormat.CSV, NEVER, 3, from))
        .runWith(Sink.seq(), kit.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(List.of(10L, 20L), files.stream().map(RolledFile::rows).toList());
    assertEquals(List.of(3L, 4L), files.stream().map(RolledFile::seq).toList());
    assertEquals(new BinlogPosition(100), files.get(0).next());
    assertEquals(new BinlogPosition(120), files.get(1).next());
  }

  @Test
  void noRowsMeansNoFile() throws Exception {
    Path dest = newDest();
    List<RowPack> packs = List.of(new RowPack(new byte[0], new BinlogPosition(5)),
        new RowPack(new byte[0], new BinlogPosition(9)));
    assertEquals(List.of(), run(packs, dest, OutputFormat.PARQUET, NEVER, 0));
    assertEquals(0, tmpFileCount(dest));
  }

  @Test
  void positionOnlyPacksMoveTheFilesPosition() throws Exception {
    Path dest = newDest();
    List<RowPack> packs = new ArrayList<>(Streams.packs(0, 10, 10_000, Streams::binlog));
    packs.add(new RowPack(new byte[0], new BinlogPosition(40)));
    List<RolledFile> files = run(packs, dest, OutputFormat.CSV, NEVER, 0);
    assertEquals(1, files.size());
    assertEquals(new BinlogPosition(40), files.get(0).next());
    assertEquals(10, files.get(0).rows());
  }

  /** Offers packs one by one into a running sink; results arrive in a queue. */
  private final class Live {
    final BoundedSourceQueue<RowPack> in;
    final LinkedBlockingQueue<RolledFile> out = new LinkedBlockingQueue<>();
    final CompletionStage<Done> done;

    Live(Path dest, OutputFormat format, RollPolicy roll) {
      Pair<BoundedSourceQueue<RowPack>, CompletionStage<Done>> m = Source.<RowPack>queue(64)
          .via(CommitSink.flow(fs, dest, Streams.TID, Streams.PID, Streams.schema(), format, roll, 0))
          .toMat(Sink.foreach(out::add), org.apache.pekko.stream.javadsl.Keep.both()).run(kit.system());
      in = m.first();
      done = m.second();
    }

    void offer(List<RowPack> packs) {
      for (RowPack p : packs) {
        assertEquals(org.apache.pekko.stream.QueueOfferResult.enqueued(), in.offer(p));
      }
    }

    RolledFile next(Duration within) throws InterruptedException {
      return out.poll(within.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  @Test
  void rollsWhenIdleWithoutFurtherData() throws Exception {
    Path dest = newDest();
    Live live = new Live(dest, OutputFormat.CSV, NEVER.withIdle(Duration.ofMillis(300)));
    live.offer(Streams.packs(0, 20, 700, Streams::binlog));
    RolledFile first = live.next(Duration.ofSeconds(10));
    assertEquals(20, first.rows());
    assertEquals(0, first.seq());
    assertNull(live.next(Duration.ofMillis(600)), "no new file without new rows");
    live.offer(Streams.packs(20, 5, 700, Streams::binlog));
    RolledFile second = live.next(Duration.ofSeconds(10));
    assertEquals(1, second.seq());
    assertEquals(5, second.rows());
    assertEquals(new BinlogPosition(26), second.next());
    live.in.complete();
    live.done.toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertNull(live.out.poll());
    assertEquals(2, tmpFileCount(dest));
  }

  @Test
  void rollsByAgeWhileRowsKeepComing() throws Exception {
    Path dest = newDest();
    Live live = new Live(dest, OutputFormat.CSV, NEVER.withMaxAge(Duration.ofMillis(400)));
    long t0 = System.nanoTime();
    int row = 0;
    while (System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(1500)) {
      live.offer(Streams.packs(row, 2, 10_000, Streams::binlog));
      row += 2;
      Thread.sleep(40);
    }
    live.in.complete();
    live.done.toCompletableFuture().get(10, TimeUnit.SECONDS);
    List<RolledFile> files = new ArrayList<>(live.out);
    assertTrue(files.size() >= 3, "files " + files.size());
    assertEquals(row, files.stream().mapToLong(RolledFile::rows).sum());
  }

  @Test
  void aDueRollWaitsForARowBoundaryWithAPosition() throws Exception {
    Path dest = newDest();
    Live live = new Live(dest, OutputFormat.CSV, NEVER.withIdle(Duration.ofMillis(200)));
    byte[] two = concat(Streams.encoded(0), Streams.encoded(1));
    int cut = Streams.encoded(0).length + 10;
    live.offer(List.of(new RowPack(Arrays.copyOf(two, cut), null)));
    assertNull(live.next(Duration.ofMillis(700)), "row 0 is written but its position is unknown");
    live.offer(List.of(new RowPack(Arrays.copyOfRange(two, cut, two.length), new BinlogPosition(3))));
    RolledFile f = live.next(Duration.ofMillis(500));
    assertEquals(2, f.rows(), "the due roll happens with the first pack that has a position");
    live.in.complete();
    live.done.toCompletableFuture().get(10, TimeUnit.SECONDS);
    CommitOps.commit(fs, f);
    assertEquals(expectedCsv(0, 2), ReadBack.text(fs, f.finalPath()));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  @Test
  void upstreamFailureDeletesTheOpenTmpFile() throws Exception {
    Path dest = newDest();
    Live live = new Live(dest, OutputFormat.PARQUET, NEVER);
    live.offer(Streams.packs(0, 50, 400, Streams::binlog));
    awaitTmpFiles(dest, 1);
    live.in.fail(new IllegalStateException("collector gone"));
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> live.done.toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertEquals("collector gone", e.getCause().getMessage());
    assertEquals(0, tmpFileCount(dest));
    assertNull(live.out.poll());
  }

  @Test
  void cancellationDeletesTheOpenTmpFile() throws Exception {
    Path dest = newDest();
    List<RolledFile> got = Source.from(Streams.packs(0, 50, 400, Streams::binlog)).concat(Source.maybe())
        .via(CommitSink.flow(fs, dest, Streams.TID, Streams.PID, Streams.schema(), OutputFormat.CSV, NEVER, 0))
        .takeWithin(Duration.ofMillis(500))
        .runWith(Sink.seq(), kit.system()).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(List.of(), got);
    awaitTmpFiles(dest, 0);
  }

  @Test
  void aCorruptRowFailsTheStreamAndDeletesTheTmpFile() throws Exception {
    Path dest = newDest();
    List<RowPack> packs = new ArrayList<>(Streams.packs(0, 10, 10_000, Streams::binlog));
    byte[] bad = Streams.encoded(10);
    bad[2] = 2; // size field smaller than a header
    packs.add(new RowPack(bad, new BinlogPosition(12)));
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> run(packs, dest, OutputFormat.CSV, NEVER, 0));
    assertTrue(e.getCause().getMessage().contains("size field says 2 bytes"), e.getCause().getMessage());
    assertEquals(0, tmpFileCount(dest));
  }

  @Test
  void aStreamEndingInsideARowFails() throws Exception {
    Path dest = newDest();
    byte[] r = Streams.encoded(0);
    List<RowPack> packs = List.of(new RowPack(Arrays.copyOf(r, r.length - 1), null));
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> run(packs, dest, OutputFormat.CSV, NEVER, 0));
    assertTrue(e.getCause().getMessage().contains("ended inside a row"), e.getCause().getMessage());
    assertEquals(0, tmpFileCount(dest));
  }

  /** Downstream that takes no files: the sink stops pulling packs once a finished file waits. */
  @Test
  void backpressureStopsReadingWhileFinishedFilesWait() throws Exception {
    Path dest = newDest();
    java.util.concurrent.atomic.AtomicInteger pulled = new java.util.concurrent.atomic.AtomicInteger();
    var queue = Source.from(Streams.wholeRowPacks(0, 1000, 1, Streams::binlog))
        .map(p -> {
          pulled.incrementAndGet();
          return p;
        })
        .via(CommitSink.flow(fs, dest, Streams.TID, Streams.PID, Streams.schema(), OutputFormat.CSV,
            NEVER.withMaxBytes(1), 0))
        .runWith(Sink.queue(), kit.system());
    Thread.sleep(1500);
    int files = tmpFileCount(dest);
    assertTrue(pulled.get() < 100 && files < 100, "pulled " + pulled.get() + " packs, made " + files + " files");
    assertEquals(0L, queue.pull().toCompletableFuture().get(5, TimeUnit.SECONDS).orElseThrow().seq());
    queue.cancel();
  }

  private void awaitTmpFiles(Path dest, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (tmpFileCount(dest) != n) {
      assertTrue(System.nanoTime() < deadline, "expected " + n + " tmp files, have " + tmpFileCount(dest));
      Thread.sleep(20);
    }
  }
}
