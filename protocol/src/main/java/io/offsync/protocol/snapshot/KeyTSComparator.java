package io.offsync.protocol.snapshot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.rocksdb.AbstractComparator;
import org.rocksdb.ComparatorOptions;
import org.rocksdb.ReusedSynchronisationType;
import org.rocksdb.RocksDB;

/**
 * OpenMLDB's disk-table key order, registered in RocksDB under the name {@code KeyTSComparator} (RocksDB stores the
 * name and refuses to open a column family with a comparator of another name).
 *
 * <p>A key is {@code prefix ‖ ts} where {@code ts} is the last 8 bytes (uint64 little-endian) and {@code prefix}
 * everything before (the pk, and for a column family shared by several indexes also the 4-byte ts column id).
 * Keys compare by {@code prefix} bytewise (unsigned bytes, a proper prefix first), then by {@code ts} as an unsigned
 * number <em>descending</em>: within one pk the newest row comes first. Keys shorter than 8 bytes compare as an
 * empty prefix with ts 0, as OpenMLDB's parser leaves them.
 *
 * <p>The instance owns a native handle: close it after every database using it is closed.
 */
public final class KeyTSComparator extends AbstractComparator {

  /** The name stored in RocksDB's MANIFEST. */
  public static final String NAME = "KeyTSComparator";

  static {
    RocksDB.loadLibrary();
  }

  private final ComparatorOptions options;

  private KeyTSComparator(ComparatorOptions options) {
    super(options);
    this.options = options;
  }

  /** A new comparator; close it after the databases that use it. */
  public static KeyTSComparator create() {
    return new KeyTSComparator(new ComparatorOptions()
        .setReusedSynchronisationType(ReusedSynchronisationType.THREAD_LOCAL));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int compare(ByteBuffer a, ByteBuffer b) {
    int aPos = a.position();
    int aLen = a.remaining();
    int bPos = b.position();
    int bLen = b.remaining();
    int aPrefix = aLen >= 8 ? aLen - 8 : 0;
    int bPrefix = bLen >= 8 ? bLen - 8 : 0;
    int c = comparePrefix(a, aPos, aPrefix, b, bPos, bPrefix);
    if (c != 0) {
      return c;
    }
    long ta = aLen >= 8 ? readLongLE(a, aPos + aPrefix) : 0;
    long tb = bLen >= 8 ? readLongLE(b, bPos + bPrefix) : 0;
    return Long.compareUnsigned(tb, ta);
  }

  /** The same order on heap arrays. */
  public static int compareKeys(byte[] a, byte[] b) {
    return compareKeys(a, 0, a.length, b);
  }

  /** The same order on {@code a[aOff, aOff + aLen)} and {@code b}. */
  public static int compareKeys(byte[] a, int aOff, int aLen, byte[] b) {
    int aPrefix = aLen >= 8 ? aLen - 8 : 0;
    int bPrefix = b.length >= 8 ? b.length - 8 : 0;
    int c = Arrays.compareUnsigned(a, aOff, aOff + aPrefix, b, 0, bPrefix);
    if (c != 0) {
      return c;
    }
    long ta = aLen >= 8 ? DiskKey.readLongLE(a, aOff + aPrefix) : 0;
    long tb = b.length >= 8 ? DiskKey.readLongLE(b, bPrefix) : 0;
    return Long.compareUnsigned(tb, ta);
  }

  private static int comparePrefix(ByteBuffer a, int aPos, int aLen, ByteBuffer b, int bPos, int bLen) {
    int n = Math.min(aLen, bLen);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
      long x = readLongBE(a, aPos + i);
      long y = readLongBE(b, bPos + i);
      if (x != y) {
        return Long.compareUnsigned(x, y);
      }
    }
    for (; i < n; i++) {
      int x = a.get(aPos + i) & 0xff;
      int y = b.get(bPos + i) & 0xff;
      if (x != y) {
        return x - y;
      }
    }
    return Integer.compare(aLen, bLen);
  }

  private static long readLongBE(ByteBuffer buf, int index) {
    long v = buf.getLong(index);
    return buf.order() == ByteOrder.BIG_ENDIAN ? v : Long.reverseBytes(v);
  }

  private static long readLongLE(ByteBuffer buf, int index) {
    long v = buf.getLong(index);
    return buf.order() == ByteOrder.LITTLE_ENDIAN ? v : Long.reverseBytes(v);
  }

  @Override
  public void close() {
    super.close();
    options.close();
  }
}
