package io.offsync.protocol.snapshot.sst;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The range deletions of a column family as RocksDB's merging iterator applies them: each file's tombstones
 * {@code [start, end)@seq}, truncated to the file's key range (internal keys: the smallest bound with type kMaxValid,
 * the largest lowered by one sequence number unless it is a tombstone's sentinel or has sequence 0, as
 * {@code TruncatedRangeDelIterator} does), then cut into disjoint fragments of internal-key space, each with the
 * highest sequence number covering it. An entry {@code (key, seq)} is deleted when its fragment's sequence number is
 * greater than {@code seq}. Lookups from a forward scan move a cursor; others search. Not thread-safe: one per scan ({@link #forScan}).
 */
final class RangeTombstones {

  /** One tombstone as stored: user keys {@code [start, end)} deleted below {@code seq}. */
  record Tombstone(byte[] start, byte[] end, long seq) {}

  private final byte[][] keys;
  private final long[] trailers;
  /** The highest sequence number covering {@code [bound i, bound i + 1)}; -1 when none. */
  private final long[] maxSeq;
  private int cursor;

  private RangeTombstones(byte[][] keys, long[] trailers, long[] maxSeq) {
    this.keys = keys;
    this.trailers = trailers;
    this.maxSeq = maxSeq;
  }

  /** The tombstones of {@code files}, or null when they have none. */
  static RangeTombstones of(List<SstFile> files) {
    List<byte[]> boundKeys = new ArrayList<>();
    List<long[]> events = new ArrayList<>();
    for (SstFile f : files) {
      if (f.rangeDeletions.isEmpty()) {
        continue;
      }
      byte[] smallest = f.meta.smallest();
      byte[] sKey = java.util.Arrays.copyOf(smallest, smallest.length - InternalKeys.TRAILER_LEN);
      long sTrailer = (InternalKeys.le64(smallest, smallest.length - InternalKeys.TRAILER_LEN) & ~0xffL)
          | InternalKeys.TYPE_MAX_VALID;
      byte[] largest = f.meta.largest();
      byte[] lKey = java.util.Arrays.copyOf(largest, largest.length - InternalKeys.TRAILER_LEN);
      long lTrailer = InternalKeys.le64(largest, largest.length - InternalKeys.TRAILER_LEN);
      long lSeq = lTrailer >>> 8;
      boolean sentinel = (lTrailer & 0xff) == InternalKeys.TYPE_RANGE_DELETION && lSeq == InternalKeys.MAX_SEQUENCE;
      if (!sentinel && lSeq != 0) {
        lTrailer = (lSeq - 1) << 8 | InternalKeys.TYPE_MAX_VALID;
      }
      for (Tombstone t : f.rangeDeletions) {
        byte[] startKey = t.start();
        long startTrailer = t.seq() << 8 | InternalKeys.TYPE_RANGE_DELETION;
        if (InternalKeys.compareInternal(startKey, startTrailer, sKey, sTrailer) < 0) {
          startKey = sKey;
          startTrailer = sTrailer;
        }
        byte[] endKey = t.end();
        long endTrailer = InternalKeys.MAX_SEQUENCE << 8 | InternalKeys.TYPE_RANGE_DELETION;
        if (InternalKeys.compareInternal(endKey, endTrailer, lKey, lTrailer) > 0) {
          endKey = lKey;
          endTrailer = lTrailer;
        }
        if (InternalKeys.compareInternal(startKey, startTrailer, endKey, endTrailer) >= 0) {
          continue;
        }
        boundKeys.add(startKey);
        events.add(new long[] {startTrailer, t.seq(), 1});
        boundKeys.add(endKey);
        events.add(new long[] {endTrailer, t.seq(), -1});
      }
    }
    if (events.isEmpty()) {
      return null;
    }
    Integer[] order = new Integer[events.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (x, y) -> InternalKeys.compareInternal(boundKeys.get(x), events.get(x)[0],
        boundKeys.get(y), events.get(y)[0]));
    List<byte[]> keys = new ArrayList<>();
    List<Long> trailers = new ArrayList<>();
    List<Long> maxSeq = new ArrayList<>();
    TreeMap<Long, Integer> active = new TreeMap<>();
    int i = 0;
    while (i < order.length) {
      byte[] k = boundKeys.get(order[i]);
      long tr = events.get(order[i])[0];
      while (i < order.length && InternalKeys.compareInternal(boundKeys.get(order[i]), events.get(order[i])[0], k,
          tr) == 0) {
        long[] e = events.get(order[i]);
        active.merge(e[1], (int) e[2], Integer::sum);
        if (active.get(e[1]) == 0) {
          active.remove(e[1]);
        }
        i++;
      }
      keys.add(k);
      trailers.add(tr);
      maxSeq.add(active.isEmpty() ? -1L : active.lastKey());
    }
    long[] t = new long[trailers.size()];
    long[] m = new long[maxSeq.size()];
    for (int j = 0; j < t.length; j++) {
      t[j] = trailers.get(j);
      m[j] = maxSeq.get(j);
    }
    return new RangeTombstones(keys.toArray(new byte[0][]), t, m);
  }

  /** The same fragments with a cursor of its own (for another scan). */
  RangeTombstones forScan() {
    return new RangeTombstones(keys, trailers, maxSeq);
  }

  /** Whether the entry {@code (k[off, off + len), trailer)} is deleted by a range deletion. */
  boolean covers(byte[] k, int off, int len, long trailer) {
    int n = keys.length;
    if (compare(cursor, k, off, len, trailer) > 0) {
      cursor = search(k, off, len, trailer);
    } else {
      int steps = 0;
      while (cursor + 1 < n && compare(cursor + 1, k, off, len, trailer) <= 0) {
        cursor++;
        if (++steps == 8) {
          cursor = search(k, off, len, trailer);
          break;
        }
      }
    }
    if (compare(cursor, k, off, len, trailer) > 0) {
      return false;
    }
    return maxSeq[cursor] > (trailer >>> 8);
  }

  /** The last bound at or before the entry (0 when it precedes every bound). */
  private int search(byte[] k, int off, int len, long trailer) {
    int lo = 0;
    int hi = keys.length - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (compare(mid, k, off, len, trailer) <= 0) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /** Bound {@code i} against the entry. */
  private int compare(int i, byte[] k, int off, int len, long trailer) {
    byte[] b = keys[i];
    int c = InternalKeys.compareUserKeys(b, 0, b.length, k, off, len);
    return c != 0 ? c : Long.compareUnsigned(trailer, trailers[i]);
  }
}
