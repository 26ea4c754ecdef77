package io.offsync.protocol.snapshot.sst;

import java.io.IOException;

/** The entries of one SST file in internal-key order: its index block, then each data block it points to. */
final class TableIter extends InternalIter {

  static final int READAHEAD = 256 << 10;

  private SstFile file;
  private final BlockReader reader;
  private BlockIter index;
  private final BlockIter data = new BlockIter(false, false, false, false);
  private boolean valid;
  private long trailer;

  TableIter(SstFile file, BlockReader reader) throws IOException {
    this.reader = reader;
    file(file);
  }

  /** Re-targets the iterator at another file (unpositioned). */
  void file(SstFile f) throws IOException {
    file = f;
    reader.file(f);
    index = new BlockIter(true, f.indexDeltaValues, f.indexFirstKey, f.indexUserKeys);
    index.reset(f.indexBlock, f.indexOffset, f.indexLength, f.path + " index block");
    valid = false;
  }

  @Override
  void seekToFirst() throws IOException {
    index.seekToFirst();
    if (index.valid()) {
      loadBlock();
      data.seekToFirst();
    }
    skipEmptyBlocks();
  }

  @Override
  void seek(byte[] t, int to, int tl) throws IOException {
    index.seek(t, to, tl, InternalKeys.SEEK_TRAILER);
    if (index.valid()) {
      loadBlock();
      data.seek(t, to, tl, InternalKeys.SEEK_TRAILER);
    }
    skipEmptyBlocks();
  }

  @Override
  void next() throws IOException {
    data.next();
    skipEmptyBlocks();
  }

  private void loadBlock() throws IOException {
    reader.read(index.handleOffset(), index.handleSize());
    data.reset(reader.array(), reader.offset(), reader.length(), file.path + " block at " + index.handleOffset());
  }

  private void skipEmptyBlocks() throws IOException {
    while (index.valid() && !data.valid()) {
      index.next();
      if (index.valid()) {
        loadBlock();
        data.seekToFirst();
      }
    }
    valid = index.valid() && data.valid();
    if (valid) {
      long stored = InternalKeys.le64(data.keyArray(), data.keyOffset() + data.keyLength() - InternalKeys.TRAILER_LEN);
      trailer = file.globalSeqno < 0 ? stored : file.globalSeqno << 8 | (stored & 0xff);
    }
  }

  @Override
  boolean valid() {
    return valid;
  }

  @Override
  byte[] keyArray() {
    return data.keyArray();
  }

  @Override
  int keyOffset() {
    return data.keyOffset();
  }

  @Override
  int userKeyLength() {
    return data.keyLength() - InternalKeys.TRAILER_LEN;
  }

  @Override
  long trailer() {
    return trailer;
  }

  @Override
  byte[] valueArray() {
    return data.data();
  }

  @Override
  int valueOffset() {
    return data.valueOffset();
  }

  @Override
  int valueLength() {
    return data.valueLength();
  }
}
