package io.offsync.protocol.snapshot.sst;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * XXH3's 64-bit hash with seed 0 and the default secret ({@code XXH3_64bits}), the block checksum RocksDB writes by
 * default since 8.x ({@code kXXH3}). A port of the scalar code path of xxHash 0.8 (as vendored in RocksDB's
 * {@code util/xxhash.h}); checked against the checksums of real SST files by the tests.
 */
final class Xxh3 {

  private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  private static final long P32_1 = 0x9E3779B1L;
  private static final long P32_2 = 0x85EBCA77L;
  private static final long P32_3 = 0xC2B2AE3DL;
  private static final long P64_1 = 0x9E3779B185EBCA87L;
  private static final long P64_2 = 0xC2B2AE3D27D4EB4FL;
  private static final long P64_3 = 0x165667B19E3779F9L;
  private static final long P64_4 = 0x85EBCA77C2B2AE63L;
  private static final long P64_5 = 0x27D4EB2F165667C5L;

  private static final int STRIPE_LEN = 64;
  private static final int SECRET_CONSUME_RATE = 8;
  private static final int SECRET_SIZE_MIN = 136;
  private static final byte[] SECRET = {
      (byte) 0xb8, (byte) 0xfe, (byte) 0x6c, (byte) 0x39, (byte) 0x23, (byte) 0xa4, (byte) 0x4b, (byte) 0xbe,
      (byte) 0x7c, (byte) 0x01, (byte) 0x81, (byte) 0x2c, (byte) 0xf7, (byte) 0x21, (byte) 0xad, (byte) 0x1c,
      (byte) 0xde, (byte) 0xd4, (byte) 0x6d, (byte) 0xe9, (byte) 0x83, (byte) 0x90, (byte) 0x97, (byte) 0xdb,
      (byte) 0x72, (byte) 0x40, (byte) 0xa4, (byte) 0xa4, (byte) 0xb7, (byte) 0xb3, (byte) 0x67, (byte) 0x1f,
      (byte) 0xcb, (byte) 0x79, (byte) 0xe6, (byte) 0x4e, (byte) 0xcc, (byte) 0xc0, (byte) 0xe5, (byte) 0x78,
      (byte) 0x82, (byte) 0x5a, (byte) 0xd0, (byte) 0x7d, (byte) 0xcc, (byte) 0xff, (byte) 0x72, (byte) 0x21,
      (byte) 0xb8, (byte) 0x08, (byte) 0x46, (byte) 0x74, (byte) 0xf7, (byte) 0x43, (byte) 0x24, (byte) 0x8e,
      (byte) 0xe0, (byte) 0x35, (byte) 0x90, (byte) 0xe6, (byte) 0x81, (byte) 0x3a, (byte) 0x26, (byte) 0x4c,
      (byte) 0x3c, (byte) 0x28, (byte) 0x52, (byte) 0xbb, (byte) 0x91, (byte) 0xc3, (byte) 0x00, (byte) 0xcb,
      (byte) 0x88, (byte) 0xd0, (byte) 0x65, (byte) 0x8b, (byte) 0x1b, (byte) 0x53, (byte) 0x2e, (byte) 0xa3,
      (byte) 0x71, (byte) 0x64, (byte) 0x48, (byte) 0x97, (byte) 0xa2, (byte) 0x0d, (byte) 0xf9, (byte) 0x4e,
      (byte) 0x38, (byte) 0x19, (byte) 0xef, (byte) 0x46, (byte) 0xa9, (byte) 0xde, (byte) 0xac, (byte) 0xd8,
      (byte) 0xa8, (byte) 0xfa, (byte) 0x76, (byte) 0x3f, (byte) 0xe3, (byte) 0x9c, (byte) 0x34, (byte) 0x3f,
      (byte) 0xf9, (byte) 0xdc, (byte) 0xbb, (byte) 0xc7, (byte) 0xc7, (byte) 0x0b, (byte) 0x4f, (byte) 0x1d,
      (byte) 0x8a, (byte) 0x51, (byte) 0xe0, (byte) 0x4b, (byte) 0xcd, (byte) 0xb4, (byte) 0x59, (byte) 0x31,
      (byte) 0xc8, (byte) 0x9f, (byte) 0x7e, (byte) 0xc9, (byte) 0xd9, (byte) 0x78, (byte) 0x73, (byte) 0x64,
      (byte) 0xea, (byte) 0xc5, (byte) 0xac, (byte) 0x83, (byte) 0x34, (byte) 0xd3, (byte) 0xeb, (byte) 0xc3,
      (byte) 0xc5, (byte) 0x81, (byte) 0xa0, (byte) 0xff, (byte) 0xfa, (byte) 0x13, (byte) 0x63, (byte) 0xeb,
      (byte) 0x17, (byte) 0x0d, (byte) 0xdd, (byte) 0x51, (byte) 0xb7, (byte) 0xf0, (byte) 0xda, (byte) 0x49,
      (byte) 0xd3, (byte) 0x16, (byte) 0x55, (byte) 0x26, (byte) 0x29, (byte) 0xd4, (byte) 0x68, (byte) 0x9e,
      (byte) 0x2b, (byte) 0x16, (byte) 0xbe, (byte) 0x58, (byte) 0x7d, (byte) 0x47, (byte) 0xa1, (byte) 0xfc,
      (byte) 0x8f, (byte) 0xf8, (byte) 0xb8, (byte) 0xd1, (byte) 0x7a, (byte) 0xd0, (byte) 0x31, (byte) 0xce,
      (byte) 0x45, (byte) 0xcb, (byte) 0x3a, (byte) 0x8f, (byte) 0x95, (byte) 0x16, (byte) 0x04, (byte) 0x28,
      (byte) 0xaf, (byte) 0xd7, (byte) 0xfb, (byte) 0xca, (byte) 0xbb, (byte) 0x4b, (byte) 0x40, (byte) 0x7e,
  };
  private static final long[] SECRET_LONGS = new long[SECRET.length - 7];

