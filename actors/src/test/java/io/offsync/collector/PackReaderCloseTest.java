package io.offsync.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.partition.PartitionReader;
import io.offsync.protocol.position.Position;
import io.offsync.testkit.TabletFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Closing a stream's reader while a read is in flight, as a cancelled stream or a stopping collector does: the
 * close waits for the read (closing the RocksDB snapshot under a running iterator used to crash the JVM with a
 * SIGSEGV in {@code RocksIterator.value0}), and a read after close fails cleanly.
 */
class PackReaderCloseTest {

  @TempDir static Path work;
  private static TabletFixture fixture;

  @BeforeAll
  static void table() {
    fixture = TabletFixture.builder(work.resolve("tablets")).db("db1").table("close_race").tid(41).partitions(1)
        .column("id", Type.DataType.kBigInt)
        .column("user", Type.DataType.kString)
        .column("ts", Type.DataType.kTimestamp)
        .index("by_user", "ts", "user")
        .build();
    for (long id = 0; id < 20_000; id++) {
      fixture.putAt(1_700_000_000_000L + id, id, "user_" + (id % 997), 1_700_000_000_000L + id);
    }
    fixture.flush();
    fixture.snapshot(0);
  }

  @AfterAll
  static void close() {
    fixture.close();
  }

  private PackReader open(int attempt) throws IOException {
    PartitionLinks links = new PartitionLinks(Files.createDirectories(work.resolve("datadir-" + attempt)), 41, 0,
        fixture.partitionDir(0), HardLinker.FILES);
    PartitionReader reader = PartitionReader.open(fixture.snapshotDir(0), fixture.binlogDir(0),
        fixture.tableInfo(), 0, 0, Position.start(), System.currentTimeMillis());
    return new PackReader(reader, links, 512, Position.start(), null);
  }

  @Test
  void closeDuringReadsWaitsForTheReadInFlight() throws Exception {
    for (int attempt = 0; attempt < 40; attempt++) {
      PackReader packs = open(attempt);
      AtomicLong rows = new AtomicLong();
      AtomicReference<Throwable> ended = new AtomicReference<>();
      Thread reading = new Thread(() -> {
        try {
          while (!(packs.next() instanceof PackReader.Step.End)) {
            rows.incrementAndGet();
          }
        } catch (Throwable t) {
          ended.set(t);
        }
      });
      reading.start();
      Thread.sleep(ThreadLocalRandom.current().nextInt(0, 4));
      packs.close();
      reading.join(60_000);
      Throwable t = ended.get();
      assertTrue(t == null || (t instanceof IOException && t.getMessage().contains("closed")),
          "a read racing the close either finished or failed cleanly: " + t);
      assertThrows(IOException.class, packs::next);
      packs.close();
    }
  }

  @Test
  void readsEveryRowWhenNotClosed() throws Exception {
    try (PackReader packs = open(1000)) {
      long rows = 0;
      for (PackReader.Step step = packs.next(); !(step instanceof PackReader.Step.End); step = packs.next()) {
        rows += ((PackReader.Step.Pack) step).rows();
      }
      assertEquals(20_000, rows);
    }
  }
}
