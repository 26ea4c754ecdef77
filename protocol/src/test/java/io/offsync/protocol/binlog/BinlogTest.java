package io.offsync.protocol.binlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.offsync.protocol.log.CorruptLogException;
import io.offsync.protocol.log.LogReader;
import io.offsync.protocol.log.LogRecord;
import io.offsync.protocol.log.LogWriter;
import io.offsync.protocol.openmldb.Tablet;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BinlogTest {

  @TempDir Path root;

  // --- directory view ---

  @Test
  void scanSortsFilesAndReadsTheirFirstIndex() throws IOException {
    Path dir = root.resolve("binlog");
    writeFiles(dir, 10, 10, 5);
    Files.writeString(dir.resolve("notes.txt"), "not a binlog");
    Files.writeString(dir.resolve("0001.log.bak"), "not a binlog");
    List<BinlogFile> files = BinlogFiles.scan(dir);
    assertEquals(List.of(
        new BinlogFile(dir.resolve("00000000.log"), 0, 1),
        new BinlogFile(dir.resolve("00000001.log"), 1, 11),
        new BinlogFile(dir.resolve("00000002.log"), 2, 21)), files);
    assertEquals("00000123.log", BinlogFiles.fileName(123));
  }

  @Test
  void everyFileButTheNewestEndsWithEof() throws IOException {
    Path dir = root.resolve("binlog");
    writeFiles(dir, 3, 3, 3);
    List<BinlogFile> files = BinlogFiles.scan(dir);
    for (int i = 0; i < files.size(); i++) {
      LogRecord last;
      try (LogReader reader = new LogReader(files.get(i).path())) {
        do {
          last = reader.readRecord();
        } while (last instanceof LogRecord.Full);
      }
      Class<? extends LogRecord> expected =
          i < files.size() - 1 ? LogRecord.EndOfFile.class : LogRecord.Incomplete.class;
      assertEquals(expected, last.getClass(), "end of file " + i);
    }
  }

  // --- positioning ---

  @Test
  void readsEverythingInOrderThenCatchesUp() throws IOException {
    Path dir = root.resolve("binlog");
    writeFiles(dir, 10, 10, 5);
    try (BinlogReader reader = BinlogReader.open(dir, 1, true)) {
      assertEquals(range(1, 25), readAvailable(reader));
      assertEquals(26, reader.nextLogIndex());
      assertSame(BinlogRead.CAUGHT_UP, reader.next());
    }
  }

  @Test
  void lastEntryOfANonFinalFileIsNotSkipped() throws IOException {
    Path dir = root.resolve("binlog");
    writeFiles(dir, 10, 10, 5);
    try (BinlogReader reader = BinlogReader.open(dir, 10, true)) {
      assertEquals(dir.resolve("00000000.log"), reader.currentFile());
      assertEquals(range(10, 25), readAvailable(reader));
    }
    try (BinlogReader reader = BinlogReader.open(dir, 20, true)) {
      assertEquals(dir.resolve("00000001.log"), reader.currentFile());
      assertEquals(range(20, 25), readAvailable(reader));
    }
  }

  @Test
  void opensAtEveryIndex() throws IOException {
    Path dir = root.resolve("binlog");
    writeFiles(dir, 1, 7, 4, 9);
    for (long n = 1; n <= 22; n++) {
      try (BinlogReader reader = BinlogReader.open(dir, n, true)) {
        assertEquals(range(n, 21), readAvailable(reader), "open at " + n);
      }
    }
  }

  @Test
  void indexBeyondTheEndWaitsForIt() throws IOException {
    Path dir = root.resolve("binlog");
    try (BinlogWriter writer = BinlogWriter.open(dir, 1); BinlogReader reader = BinlogReader.open(dir, 30, true)) {
      append(writer, 20);
      writer.flush();
      assertSame(BinlogRead.CAUGHT_UP, reader.next());
      assertEquals(30, reader.nextLogIndex());
      append(writer, 15);
      writer.flush();
      assertEquals(range(30, 35), readAvailable(reader));
    }
  }

  // --- following a live tablet ---

  @Test
  void followsNewEntriesAndNewFiles() throws IOException {
    Path dir = root.resolve("binlog");
    try (BinlogWriter writer = BinlogWriter.open(dir, 1); BinlogReader reader = BinlogReader.open(dir, 1, true)) {
      assertSame(BinlogRead.CAUGHT_UP, reader.next(), "empty newest file");
      append(writer, 5);
      assertSame(BinlogRead.CAUGHT_UP, reader.next(), "not flushed yet");
      writer.flush();
      assertEquals(range(1, 5), readAvailable(reader));
      writer.roll();
      assertSame(BinlogRead.CAUGHT_UP, reader.next(), "empty new file after the roll");
      append(writer, 3);
      writer.flush();
      assertEquals(range(6, 8), readAvailable(reader));
      assertEquals(dir.resolve("00000001.log"), reader.currentFile());
      for (int round = 0; round < 5; round++) {
        append(writer, 2);
        writer.roll();
        append(writer, 1);
        writer.flush();
      }
      assertEquals(range(9, 23), readAvailable(reader));
    }
  }

  @Test
  void finishedNewestFileWaitsForTheNextFile() throws IOException {
    Path dir = root.resolve("binlog");
    writeFiles(dir, 4);
    try (LogWriter log = LogWriter.open(dir.resolve("00000000.log"))) {
      log.addEof();
    }
    try (BinlogReader reader = BinlogReader.open(dir, 1, true)) {
      assertEquals(range(1, 4), readAvailable(reader));
      assertSame(BinlogRead.CAUGHT_UP, reader.next());
      try (LogWriter log = LogWriter.create(dir.resolve("00000001.log"))) {
        log.addRecord(entry(5).toByteArray());
      }
      assertEquals(range(5, 5), readAvailable(reader));
    }
  }

  @Test
  void tornTailOfACrashedTabletIsSkippedOnceANewerFileExists() throws IOException {
    Path dir = root.resolve("binlog");
    try (BinlogWriter writer = BinlogWriter.open(dir, 1)) {
      append(writer, 10);
    }
    Path first = dir.resolve("00000000.log");
    try (LogWriter log = LogWriter.open(first)) {
      log.addRecord(entry(11).toByteArray());
    }
    try (FileChannel channel = FileChannel.open(first, StandardOpenOption.WRITE)) {
      channel.truncate(channel.size() - 20);
    }
    try (BinlogReader reader = BinlogReader.open(dir, 1, true)) {
      assertEquals(range(1, 10), readAvailable(reader));
      assertSame(BinlogRead.CAUGHT_UP, reader.next(), "torn tail of the newest file: wait");
      try (BinlogWriter restarted = BinlogWriter.open(dir, 11)) {
        assertEquals(dir.resolve("00000001.log"), restarted.currentFile());
        append(restarted, 5);
      }
      assertEquals(range(11, 15), readAvailable(reader));
    }
    try (BinlogReader reader = BinlogReader.open(dir, 3, true)) {
      assertEquals(range(3, 15), readAvailable(reader));
    }
  }

  @Test
  void tabletRestartLeavesTheOldFileWithoutEof() throws IOException {
    Path dir = root.resolve("binlog");
    try (BinlogWriter writer = BinlogWriter.open(dir, 1)) {
      append(writer, 3);
    }
    try (BinlogWriter writer = BinlogWriter.open(dir, 4)) {
      append(writer, 3);
    }
    assertThrows(IllegalArgumentException.class, () -> BinlogWriter.open(dir, 4), "index inside the last file");
    try (BinlogReader reader = BinlogReader.open(dir, 1, true)) {
      assertEquals(range(1, 6), readAvailable(reader));
    }
  }

  @Test
  void emptyFileLeftByACrashIsReusedOrPassed() throws IOException {
    Path dir = root.resolve("binlog");
    try (BinlogWriter writer = BinlogWriter.open(dir, 1)) {
      append(writer, 3);
      writer.roll();
    }
    assertEquals(0, Files.size(dir.resolve("00000001.log")));
    try (BinlogReader reader = BinlogReader.open(dir, 1, true)) {
      assertEquals(range(1, 3), readAvailable(reader));
      try (BinlogWriter writer = BinlogWriter.open(dir, 4)) {
        assertEquals(dir.resolve("00000001.log"), writer.currentFile(), "the empty file is taken over");
        append(writer, 2);
      }
      assertEquals(range(4, 5), readAvailable(reader));
    }
  }

  @Test
  void skippingPeeksAtTheLogIndexOnly() {
    for (long i = 1; i < 300; i++) {
      assertEquals(i, BinlogFiles.peekLogIndex(entry(i).toByteArray()));
    }
    assertEquals(1L << 40, BinlogFiles.peekLogIndex(entry(1).toBuilder().setLogIndex(1L << 40).build().toByteArray()));
    assertEquals(-1, BinlogFiles.peekLogIndex(entry(5).toBuilder().clearLogIndex().build().toByteArray()));
    assertEquals(-1, BinlogFiles.peekLogIndex(new byte[] {(byte) 0xff, (byte) 0xff}));
    byte[] whole = entry(1L << 40).toBuilder().setLogIndex(1L << 40).build().toByteArray();
    for (int n = 0; n < whole.length; n++) { // a truncated entry gives its index if it is complete, or -1
      long peeked = BinlogFiles.peekLogIndex(java.util.Arrays.copyOf(whole, n));
      assertTrue(peeked == -1 || peeked == 1L << 40, "prefix of " + n + " bytes peeked " + peeked);
    }
  }

  @Test
  void entryWithoutLogIndexIsCorruptEvenWhileSkipping() throws IOException {
    Path dir = root.resolve("binlog");
    writeFiles(dir, 3);
    try (LogWriter log = LogWriter.open(dir.resolve("00000000.log"))) {
      log.addRecord(entry(4).toBuilder().clearLogIndex().build().toByteArray());
    }
    try (BinlogReader reader = BinlogReader.open(dir, 10, true)) {
      CorruptLogException e = assertThrows(CorruptLogException.class, reader::next);
      assertTrue(e.reason().startsWith("LogEntry without a valid log_index"), e.reason());
    }
  }

  // --- failures and edge cases ---

  @Test
  void purgedIndexIsAClearError() throws IOException {
    Path dir = root.resolve("binlog");
    writeFiles(dir, 10, 10, 5);
    List<BinlogFile> deleted = BinlogFiles.purgeBefore(dir, 15);
    assertEquals(List.of(0), deleted.stream().map(BinlogFile::fileIndex).toList());
    assertFalse(Files.exists(dir.resolve("00000000.log")));
    BinlogPurgedException e = assertThrows(BinlogPurgedException.class, () -> BinlogReader.open(dir, 5, true));
    assertTrue(e.getMessage().startsWith("binlog entries before 11 were purged by the tablet; log_index 5"),
        e.getMessage());
    assertEquals(5, e.requested());
    assertEquals(11, e.oldestAvailable());
    try (BinlogReader reader = BinlogReader.open(dir, 11, true)) {
      assertEquals(range(11, 25), readAvailable(reader));
    }
    assertEquals(List.of(1), BinlogFiles.purgeBefore(dir, 1000).stream().map(BinlogFile::fileIndex).toList(),
        "the newest file stays");
  }

  @Test
  void emptyDirectoryWaitsForTheFirstFile() throws IOException {
    Path dir = Files.createDirectories(root.resolve("binlog"));
    try (BinlogReader reader = BinlogReader.open(dir, 1, true)) {
      assertSame(BinlogRead.CAUGHT_UP, reader.next());
      assertNull(reader.currentFile());
      writeFiles(dir, 2, 2);
      assertEquals(range(1, 4), readAvailable(reader));
    }
  }

  @Test
  void filesAppearingAfterThePurgedIndexAreReported() throws IOException {
    Path dir = Files.createDirectories(root.resolve("binlog"));
    try (BinlogReader reader = BinlogReader.open(dir, 1, true)) {
      assertSame(BinlogRead.CAUGHT_UP, reader.next());
      try (BinlogWriter writer = BinlogWriter.open(dir, 500)) {
        append(writer, 1);
      }
      assertThrows(BinlogPurgedException.class, reader::next);
    }
  }

  @Test
  void missingDirectoryIsAClearError() {
    NoSuchFileException e =
        assertThrows(NoSuchFileException.class, () -> BinlogReader.open(root.resolve("nope"), 1, true));
    assertTrue(e.getMessage().contains("binlog directory does not exist"), e.getMessage());
  }

  @Test
  void gapInLogIndexesIsReported() throws IOException {
    Path dir = root.resolve("binlog");
    try (BinlogWriter writer = BinlogWriter.open(dir, 1)) {
      append(writer, 5);
    }
    try (BinlogWriter writer = BinlogWriter.open(dir, 8)) {
      append(writer, 2);
    }
    try (BinlogReader reader = BinlogReader.open(dir, 1, true)) {
      for (long i = 1; i <= 5; i++) {
        assertEquals(i, assertInstanceOf(BinlogRead.Entry.class, reader.next()).entry().getLogIndex());
      }
      CorruptLogException e = assertThrows(CorruptLogException.class, reader::next);
      assertEquals(dir.resolve("00000001.log"), e.file());
      assertTrue(e.reason().contains("entries 6..7 are missing"), e.reason());
      assertThrows(CorruptLogException.class, reader::next, "no entry is skipped after the error");
      assertEquals(6, reader.nextLogIndex());
    }
  }

  @Test
  void corruptEntryNamesFileAndOffset() throws IOException {
    Path dir = root.resolve("binlog");
    writeFiles(dir, 3, 3);
    Path second = dir.resolve("00000001.log");
    byte[] bytes = Files.readAllBytes(second);
    bytes[12] ^= 1;
    Files.write(second, bytes);
    CorruptLogException e = assertThrows(CorruptLogException.class, () -> {
      try (BinlogReader reader = BinlogReader.open(dir, 1, true)) {
        readAvailable(reader);
      }
    });
    assertEquals(second, e.file());
    assertEquals(0, e.offset());
    assertTrue(e.getMessage().contains("CRC mismatch"), e.getMessage());
  }

  @Test
  void writerChecksLogIndexes() throws IOException {
    Path dir = root.resolve("binlog");
    try (BinlogWriter writer = BinlogWriter.open(dir, 7)) {
      assertEquals(7, writer.append(entry(7)));
      assertEquals(8, writer.append(entry(8).toBuilder().clearLogIndex().build()));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> writer.append(entry(10)));
      assertTrue(e.getMessage().contains("next index is 9"), e.getMessage());
      assertEquals(9, writer.nextLogIndex());
    }
    assertThrows(IllegalArgumentException.class, () -> BinlogWriter.open(dir, 0));
  }

  @Test
  void writerRollsBySize() throws IOException {
    Path dir = root.resolve("binlog");
    try (BinlogWriter writer = BinlogWriter.open(dir, 1, 10_000)) {
      append(writer, 300);
    }
    List<BinlogFile> files = BinlogFiles.scan(dir);
    assertTrue(files.size() > 5, "files: " + files.size());
    for (int i = 0; i < files.size(); i++) {
      assertEquals(i, files.get(i).fileIndex());
      long size = Files.size(files.get(i).path());
      if (i < files.size() - 1) {
        assertTrue(size >= 10_000 && size < 10_000 + 400, "size of file " + i + ": " + size);
      }
    }
    try (BinlogReader reader = BinlogReader.open(dir, 1, true)) {
      assertEquals(range(1, 300), readAvailable(reader));
    }
  }

  /** OpenMLDB's published {@code LogEntry} class reads what the writer wrote, and the reader reads its bytes. */
  @Test
  void entriesMatchOpenMldbsOwnLogEntry() throws IOException {
    Path dir = root.resolve("binlog");
    try (BinlogWriter writer = BinlogWriter.open(dir, 1)) {
      writer.append(entry(1));
    }
    Path file = dir.resolve("00000000.log");
    byte[] payload;
    try (LogReader reader = new LogReader(file)) {
      payload = assertInstanceOf(LogRecord.Full.class, reader.readRecord()).payload();
    }
    com._4paradigm.openmldb.proto.Tablet.LogEntry official =
        com._4paradigm.openmldb.proto.Tablet.LogEntry.parseFrom(payload);
    Tablet.LogEntry ours = entry(1);
    assertEquals(ours.getTerm(), official.getTerm());
    assertEquals(ours.getLogIndex(), official.getLogIndex());
    assertEquals(ours.getPk(), official.getPk());
    assertArrayEquals(ours.getValue().toByteArray(), official.getValue().toByteArray());
    assertEquals(ours.getTs(), official.getTs());
    assertEquals(ours.getDimensions(0).getKey(), official.getDimensions(0).getKey());
    assertEquals(ours.getDimensions(1).getIdx(), official.getDimensions(1).getIdx());
    assertEquals(com._4paradigm.openmldb.proto.Tablet.MethodType.kDelete, official.getMethodType());
    assertEquals(ours.getEndTs(), official.getEndTs());
    assertEquals(ours.getTsName(), official.getTsName());

    byte[] officialBytes = official.toBuilder().setLogIndex(2).build().toByteArray();
    try (LogWriter log = LogWriter.open(file)) {
      log.addRecord(officialBytes);
    }
    try (BinlogReader reader = BinlogReader.open(dir, 2, true)) {
      Tablet.LogEntry read = assertInstanceOf(BinlogRead.Entry.class, reader.next()).entry();
      assertEquals(ours.toBuilder().setLogIndex(2).build(), read);
    }
  }

  // --- helpers ---

  /** Writes files holding the given numbers of entries (from log_index 1), rolling between them. */
  private static void writeFiles(Path dir, int... counts) throws IOException {
    try (BinlogWriter writer = BinlogWriter.open(dir, 1)) {
      for (int i = 0; i < counts.length; i++) {
        if (i > 0) {
          writer.roll();
        }
        append(writer, counts[i]);
      }
    }
  }

  private static void append(BinlogWriter writer, int count) throws IOException {
    for (int k = 0; k < count; k++) {
      writer.append(entry(writer.nextLogIndex()));
    }
  }

  static Tablet.LogEntry entry(long logIndex) {
    byte[] value = new byte[(int) (logIndex * 37 % 300)];
    new Random(logIndex).nextBytes(value);
    Tablet.LogEntry.Builder b = Tablet.LogEntry.newBuilder()
        .setTerm(3)
        .setLogIndex(logIndex)
        .setPk("key-" + logIndex)
        .setValue(ByteString.copyFrom(value))
        .setTs(1_700_000_000_000L + logIndex)
        .addDimensions(Tablet.Dimension.newBuilder().setKey("key-" + logIndex).setIdx(0))
        .addDimensions(Tablet.Dimension.newBuilder().setKey("ключ|" + logIndex).setIdx(1));
    if (logIndex % 4 == 1) {
      b.setMethodType(Tablet.MethodType.kDelete).setEndTs(logIndex).setTsName("ts");
    }
    return b.build();
  }

  /** The log indexes the reader returns until it catches up; checks entries against what was written. */
  private static List<Long> readAvailable(BinlogReader reader) throws IOException {
    List<Long> indexes = new ArrayList<>();
    for (BinlogRead r = reader.next(); r instanceof BinlogRead.Entry e; r = reader.next()) {
      assertEquals(entry(e.entry().getLogIndex()), e.entry());
      indexes.add(e.entry().getLogIndex());
      assertEquals(e.entry().getLogIndex() + 1, reader.nextLogIndex());
    }
    return indexes;
  }

  private static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(i);
    }
    return out;
  }

}