  static {
    for (int i = 0; i < SECRET_LONGS.length; i++) {
      SECRET_LONGS[i] = (long) LONG_LE.get(SECRET, i);
    }
  }

  private Xxh3() {}

  /** {@code XXH3_64bits(buf[off, off + len))}. */
  static long hash64(byte[] buf, int off, int len) {
    if (len <= 16) {
      return len0to16(buf, off, len);
    }
    if (len <= 128) {
      return len17to128(buf, off, len);
    }
    if (len <= 240) {
      return len129to240(buf, off, len);
    }
    return hashLong(buf, off, len);
  }

  private static long le64(byte[] b, int i) {
    return (long) LONG_LE.get(b, i);
  }

  private static long le32(byte[] b, int i) {
    return (int) INT_LE.get(b, i) & 0xFFFFFFFFL;
  }

  private static long secret(int i) {
    return SECRET_LONGS[i];
  }

  private static long xxh64Avalanche(long h) {
    h ^= h >>> 33;
    h *= P64_2;
    h ^= h >>> 29;
    h *= P64_3;
    return h ^ (h >>> 32);
  }

  private static long avalanche(long h) {
    h ^= h >>> 37;
    h *= 0x165667919E3779F9L;
    return h ^ (h >>> 32);
  }

  private static long rrmxmx(long h, long len) {
    h ^= Long.rotateLeft(h, 49) ^ Long.rotateLeft(h, 24);
    h *= 0x9FB21C651E98DF25L;
    h ^= (h >>> 35) + len;
    h *= 0x9FB21C651E98DF25L;
    return h ^ (h >>> 28);
  }

  private static long mul128Fold64(long a, long b) {
    long lo = a * b;
    long hi = Math.multiplyHigh(a, b) + ((a >> 63) & b) + ((b >> 63) & a);
    return lo ^ hi;
  }

  private static long len0to16(byte[] in, int off, int len) {
    if (len > 8) {
      long bitflip1 = secret(24) ^ secret(32);
      long bitflip2 = secret(40) ^ secret(48);
      long lo = le64(in, off) ^ bitflip1;
      long hi = le64(in, off + len - 8) ^ bitflip2;
      long acc = len + Long.reverseBytes(lo) + hi + mul128Fold64(lo, hi);
      return avalanche(acc);
    }
    if (len >= 4) {
      long input1 = le32(in, off);
      long input2 = le32(in, off + len - 4);
      long bitflip = secret(8) ^ secret(16);
      long input64 = input2 + (input1 << 32);
      return rrmxmx(input64 ^ bitflip, len);
    }
    if (len > 0) {
      int c1 = in[off] & 0xff;
      int c2 = in[off + (len >> 1)] & 0xff;
      int c3 = in[off + len - 1] & 0xff;
      long combined = ((long) c1 << 16 | (long) c2 << 24 | c3 | (long) len << 8) & 0xFFFFFFFFL;
      long bitflip = le32(SECRET, 0) ^ le32(SECRET, 4);
      return xxh64Avalanche(combined ^ bitflip);
    }
    return xxh64Avalanche(secret(56) ^ secret(64));
  }

  private static long mix16(byte[] in, int i, int s) {
    return mul128Fold64(le64(in, i) ^ secret(s), le64(in, i + 8) ^ secret(s + 8));
  }

