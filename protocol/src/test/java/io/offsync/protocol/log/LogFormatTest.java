package io.offsync.protocol.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogFormatTest {

  private static final int BLOCK = 4096;
  private static final int HEADER = 7;

  @TempDir Path dir;

  // --- test vectors of the reference (§6.2) ---

  @Test
  void crc32cOfStandardCheckString() {
    assertEquals(0xE3069283, Crc32c.value("123456789".getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void maskOfHelloRecordCrc() {
    int crc = Crc32c.value(new byte[] {1}, "hello".getBytes(StandardCharsets.US_ASCII));
    assertEquals(0x6719DAEA, crc);
    assertEquals(0x5857B90B, Crc32c.mask(crc));
    assertEquals(crc, Crc32c.unmask(Crc32c.mask(crc)));
    Random random = new Random(7);
    for (int k = 0; k < 1000; k++) {
      int c = random.nextInt();
      assertEquals(c, Crc32c.unmask(Crc32c.mask(c)));
    }
  }

  @Test
  void helloFullRecordBytes() throws IOException {
    Path file = dir.resolve("hello.log");
    try (LogWriter writer = LogWriter.open(file)) {
      assertEquals(0, writer.addRecord("hello".getBytes(StandardCharsets.US_ASCII)));
    }
    assertEquals("0bb957580500016865 6c6c6f".replace(" ", ""), HexFormat.of().formatHex(Files.readAllBytes(file)));
  }

  @Test
  void eofRecordBytes() throws IOException {
    Path file = dir.resolve("eof.log");
    try (LogWriter writer = LogWriter.open(file)) {
      writer.addEof();
    }
    assertEquals("f0b91d31000005", HexFormat.of().formatHex(Files.readAllBytes(file)));
    try (LogReader reader = new LogReader(file)) {
      assertInstanceOf(LogRecord.EndOfFile.class, reader.readRecord());
      assertInstanceOf(LogRecord.EndOfFile.class, reader.readRecord(), "EOF is sticky");
    }
  }

  // --- layout ---

  @Test
  void recordEndingExactlyAtBlockBoundary() throws IOException {
    Path file = dir.resolve("boundary.log");
    byte[] first = payload(1, BLOCK - HEADER);
    byte[] second = payload(2, 10);
    try (LogWriter writer = LogWriter.open(file)) {
      assertEquals(0, writer.addRecord(first));
      assertEquals(BLOCK, writer.size());
      assertEquals(BLOCK, writer.addRecord(second));
    }
    byte[] bytes = Files.readAllBytes(file);
    assertEquals(BLOCK + HEADER + 10, bytes.length);
    assertEquals(1, bytes[6], "one FULL record fills the block");
    assertEquals(1, bytes[BLOCK + 6]);
    assertEquals(List.of(new Rec(first, 0), new Rec(second, BLOCK)), readAll(file));
  }

  @Test
  void shortBlockTrailerIsZeroPadded() throws IOException {
    for (int trailer = 1; trailer < HEADER; trailer++) {
      Path file = dir.resolve("trailer" + trailer + ".log");
      byte[] first = payload(trailer, BLOCK - HEADER - trailer);
      byte[] second = payload(trailer + 10, 5);
      try (LogWriter writer = LogWriter.open(file)) {
        writer.addRecord(first);
        assertEquals(BLOCK, writer.addRecord(second), "record after a " + trailer + "-byte trailer");
      }
      byte[] bytes = Files.readAllBytes(file);
      assertEquals(BLOCK + HEADER + 5, bytes.length);
      for (int i = BLOCK - trailer; i < BLOCK; i++) {
        assertEquals(0, bytes[i], "trailer byte " + i);
      }
      assertEquals(List.of(new Rec(first, 0), new Rec(second, BLOCK)), readAll(file));
    }
  }

  @Test
  void exactlyHeaderSizedTrailerGetsAnEmptyFirstFragment() throws IOException {
    Path file = dir.resolve("seven.log");
    byte[] first = payload(3, BLOCK - 2 * HEADER);
    byte[] second = payload(4, 100);
    try (LogWriter writer = LogWriter.open(file)) {
      writer.addRecord(first);
      assertEquals(BLOCK - HEADER, writer.addRecord(second));
    }
    byte[] bytes = Files.readAllBytes(file);
    assertEquals(2, bytes[BLOCK - 1], "FIRST fragment of length 0 at the end of the block");
    assertEquals(0, bytes[BLOCK - 3]);
    assertEquals(4, bytes[BLOCK + 6], "LAST fragment in the next block");
    assertEquals(List.of(new Rec(first, 0), new Rec(second, BLOCK - HEADER)), readAll(file));
  }

  @Test
  void recordSpanningManyBlocks() throws IOException {
    Path file = dir.resolve("span.log");
    int fragment = BLOCK - HEADER;
    int start = HEADER + 50;
    byte[] big = payload(5, (BLOCK - start - HEADER) + 3 * fragment + 100);
    try (LogWriter writer = LogWriter.open(file)) {
      writer.addRecord(payload(6, 50));
      writer.addRecord(big);
      writer.addRecord(new byte[0]);
      writer.addEof();
    }
    byte[] bytes = Files.readAllBytes(file);
    assertEquals(2, bytes[start + 6], "FIRST");
    assertEquals(3, bytes[BLOCK + 6], "MIDDLE");
    assertEquals(3, bytes[2 * BLOCK + 6], "MIDDLE");
    assertEquals(3, bytes[3 * BLOCK + 6], "MIDDLE");
    assertEquals(4, bytes[4 * BLOCK + 6], "LAST");
    List<Rec> records = readAll(file);
    assertEquals(List.of(new Rec(payload(6, 50), 0), new Rec(big, start), new Rec(new byte[0], records.get(2).offset)),
        records);
  }

  @Test
  void largeRecordOverOneMebibyte() throws IOException {
    Path file = dir.resolve("large.log");
    byte[] large = payload(9, 3 * 1024 * 1024 + 17);
    try (LogWriter writer = LogWriter.open(file)) {
      writer.addRecord(payload(1, 1));
      writer.addRecord(large);
      writer.addRecord(payload(2, 2));
    }
    List<Rec> records = readAll(file);
    assertEquals(3, records.size());
    assertArrayEquals(large, records.get(1).payload);
    assertArrayEquals(payload(2, 2), records.get(2).payload);
  }

  @Test
  void randomRecordsRoundTripAndReadFromAnyOffset() throws IOException {
    Path file = dir.resolve("random.log");
    Random random = new Random(42);
    List<Rec> written = new ArrayList<>();
    try (LogWriter writer = LogWriter.open(file)) {
      for (int k = 0; k < 2000; k++) {
        int len = switch (random.nextInt(10)) {
          case 0 -> 0;
          case 1 -> random.nextInt(20_000);
          default -> random.nextInt(300);
        };
        byte[] p = new byte[len];
        random.nextBytes(p);
        written.add(new Rec(p, writer.addRecord(p)));
      }
      writer.addEof();
    }
    assertEquals(written, readAll(file));
    for (int k = 0; k < 50; k++) {
      int from = random.nextInt(written.size());
      try (LogReader reader = new LogReader(file, written.get(from).offset, true)) {
        for (int j = from; j < written.size(); j++) {
          LogRecord.Full full = assertInstanceOf(LogRecord.Full.class, reader.readRecord());
          assertEquals(written.get(j), new Rec(full.payload(), full.offset()));
        }
        assertInstanceOf(LogRecord.EndOfFile.class, reader.readRecord());
      }
    }
  }

  @Test
  void reopenedWriterContinuesAtBlockOffset() throws IOException {
    Path file = dir.resolve("reopen.log");
    List<Rec> written = new ArrayList<>();
    for (int session = 0; session < 5; session++) {
      try (LogWriter writer = LogWriter.open(file)) {
        assertEquals(Files.size(file), writer.size());
        for (int k = 0; k < 3; k++) {
          byte[] p = payload(session * 10 + k, 1500 + 997 * k);
          written.add(new Rec(p, writer.addRecord(p)));
        }
      }
    }
    assertEquals(written, readAll(file));
  }

  // --- a file still being written ---

  @Test
  void incompleteTailIsReadOnceTheRestIsAppended() throws IOException {
    Path whole = dir.resolve("whole.log");
    List<Rec> written = new ArrayList<>();
    try (LogWriter writer = LogWriter.open(whole)) {
      for (int len : new int[] {10, BLOCK - 2 * HEADER - 10 - 3, 9000, 0, 4089, 300, 20_000, 5}) {
        byte[] p = payload(len, len);
        written.add(new Rec(p, writer.addRecord(p)));
      }
    }
    byte[] bytes = Files.readAllBytes(whole);
    TreeSet<Integer> splits = new TreeSet<>();
    for (int b = 0; b <= bytes.length / BLOCK; b++) {
      for (int d = -10; d <= 10; d++) {
        splits.add(b * BLOCK + d);
      }
    }
    for (Rec rec : written) {
      for (int d = -2; d <= HEADER + 2; d++) {
        splits.add((int) rec.offset + d);
      }
    }
    Random random = new Random(3);
    for (int k = 0; k < 100; k++) {
      splits.add(random.nextInt(bytes.length));
    }
    splits.removeIf(s -> s < 0 || s > bytes.length);
    for (int split : splits) {
      Path live = dir.resolve("live-" + split + ".log");
      Files.write(live, Arrays.copyOf(bytes, split));
      List<Rec> read = new ArrayList<>();
      try (LogReader reader = new LogReader(live, 0, true)) {
        LogRecord r;
        while ((r = reader.readRecord()) instanceof LogRecord.Full full) {
          read.add(new Rec(full.payload(), full.offset()));
        }
        assertInstanceOf(LogRecord.Incomplete.class, r, "split at " + split);
        long kept = reader.position();
        assertInstanceOf(LogRecord.Incomplete.class, reader.readRecord(), "split at " + split);
        assertEquals(kept, reader.position());
        Files.write(live, Arrays.copyOfRange(bytes, split, bytes.length), StandardOpenOption.APPEND);
        while ((r = reader.readRecord()) instanceof LogRecord.Full full) {
          read.add(new Rec(full.payload(), full.offset()));
        }
        assertInstanceOf(LogRecord.Incomplete.class, r);
      }
      assertEquals(written, read, "split at " + split);
      Files.delete(live);
    }
  }

  @Test
  void flushedRecordsAreVisibleToAConcurrentReader() throws IOException {
    Path file = dir.resolve("tail.log");
    try (LogWriter writer = LogWriter.open(file); LogReader reader = new LogReader(file, 0, true)) {
      assertInstanceOf(LogRecord.Incomplete.class, reader.readRecord(), "empty file");
      for (int k = 0; k < 50; k++) {
        byte[] p = payload(k, k * 331);
        writer.addRecord(p);
        assertInstanceOf(LogRecord.Incomplete.class, reader.readRecord(), "not flushed yet");
        writer.flush();
        assertArrayEquals(p, assertInstanceOf(LogRecord.Full.class, reader.readRecord()).payload());
      }
      writer.addEof();
      writer.flush();
      assertInstanceOf(LogRecord.EndOfFile.class, reader.readRecord());
    }
  }

  @Test
  void zeroTailReadsAsIncomplete() throws IOException {
    Path file = dir.resolve("zerotail.log");
    try (LogWriter writer = LogWriter.open(file)) {
      writer.addRecord(payload(1, 100));
    }
    Files.write(file, new byte[3 * BLOCK], StandardOpenOption.APPEND);
    try (LogReader reader = new LogReader(file)) {
      assertInstanceOf(LogRecord.Full.class, reader.readRecord());
      assertInstanceOf(LogRecord.Incomplete.class, reader.readRecord());
    }
  }

  // --- corruption ---

  @Test
  void crcMismatchNamesFileAndOffset() throws IOException {
    Path file = dir.resolve("crc.log");
    long second;
    try (LogWriter writer = LogWriter.open(file)) {
      writer.addRecord(payload(1, 100));
      second = writer.addRecord(payload(2, 100));
      writer.addRecord(payload(3, 100));
    }
    byte[] bytes = Files.readAllBytes(file);
    bytes[(int) second + HEADER + 50] ^= 0x20;
    Files.write(file, bytes);
    try (LogReader reader = new LogReader(file)) {
      reader.readRecord();
      CorruptLogException e = assertThrows(CorruptLogException.class, reader::readRecord);
      assertEquals(file, e.file());
      assertEquals(second, e.offset());
      assertTrue(e.reason().startsWith("CRC mismatch"), e.reason());
      assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("offset " + second));
      assertThrows(CorruptLogException.class, reader::readRecord, "the error repeats; nothing is skipped");
    }
    try (LogReader reader = new LogReader(file, 0, false)) {
      reader.readRecord();
      byte[] damaged = assertInstanceOf(LogRecord.Full.class, reader.readRecord()).payload();
      assertEquals(100, damaged.length);
    }
  }

  @Test
  void badTypeIsCorrupt() throws IOException {
    Path file = dir.resolve("type.log");
    Files.write(file, concat(physical(1, payload(1, 10)), physical(9, payload(2, 10))));
    CorruptLogException e = assertThrows(CorruptLogException.class, () -> readAll(file));
    assertEquals(HEADER + 10, e.offset());
    assertEquals("bad record type 9", e.reason());
  }

  @Test
  void zeroTypeRecordInTheMiddleIsCorrupt() throws IOException {
    Path file = dir.resolve("zero.log");
    Files.write(file, concat(physical(1, payload(1, 10)), new byte[HEADER + 20], physical(1, payload(2, 10))));
    CorruptLogException e = assertThrows(CorruptLogException.class, () -> readAll(file));
    assertEquals(HEADER + 10, e.offset());
    assertTrue(e.reason().startsWith("zero-type record in the middle of data"), e.reason());
  }

  @Test
  void brokenFragmentSequencesAreCorrupt() throws IOException {
    byte[] a = payload(1, 10);
    assertCorrupt(concat(physical(3, a)), 0, "MIDDLE fragment without a preceding FIRST fragment");
    assertCorrupt(concat(physical(4, a)), 0, "LAST fragment without a preceding FIRST fragment");
    assertCorrupt(concat(physical(2, a), physical(1, a)), 17, "FULL record inside a fragmented record");
    assertCorrupt(concat(physical(2, a), physical(3, a), physical(2, a)), 34, "FIRST fragment inside");
    assertCorrupt(concat(physical(2, a), physical(5, new byte[0])), 17, "EOF record inside");
  }

  @Test
  void lengthOverrunningTheBlockIsCorrupt() throws IOException {
    byte[] rec = physical(1, payload(1, 100));
    rec[4] = (byte) 0xff;
    rec[5] = (byte) 0x0f;
    assertCorrupt(rec, 0, "record length 4095 overruns its 4 KiB block");
  }

  private void assertCorrupt(byte[] content, long offset, String reasonPrefix) throws IOException {
    Path file = Files.createTempFile(dir, "bad", ".log");
    Files.write(file, content);
    CorruptLogException e = assertThrows(CorruptLogException.class, () -> readAll(file));
    assertEquals(offset, e.offset());
    assertTrue(e.reason().startsWith(reasonPrefix), e.reason());
  }

  // --- helpers ---

  private record Rec(byte[] payload, long offset) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Rec r && r.offset == offset && Arrays.equals(r.payload, payload);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(payload) * 31 + Long.hashCode(offset);
    }

    @Override
    public String toString() {
      return "Rec(" + payload.length + " bytes at " + offset + ")";
    }
  }

  /** All records up to EOF or the end of the data. */
  private static List<Rec> readAll(Path file) throws IOException {
    List<Rec> out = new ArrayList<>();
    try (LogReader reader = new LogReader(file)) {
      LogRecord r;
      while ((r = reader.readRecord()) instanceof LogRecord.Full full) {
        out.add(new Rec(full.payload(), full.offset()));
      }
    }
    return out;
  }

  private static byte[] payload(int seed, int len) {
    byte[] p = new byte[len];
    new Random(seed * 31L + len).nextBytes(p);
    return p;
  }

  /** A physical record built by hand from the specification, with a correct CRC. */
  private static byte[] physical(int type, byte[] payload) {
    ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(Crc32c.mask(Crc32c.value(new byte[] {(byte) type}, payload)));
    b.putShort((short) payload.length);
    b.put((byte) type);
    b.put(payload);
    return b.array();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}
