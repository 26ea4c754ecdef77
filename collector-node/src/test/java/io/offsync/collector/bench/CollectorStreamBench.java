package io.offsync.collector.bench;

import io.offsync.collector.HardLinker;
import io.offsync.collector.RowPack;
import io.offsync.collector.node.CollectorNode;
import io.offsync.collector.node.Tablet;
import io.offsync.collector.node.TestNodes;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.curator.test.TestingServer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Throughput of one partition streamed through a collector node to a consumer on another node of the cluster
 * (Artery over 127.0.0.1, CBOR-serialized packs): mode 0 from the start, snapshot then binlog.
 *
 * <p>Not a test: run it with
 * {@code mvn -q -o test-compile exec:java -pl collector-node -Dexec.classpathScope=test
 * -Dexec.mainClass=io.offsync.collector.bench.CollectorStreamBench -Dexec.args="300000 100000 1048576"}
 * (arguments: snapshot rows, binlog rows, max_pack_size).
 */
public final class CollectorStreamBench {

  private CollectorStreamBench() {}

  public static void main(String[] args) throws Exception {
    int snapshotRows = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
    int binlogRows = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    int pack = args.length > 2 ? Integer.parseInt(args[2]) : 1 << 20;
    Path tmp = Files.createTempDirectory("collector-bench");
    try (TestingServer zk = new TestingServer(true)) {
      Path root = Files.createDirectories(tmp.resolve("hdd"));
      long t0 = System.nanoTime();
      Tablet tablet = Tablet.create(root, 1, 1, snapshotRows, binlogRows);
      System.out.printf(Locale.ROOT, "generated %d snapshot rows + %d binlog rows in %.1f s%n", snapshotRows,
          binlogRows, (System.nanoTime() - t0) / 1e9);
      CollectorNode collector = TestNodes.collector(zk.getConnectString(), "bench-machine", tmp.resolve("datadir"),
          root, pack, null, HardLinker.FILES);
      ActorSystem<Void> client = TestNodes.client(collector);
      TestNodes.awaitUp(client, 2);
      try {
        for (int run = 1; run <= 3; run++) {
          measure(run, client, tablet, pack);
        }
      } finally {
        client.terminate();
        client.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        collector.close();
        tablet.close();
      }
    } finally {
      try (Stream<Path> walk = Files.walk(tmp)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void measure(int run, ActorSystem<Void> client, Tablet tablet, int pack) throws Exception {
    AtomicLong rows = new AtomicLong();
    AtomicLong bytes = new AtomicLong();
    AtomicLong packs = new AtomicLong();
    AtomicLong handOverAt = new AtomicLong();
    AtomicLong snapshotRows = new AtomicLong();
    AtomicLong snapshotBytes = new AtomicLong();
    RowCounter counter = new RowCounter();
    long start = System.nanoTime();
    SourceRef<RowPack> ref = TestNodes.open(client, "bench-machine", tablet.tid(), 0, 0, 0, Position.start(),
        tablet.tableInfoBytes(), "bench-" + run).toCompletableFuture().get(60, TimeUnit.SECONDS);
    ref.getSource().runWith(Sink.foreach(p -> {
      packs.incrementAndGet();
      bytes.addAndGet(p.data().length);
      rows.addAndGet(counter.count(p));
      if (handOverAt.get() == 0 && p.next() instanceof BinlogPosition) {
        handOverAt.set(System.nanoTime());
        snapshotRows.set(rows.get());
        snapshotBytes.set(bytes.get());
      }
    }), client).toCompletableFuture().get(30, TimeUnit.MINUTES);
    long end = System.nanoTime();
    double total = (end - start) / 1e9;
    double snap = (handOverAt.get() - start) / 1e9;
    double bin = (end - handOverAt.get()) / 1e9;
    System.out.printf(Locale.ROOT,
        "run %d: %d rows, %.1f MB, %d packs of <= %d bytes in %.2f s: %.0f rows/s, %.1f MB/s"
            + " (snapshot %.0f rows/s %.1f MB/s; binlog %.0f rows/s %.1f MB/s)%n",
        run, rows.get(), bytes.get() / 1e6, packs.get(), pack, total, rows.get() / total, bytes.get() / 1e6 / total,
        snapshotRows.get() / snap, snapshotBytes.get() / 1e6 / snap, (rows.get() - snapshotRows.get()) / bin,
        (bytes.get() - snapshotBytes.get()) / 1e6 / bin);
  }

  /** Counts rows across packs by their size fields (a row larger than a pack spans several packs). */
  private static final class RowCounter {
    private long carry;

    long count(RowPack p) {
      byte[] b = p.data();
      long n = 0;
      long off = carry;
      while (off + 6 <= b.length) {
        int i = (int) off;
        int len = (b[i + 2] & 0xff) | (b[i + 3] & 0xff) << 8 | (b[i + 4] & 0xff) << 16 | (b[i + 5] & 0xff) << 24;
        n++;
        off += len;
      }
      carry = off - b.length;
      return n;
    }
  }
}
