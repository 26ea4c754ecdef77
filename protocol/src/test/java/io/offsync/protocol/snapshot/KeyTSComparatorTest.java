package io.offsync.protocol.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;

class KeyTSComparatorTest {

  @TempDir
  Path dir;

  private static byte[] key(String pk, long ts) {
    return DiskKey.encode(pk.getBytes(StandardCharsets.UTF_8), ts);
  }

  private static byte[] key(byte[] pk, long ts) {
    return DiskKey.encode(pk, ts);
  }

  /** The order as OpenMLDB defines it, written independently: prefix memcmp then length, then ts descending. */
  private static int spec(byte[] a, byte[] b) {
    int ap = Math.max(a.length - 8, 0);
    int bp = Math.max(b.length - 8, 0);
    int n = Math.min(ap, bp);
    for (int i = 0; i < n; i++) {
      int x = a[i] & 0xff;
      int y = b[i] & 0xff;
      if (x != y) {
        return x < y ? -1 : 1;
      }
    }
    if (ap != bp) {
      return ap < bp ? -1 : 1;
    }
    java.math.BigInteger ta = a.length >= 8 ? unsignedTs(a) : java.math.BigInteger.ZERO;
    java.math.BigInteger tb = b.length >= 8 ? unsignedTs(b) : java.math.BigInteger.ZERO;
    return tb.compareTo(ta);
  }

  private static java.math.BigInteger unsignedTs(byte[] k) {
    byte[] be = new byte[9];
    for (int i = 0; i < 8; i++) {
      be[8 - i] = k[k.length - 8 + i];
    }
    return new java.math.BigInteger(be);
  }

  private static List<byte[]> edgeCases() {
    List<byte[]> keys = new ArrayList<>();
    keys.add(key("a", 5));
    keys.add(key("a", 6));
    keys.add(key("a", 0));
    keys.add(key("a", -1L));                      // UINT64_MAX
    keys.add(key("a", 0x8000_0000_0000_0000L));   // high bit set: larger than any positive ts
    keys.add(key("a", 0x7fff_ffff_ffff_ffffL));
    keys.add(key("a", 256));                      // LE bytes 00 01 ..: must not compare bytewise
    keys.add(key("a", 1));
    keys.add(key("ab", 1));                       // "a" is a prefix of "ab"
    keys.add(key("ab", 9));
    keys.add(key("", 3));                         // empty pk: exactly 8 bytes
    keys.add(key("", 4));
    keys.add(key(new byte[] {'a', (byte) 0x80}, 1)); // unsigned byte beyond ASCII
    keys.add(key(new byte[] {'a', 0x7f}, 1));
    keys.add(key(new byte[] {'a', 0x00}, 1));
    keys.add(DiskKey.encode("a".getBytes(StandardCharsets.UTF_8), 2, 10)); // shared family: pk ‖ id ‖ ts
    keys.add(DiskKey.encode("a".getBytes(StandardCharsets.UTF_8), 1, 10));
    keys.add(DiskKey.encode("a".getBytes(StandardCharsets.UTF_8), -1, 10));
    keys.add(key("b", 1));
    keys.add(key("\u00e9t\u00e9", 1));
    return keys;
  }

  @Test
  void edgeCasesFollowTheSpecification() {
    List<byte[]> keys = edgeCases();
    for (byte[] a : keys) {
      for (byte[] b : keys) {
        assertEquals(spec(a, b), Integer.signum(KeyTSComparator.compareKeys(a, b)),
            () -> HexFormat.of().formatHex(a) + " vs " + HexFormat.of().formatHex(b));
      }
    }
  }

  @Test
  void namedOrderings() {
    assertTrue(KeyTSComparator.compareKeys(key("a", 6), key("a", 5)) < 0, "newer ts first within a pk");
    assertTrue(KeyTSComparator.compareKeys(key("a", 0x8000_0000_0000_0000L), key("a", Long.MAX_VALUE)) < 0,
        "ts with the high bit set is the newest");
    assertTrue(KeyTSComparator.compareKeys(key("a", -1L), key("a", 0x8000_0000_0000_0000L)) < 0);
    assertTrue(KeyTSComparator.compareKeys(key("a", 256), key("a", 1)) < 0, "ts compares as a number, not bytes");
    assertTrue(KeyTSComparator.compareKeys(key("a", 0), key("ab", -1L)) < 0, "a prefix pk comes first, any ts");
    assertTrue(KeyTSComparator.compareKeys(key(new byte[] {'a', 0x7f}, 1), key(new byte[] {'a', (byte) 0x80}, 1)) < 0,
        "bytes compare unsigned");
    assertEquals(0, KeyTSComparator.compareKeys(key("a", 7), key("a", 7)));
    assertEquals(0, KeyTSComparator.compareKeys(new byte[] {1, 2}, new byte[] {3}), "short keys: empty prefix, ts 0");
  }

