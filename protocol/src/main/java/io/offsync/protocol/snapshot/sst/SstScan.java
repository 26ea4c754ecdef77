package io.offsync.protocol.snapshot.sst;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A merge of the sorted runs of one column family (each L0 file, each deeper level): internal keys in order (user
 * key by KeyTSComparator, then newest first). An entry a range deletion covers (see {@link RangeTombstones}) is
 * skipped by itself; of the rest, per user key only the newest entry counts: a value is shown, a deletion or single
 * deletion hides the key. Any other entry type (merge operand, blob index, wide-column entity,
 * ...) throws {@link UnsupportedCheckpointException} (the file properties exclude them before a scan starts).
 */
final class SstScan implements KeyValueIterator {

  private final Path dir;
  private final InternalIter[] heap;
  private final RangeTombstones tombstones;
  private int size;
  private byte[] userKey = new byte[64];
  private int userKeyLen;
  private boolean valid;

  SstScan(Path dir, List<InternalIter> runs, RangeTombstones tombstones) {
    this.dir = dir;
    this.tombstones = tombstones;
    this.heap = runs.toArray(new InternalIter[0]);
  }

  @Override
  public void seekToFirst() throws IOException {
    for (InternalIter r : heap) {
      r.seekToFirst();
    }
    rebuild();
    findVisible(false);
  }

  @Override
  public void seek(byte[] key) throws IOException {
    for (InternalIter r : heap) {
      r.seek(key, 0, key.length);
    }
    rebuild();
    findVisible(false);
  }

  @Override
  public void next() throws IOException {
    if (valid) {
      findVisible(true);
    }
  }

  private void findVisible(boolean skipCurrent) throws IOException {
    boolean skipping = skipCurrent;
    while (size > 0) {
      InternalIter top = heap[0];
      byte[] k = top.keyArray();
      int ko = top.keyOffset();
      int kl = top.userKeyLength();
      if (skipping && InternalKeys.sameUserKey(k, ko, kl, userKey, 0, userKeyLen)) {
        advanceTop();
        continue;
      }
      if (tombstones != null && tombstones.covers(k, ko, kl, top.trailer())) {
        advanceTop();
        continue;
      }
      if (userKey.length < kl) {
        userKey = new byte[Math.max(kl, userKey.length * 2)];
      }
      System.arraycopy(k, ko, userKey, 0, kl);
      userKeyLen = kl;
      int type = (int) top.trailer() & 0xff;
      if (type == InternalKeys.TYPE_VALUE) {
        valid = true;
        return;
      }
      if (type != InternalKeys.TYPE_DELETION && type != InternalKeys.TYPE_SINGLE_DELETION) {
        throw new UnsupportedCheckpointException(dir + " holds an entry of type " + type + " (only values and "
            + "deletions are read without RocksDB; their file properties promised none); read this checkpoint "
            + "through RocksDB: -Doffsync.snapshot.sst-reader=false");
      }
      skipping = true;
      advanceTop();
    }
    valid = false;
  }

  private void advanceTop() throws IOException {
    InternalIter top = heap[0];
    top.next();
    if (!top.valid()) {
      heap[0] = heap[--size];
      heap[size] = top;
    }
    if (size > 1) {
      siftDown(0);
    }
  }

  private void rebuild() {
    int n = 0;
    for (int i = 0; i < heap.length; i++) {
      if (heap[i].valid()) {
        InternalIter t = heap[n];
        heap[n] = heap[i];
        heap[i] = t;
        n++;
      }
    }
    size = n;
    for (int i = size / 2 - 1; i >= 0; i--) {
      siftDown(i);
    }
  }

  private void siftDown(int i) {
    InternalIter x = heap[i];
    while (true) {
      int c = 2 * i + 1;
      if (c >= size) {
        break;
      }
      if (c + 1 < size && less(heap[c + 1], heap[c])) {
        c++;
      }
      if (!less(heap[c], x)) {
        break;
      }
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = x;
  }

  private static boolean less(InternalIter a, InternalIter b) {
    int c = InternalKeys.compareUserKeys(a.keyArray(), a.keyOffset(), a.userKeyLength(), b.keyArray(), b.keyOffset(),
        b.userKeyLength());
    if (c != 0) {
      return c < 0;
    }
    return Long.compareUnsigned(b.trailer(), a.trailer()) < 0;
  }

  @Override
  public boolean valid() {
    return valid;
  }

  @Override
  public byte[] keyArray() {
    return userKey;
  }

  @Override
  public int keyOffset() {
    return 0;
  }

  @Override
  public int keyLength() {
    return userKeyLen;
  }

  @Override
  public byte[] valueArray() {
    return heap[0].valueArray();
  }

  @Override
  public int valueOffset() {
    return heap[0].valueOffset();
  }

  @Override
  public int valueLength() {
    return heap[0].valueLength();
  }

  @Override
  public void close() {
    valid = false;
    size = 0;
  }
}
