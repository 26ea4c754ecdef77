package io.offsync.sink;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The dictionary of one string column chunk: an open-addressing hash table (linear probing) over the byte slices
 * of the column's arena. Entries are the slices' first occurrences, in order of appearance (the dictionary page's
 * order); bytes are compared only when the full 32-bit hashes match. Reused from row group to row group.
 */
final class StringDictionary {

  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long C1 = 0x9E3779B97F4A7C15L;
  private static final long C2 = 0xC2B2AE3D27D4EB4FL;

  /** Entry + 1 per slot, 0 = free. */
  private int[] table = new int[1024];
  private int[] hashes = new int[256];
  /** Per entry: the index of the value that first had it. */
  private int[] firsts = new int[256];
  private int size;
  private long bytes;

  /**
   * Builds the dictionary of values {@code [0, n)} ({@code ends[i]} the end of value i in {@code arena}, each
   * value starting where the one before ends), putting each value's entry into {@code ids}.
   *
   * @return false as soon as the PLAIN dictionary page would exceed {@code maxBytes} (the column chunk is then
   *     written PLAIN)
   */
  boolean build(byte[] arena, int[] ends, int n, int[] ids, long maxBytes) {
    size = 0;
    bytes = 0;
    int capacity = table.length;
    while (capacity > 1024 && capacity > 4L * n) {
      capacity >>>= 1;
    }
    if (capacity != table.length) {
      table = new int[capacity];
    } else {
      Arrays.fill(table, 0);
    }
    int mask = table.length - 1;
    int start = 0;
    for (int i = 0; i < n; i++) {
      int end = ends[i];
      int len = end - start;
      int h = hash(arena, start, len);
      int slot = h & mask;
      while (true) {
        int e = table[slot] - 1;
        if (e < 0) {
          e = add(h, i);
          table[slot] = e + 1;
          ids[i] = e;
          bytes += 4 + len;
          if (bytes > maxBytes) {
            return false;
          }
          if (size * 2 > table.length) {
            rehash();
            mask = table.length - 1;
          }
          break;
        }
        if (hashes[e] == h) {
          int f = firsts[e];
          int fs = f == 0 ? 0 : ends[f - 1];
          if (ends[f] - fs == len && same(arena, fs, start, len)) {
            ids[i] = e;
            break;
          }
        }
        slot = (slot + 1) & mask;
      }
      start = end;
    }
    return true;
  }

  /** Whether the {@code len} bytes at {@code a} and at {@code b} are equal: 8 at a time, the last 8 overlapping. */
  private static boolean same(byte[] arena, int a, int b, int len) {
    if (len < 8) {
      for (int k = 0; k < len; k++) {
        if (arena[a + k] != arena[b + k]) {
          return false;
        }
      }
      return true;
    }
    if (len > 64) {
      return Arrays.equals(arena, a, a + len, arena, b, b + len);
    }
    for (int k = 0; k < len - 8; k += 8) {
      if ((long) LONG.get(arena, a + k) != (long) LONG.get(arena, b + k)) {
        return false;
      }
    }
    return (long) LONG.get(arena, a + len - 8) == (long) LONG.get(arena, b + len - 8);
  }

  int size() {
    return size;
  }

  /** The PLAIN size of the dictionary page: 4 + length per entry. */
  long bytes() {
    return bytes;
  }

  /** The index of the value whose bytes are entry {@code e}. */
  int first(int e) {
    return firsts[e];
  }

  private int add(int h, int value) {
    if (size == hashes.length) {
      hashes = Arrays.copyOf(hashes, size * 2);
      firsts = Arrays.copyOf(firsts, size * 2);
    }
    hashes[size] = h;
    firsts[size] = value;
    return size++;
  }

  private void rehash() {
    int[] t = new int[table.length * 2];
    int mask = t.length - 1;
    for (int e = 0; e < size; e++) {
      int slot = hashes[e] & mask;
      while (t[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      t[slot] = e + 1;
    }
    table = t;
  }

  /** A 64-bit multiply-rotate hash of the slice, folded to 32 bits after a final avalanche. */
  static int hash(byte[] b, int off, int len) {
    long h = len * C1;
    int end = off + len;
    int p = off;
    while (end - p >= 8) {
      h = Long.rotateLeft(h ^ ((long) LONG.get(b, p) * C2), 31) * C1;
      p += 8;
    }
    if (p < end) {
      long k = 0;
      if (len >= 8) {
        k = (long) LONG.get(b, end - 8); // the last 8 bytes, overlapping the words before
      } else {
        for (int s = 0; p < end; p++, s += 8) {
          k |= (b[p] & 0xFFL) << s;
        }
      }
      h = Long.rotateLeft(h ^ (k * C2), 31) * C1;
    }
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    h *= 0xC4CEB9FE1A85EC53L;
    h ^= h >>> 33;
    return (int) h ^ (int) (h >>> 32);
  }
}
