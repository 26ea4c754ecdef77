package io.offsync.protocol.snapshot.sst;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * RocksDB's internal keys under OpenMLDB's {@code KeyTSComparator}: {@code userKey ‖ trailer}, the trailer a uint64 LE
 * {@code seqno << 8 | type}. Internal keys order by user key, then trailer descending (newest first).
 *
 * <p>User keys order as {@link io.offsync.protocol.snapshot.KeyTSComparator} orders them: everything but the last 8
 * bytes bytewise, then the last 8 bytes as an unsigned LE number descending; shorter keys are an empty prefix with
 * ts 0.
 */
final class InternalKeys {

  static final int TRAILER_LEN = 8;
  /** A trailer sorting before every real one of the same user key (for seeks). */
  static final long SEEK_TRAILER = -1L;

  static final int TYPE_DELETION = 0x0;
  static final int TYPE_VALUE = 0x1;
  static final int TYPE_SINGLE_DELETION = 0x7;
  static final int TYPE_RANGE_DELETION = 0xF;
  /** kTypeMaxValid: sorts before every real entry of the same user key and sequence number. */
  static final int TYPE_MAX_VALID = 0x19;
  static final long MAX_SEQUENCE = (1L << 56) - 1;

  private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  private InternalKeys() {}

  static long le64(byte[] b, int i) {
    return (long) LONG_LE.get(b, i);
  }

  static int le32(byte[] b, int i) {
    return (int) INT_LE.get(b, i);
  }

  /** KeyTSComparator on {@code a[ao, ao + al)} and {@code b[bo, bo + bl)}. */
  static int compareUserKeys(byte[] a, int ao, int al, byte[] b, int bo, int bl) {
    int ap = al >= 8 ? al - 8 : 0;
    int bp = bl >= 8 ? bl - 8 : 0;
    int c = Arrays.compareUnsigned(a, ao, ao + ap, b, bo, bo + bp);
    if (c != 0) {
      return c;
    }
    long ta = al >= 8 ? le64(a, ao + ap) : 0;
    long tb = bl >= 8 ? le64(b, bo + bp) : 0;
    return Long.compareUnsigned(tb, ta);
  }

  /** Internal-key order of {@code (a, aTrailer)} and {@code (b, bTrailer)}. */
  static int compareInternal(byte[] a, long aTrailer, byte[] b, long bTrailer) {
    int c = compareUserKeys(a, 0, a.length, b, 0, b.length);
    return c != 0 ? c : Long.compareUnsigned(bTrailer, aTrailer);
  }

  /** Whether two user keys are the same bytes (the ts, which differs most often, compared first). */
  static boolean sameUserKey(byte[] a, int ao, int al, byte[] b, int bo, int bl) {
    if (al != bl) {
      return false;
    }
    if (al >= 8 && le64(a, ao + al - 8) != le64(b, bo + bl - 8)) {
      return false;
    }
    return Arrays.equals(a, ao, ao + al, b, bo, bo + bl);
  }

  /**
   * Compares the internal key {@code a[ao, ao + al)} (trailer included) with the user key {@code t[to, to + tl)}
   * carrying trailer {@code tTrailer}.
   */
  static int compareInternal(byte[] a, int ao, int al, byte[] t, int to, int tl, long tTrailer) {
    int c = compareUserKeys(a, ao, al - TRAILER_LEN, t, to, tl);
    if (c != 0) {
      return c;
    }
    return Long.compareUnsigned(tTrailer, le64(a, ao + al - TRAILER_LEN));
  }
}
