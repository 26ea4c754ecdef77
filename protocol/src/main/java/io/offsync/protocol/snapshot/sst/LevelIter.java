package io.offsync.protocol.snapshot.sst;

import java.io.IOException;
import java.util.List;

/** The entries of one sorted level (L1 and up): its files are disjoint and ordered, read one after the other. */
final class LevelIter extends InternalIter {

  private final List<SstFile> files;
  private final TableIter table;
  private int current = -1;

  /** @param files the level's files in key order */
  LevelIter(List<SstFile> files, BlockReader reader) throws IOException {
    this.files = files;
    this.table = new TableIter(files.get(0), reader);
  }

  @Override
  void seekToFirst() throws IOException {
    open(0);
    table.seekToFirst();
    skipExhausted();
  }

  @Override
  void seek(byte[] t, int to, int tl) throws IOException {
    int lo = 0;
    int hi = files.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      byte[] largest = files.get(mid).meta.largest();
      if (InternalKeys.compareInternal(largest, 0, largest.length, t, to, tl, InternalKeys.SEEK_TRAILER) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo == files.size()) {
      current = files.size();
      return;
    }
    open(lo);
    table.seek(t, to, tl);
    skipExhausted();
  }

  @Override
  void next() throws IOException {
    table.next();
    skipExhausted();
  }

  private void open(int i) throws IOException {
    current = i;
    table.file(files.get(i));
  }

  private void skipExhausted() throws IOException {
    while (!table.valid() && current + 1 < files.size()) {
      open(current + 1);
      table.seekToFirst();
    }
    if (!table.valid()) {
      current = files.size();
    }
  }

  @Override
  boolean valid() {
    return current < files.size() && current >= 0 && table.valid();
  }

  @Override
  byte[] keyArray() {
    return table.keyArray();
  }

  @Override
  int keyOffset() {
    return table.keyOffset();
  }

  @Override
  int userKeyLength() {
    return table.userKeyLength();
  }

  @Override
  long trailer() {
    return table.trailer();
  }

  @Override
  byte[] valueArray() {
    return table.valueArray();
  }

  @Override
  int valueOffset() {
    return table.valueOffset();
  }

  @Override
  int valueLength() {
    return table.valueLength();
  }
}