  private static long len17to128(byte[] in, int off, int len) {
    long acc = len * P64_1;
    long accEnd;
    acc += mix16(in, off, 0);
    accEnd = mix16(in, off + len - 16, 16);
    if (len > 32) {
      acc += mix16(in, off + 16, 32);
      accEnd += mix16(in, off + len - 32, 48);
      if (len > 64) {
        acc += mix16(in, off + 32, 64);
        accEnd += mix16(in, off + len - 48, 80);
        if (len > 96) {
          acc += mix16(in, off + 48, 96);
          accEnd += mix16(in, off + len - 64, 112);
        }
      }
    }
    return avalanche(acc + accEnd);
  }

  private static long len129to240(byte[] in, int off, int len) {
    long acc = len * P64_1;
    int rounds = len / 16;
    for (int i = 0; i < 8; i++) {
      acc += mix16(in, off + 16 * i, 16 * i);
    }
    long accEnd = mix16(in, off + len - 16, SECRET_SIZE_MIN - 17);
    acc = avalanche(acc);
    for (int i = 8; i < rounds; i++) {
      accEnd += mix16(in, off + 16 * i, 16 * (i - 8) + 3);
    }
    return avalanche(acc + accEnd);
  }

  private static long hashLong(byte[] in, int off, int len) {
    long a0 = P32_3;
    long a1 = P64_1;
    long a2 = P64_2;
    long a3 = P64_3;
    long a4 = P64_4;
    long a5 = P32_2;
    long a6 = P64_5;
    long a7 = P32_1;
    int stripesPerBlock = (SECRET.length - STRIPE_LEN) / SECRET_CONSUME_RATE;
    int blockLen = STRIPE_LEN * stripesPerBlock;
    int blocks = (len - 1) / blockLen;
    int scrambleKey = SECRET.length - STRIPE_LEN;
    for (int n = 0; n <= blocks; n++) {
      int stripes = n < blocks ? stripesPerBlock : ((len - 1) - blockLen * blocks) / STRIPE_LEN;
      // the last (partial) block, then the final stripe ending at the input's end with its own secret offset
      for (int st = 0; st <= stripes; st++) {
        int p;
        int k;
        if (st < stripes) {
          p = off + n * blockLen + st * STRIPE_LEN;
          k = st * SECRET_CONSUME_RATE;
        } else if (n == blocks) {
          p = off + len - STRIPE_LEN;
          k = SECRET.length - STRIPE_LEN - 7;
        } else {
          break;
        }
        long d0 = le64(in, p);
        long d1 = le64(in, p + 8);
        long d2 = le64(in, p + 16);
        long d3 = le64(in, p + 24);
        long d4 = le64(in, p + 32);
        long d5 = le64(in, p + 40);
        long d6 = le64(in, p + 48);
        long d7 = le64(in, p + 56);
        long k0 = d0 ^ secret(k);
        long k1 = d1 ^ secret(k + 8);
        long k2 = d2 ^ secret(k + 16);
        long k3 = d3 ^ secret(k + 24);
        long k4 = d4 ^ secret(k + 32);
        long k5 = d5 ^ secret(k + 40);
        long k6 = d6 ^ secret(k + 48);
        long k7 = d7 ^ secret(k + 56);
        a0 += d1 + (k0 & 0xFFFFFFFFL) * (k0 >>> 32);
        a1 += d0 + (k1 & 0xFFFFFFFFL) * (k1 >>> 32);
        a2 += d3 + (k2 & 0xFFFFFFFFL) * (k2 >>> 32);
        a3 += d2 + (k3 & 0xFFFFFFFFL) * (k3 >>> 32);
        a4 += d5 + (k4 & 0xFFFFFFFFL) * (k4 >>> 32);
        a5 += d4 + (k5 & 0xFFFFFFFFL) * (k5 >>> 32);
        a6 += d7 + (k6 & 0xFFFFFFFFL) * (k6 >>> 32);
        a7 += d6 + (k7 & 0xFFFFFFFFL) * (k7 >>> 32);
      }
      if (n < blocks) {
        a0 = scramble(a0, scrambleKey);
        a1 = scramble(a1, scrambleKey + 8);
        a2 = scramble(a2, scrambleKey + 16);
        a3 = scramble(a3, scrambleKey + 24);
        a4 = scramble(a4, scrambleKey + 32);
        a5 = scramble(a5, scrambleKey + 40);
        a6 = scramble(a6, scrambleKey + 48);
        a7 = scramble(a7, scrambleKey + 56);
      }
    }
    long result = len * P64_1;
    result += mul128Fold64(a0 ^ secret(11), a1 ^ secret(19));
    result += mul128Fold64(a2 ^ secret(27), a3 ^ secret(35));
    result += mul128Fold64(a4 ^ secret(43), a5 ^ secret(51));
    result += mul128Fold64(a6 ^ secret(59), a7 ^ secret(67));
    return avalanche(result);
  }

  private static long scramble(long a, int s) {
    a ^= a >>> 47;
    a ^= secret(s);
    return a * P32_1;
  }
}
