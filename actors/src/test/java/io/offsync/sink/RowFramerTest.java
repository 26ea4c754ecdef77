package io.offsync.sink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.collector.RowPack;
import io.offsync.protocol.position.BinlogPosition;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Framing only needs the row header, so rows here are header + random body bytes. */
class RowFramerTest {

  static byte[] row(int len, Random rnd) {
    byte[] r = new byte[len];
    rnd.nextBytes(r);
    r[0] = 1;
    r[1] = 1;
    r[2] = (byte) len;
    r[3] = (byte) (len >>> 8);
    r[4] = (byte) (len >>> 16);
    r[5] = (byte) (len >>> 24);
    return r;
  }

  private static byte[] concat(List<byte[]> rows) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    rows.forEach(b::writeBytes);
    return b.toByteArray();
  }

  private static List<byte[]> collect(RowFramer f, RowPack p) throws IOException {
    List<byte[]> out = new ArrayList<>();
    f.feed(p, (buf, off, len) -> out.add(Arrays.copyOfRange(buf, off, off + len)));
    return out;
  }

  @Test
  void wholeRowsInOnePack() throws IOException {
    Random rnd = new Random(1);
    List<byte[]> rows = List.of(row(6, rnd), row(28, rnd), row(300, rnd), row(70_000, rnd));
    RowFramer f = new RowFramer();
    List<byte[]> got = collect(f, new RowPack(concat(rows), new BinlogPosition(9)));
    assertEquals(rows.size(), got.size());
    for (int i = 0; i < rows.size(); i++) {
      assertArrayEquals(rows.get(i), got.get(i));
    }
    assertEquals(new BinlogPosition(9), f.lastComplete());
    assertTrue(f.atRowBoundary());
  }

  /** Every two cut points over a short stream: rows split inside the header, inside the body, and at the edges. */
  @Test
  void rowsSpanningPacksAtEveryCut() throws IOException {
    Random rnd = new Random(2);
    List<byte[]> rows = List.of(row(9, rnd), row(6, rnd), row(40, rnd), row(13, rnd));
    byte[] all = concat(rows);
    for (int a = 0; a <= all.length; a++) {
      for (int b = a; b <= all.length; b++) {
        RowFramer f = new RowFramer();
        List<byte[]> got = new ArrayList<>();
        got.addAll(collect(f, new RowPack(Arrays.copyOfRange(all, 0, a), null)));
        got.addAll(collect(f, new RowPack(Arrays.copyOfRange(all, a, b), null)));
        got.addAll(collect(f, new RowPack(Arrays.copyOfRange(all, b, all.length), new BinlogPosition(5))));
        assertEquals(rows.size(), got.size(), "cuts " + a + "," + b);
        for (int i = 0; i < rows.size(); i++) {
          assertArrayEquals(rows.get(i), got.get(i), "cuts " + a + "," + b + " row " + i);
        }
        assertTrue(f.atRowBoundary());
        assertEquals(rows.stream().mapToLong(r -> r.length).sum(), f.bytesFramed());
      }
    }
  }

  @Test
  void aRowLargerThanManyPacks() throws IOException {
    byte[] big = row(1 << 20, new Random(3));
    RowFramer f = new RowFramer();
    int chunk = 4093;
    List<byte[]> got = new ArrayList<>();
    for (int off = 0; off < big.length; off += chunk) {
      int end = Math.min(big.length, off + chunk);
      got.addAll(collect(f, new RowPack(Arrays.copyOfRange(big, off, end), end == big.length ? new BinlogPosition(2)
          : null)));
      if (end < big.length) {
        assertTrue(got.isEmpty());
        assertNull(f.lastComplete());
      }
    }
    assertEquals(1, got.size());
    assertArrayEquals(big, got.get(0));
  }

  @Test
  void aPositionInsideARowIsAProtocolError() {
    byte[] r = row(20, new Random(4));
    RowFramer f = new RowFramer();
    IOException e = assertThrows(IOException.class,
        () -> f.feed(new RowPack(Arrays.copyOf(r, 10), new BinlogPosition(3)), (b, o, l) -> { }));
    assertTrue(e.getMessage().contains("ends inside a row"), e.getMessage());
  }

  @Test
  void corruptSizeAndVersionAreNamed() {
    byte[] r = row(20, new Random(5));
    r[2] = 3;
    IOException e = assertThrows(IOException.class,
        () -> new RowFramer().feed(new RowPack(r, null), (b, o, l) -> { }));
    assertTrue(e.getMessage().contains("size field says 3 bytes"), e.getMessage());
    byte[] v = row(20, new Random(6));
    v[0] = 7;
    e = assertThrows(IOException.class, () -> new RowFramer().feed(new RowPack(v, null), (b, o, l) -> { }));
    assertTrue(e.getMessage().contains("format version 7"), e.getMessage());
  }
}