  @Test
  void byteBufferFormMatchesArrayForm() {
    Random rnd = new Random(42);
    List<byte[]> keys = new ArrayList<>(edgeCases());
    for (int i = 0; i < 300; i++) {
      byte[] pk = new byte[rnd.nextInt(20)];
      for (int j = 0; j < pk.length; j++) {
        pk[j] = (byte) (rnd.nextInt(4) == 0 ? rnd.nextInt(256) : 'a' + rnd.nextInt(3));
      }
      keys.add(key(pk, rnd.nextInt(3) == 0 ? rnd.nextLong() : rnd.nextInt(5)));
    }
    try (KeyTSComparator c = KeyTSComparator.create()) {
      for (int i = 0; i < 3000; i++) {
        byte[] a = keys.get(rnd.nextInt(keys.size()));
        byte[] b = keys.get(rnd.nextInt(keys.size()));
        int expected = Integer.signum(spec(a, b));
        assertEquals(expected, Integer.signum(c.compare(ByteBuffer.wrap(a), ByteBuffer.wrap(b))));
        assertEquals(expected, Integer.signum(c.compare(direct(a, 3), direct(b, 5))));
      }
    }
  }

  private static ByteBuffer direct(byte[] k, int offset) {
    ByteBuffer buf = ByteBuffer.allocateDirect(k.length + offset + 4);
    buf.position(offset);
    buf.put(k);
    buf.flip();
    buf.position(offset);
    return buf;
  }

  @Test
  void rocksDbIteratesInTheSpecifiedOrder() throws Exception {
    Random rnd = new Random(7);
    List<byte[]> keys = new ArrayList<>(edgeCases());
    for (int i = 0; i < 2000; i++) {
      byte[] pk = new byte[1 + rnd.nextInt(6)];
      for (int j = 0; j < pk.length; j++) {
        pk[j] = (byte) (rnd.nextInt(5) == 0 ? 0x80 + rnd.nextInt(128) : 'a' + rnd.nextInt(3));
      }
      long ts = switch (rnd.nextInt(3)) {
        case 0 -> rnd.nextLong();
        case 1 -> rnd.nextInt(300);
        default -> 1_700_000_000_000L + rnd.nextInt(1000);
      };
      keys.add(key(pk, ts));
    }
    List<byte[]> expected = new ArrayList<>(keys);
    expected.sort(KeyTSComparatorTest::spec);
    List<byte[]> distinct = new ArrayList<>();
    for (byte[] k : expected) {
      if (distinct.isEmpty() || spec(distinct.get(distinct.size() - 1), k) != 0) {
        distinct.add(k);
      }
    }
    Collections.shuffle(keys, rnd);

    List<byte[]> actual = new ArrayList<>();
    try (KeyTSComparator cmp = KeyTSComparator.create();
         ColumnFamilyOptions cfo = new ColumnFamilyOptions().setComparator(cmp);
         ColumnFamilyOptions def = new ColumnFamilyOptions();
         DBOptions dbo = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
         org.rocksdb.FlushOptions flush = new org.rocksdb.FlushOptions()) {
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      try (RocksDB db = RocksDB.open(dbo, dir.toString(), List.of(
          new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, def),
          new ColumnFamilyDescriptor("idx".getBytes(StandardCharsets.UTF_8), cfo)), handles)) {
        int n = 0;
        for (byte[] k : keys) {
          db.put(handles.get(1), k, new byte[] {1});
          if (++n % 700 == 0) {
            db.flush(flush, handles.get(1)); // several SST files plus a memtable
          }
        }
        try (RocksIterator it = db.newIterator(handles.get(1))) {
          for (it.seekToFirst(); it.isValid(); it.next()) {
            actual.add(it.key());
          }
        }
        handles.forEach(ColumnFamilyHandle::close);
      }
    }
    assertEquals(distinct.size(), actual.size());
    for (int i = 0; i < distinct.size(); i++) {
      assertTrue(Arrays.equals(distinct.get(i), actual.get(i)) || spec(distinct.get(i), actual.get(i)) == 0,
          "position " + i);
    }
  }
}
