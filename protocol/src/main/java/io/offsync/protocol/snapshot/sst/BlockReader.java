package io.offsync.protocol.snapshot.sst;

import java.io.IOException;

/**
 * Reads verified, uncompressed block contents of an {@link SstFile} through a read-ahead window: a sequential scan
 * costs one positional read per window, not per block. The contents returned ({@link #array()}, {@link #offset()},
 * {@link #length()}) stay valid until the next {@link #read}. Not thread-safe; one per iterator.
 */
final class BlockReader {

  private SstFile file;
  private final int readahead;
  private byte[] window = new byte[0];
  private long windowStart;
  private int windowLen;
  private final byte[][] inflated = new byte[1][];
  private byte[] array;
  private int offset;
  private int length;

  /**
   * @param file the file to read (may be re-targeted with {@link #file})
   * @param readahead how many bytes to read at once beyond the block asked for (0: just the block)
   */
  BlockReader(SstFile file, int readahead) {
    this.file = file;
    this.readahead = readahead;
  }

  void file(SstFile f) {
    if (f != file) {
      file = f;
      windowLen = 0;
    }
  }

  /** Reads the block at {@code blockOffset} of {@code size} bytes (trailer excluded). */
  void read(long blockOffset, long size) throws IOException {
    if (blockOffset < 0 || size < 0 || blockOffset + size + SstFile.BLOCK_TRAILER_LEN > file.size
        || size > Integer.MAX_VALUE - 64) {
      throw new SstCorruptionException(file.path + ": block handle (offset " + blockOffset + ", size " + size
          + ") lies outside the file of " + file.size + " bytes");
    }
    int need = (int) size + SstFile.BLOCK_TRAILER_LEN;
    if (blockOffset < windowStart || blockOffset + need > windowStart + windowLen) {
      int want = (int) Math.min(Math.max(need, (long) readahead), file.size - blockOffset);
      if (window.length < want) {
        window = new byte[want];
      }
      file.readFully(blockOffset, window, 0, want);
      windowStart = blockOffset;
      windowLen = want;
    }
    int off = (int) (blockOffset - windowStart);
    int n = (int) size;
    file.verify(window, off, n, blockOffset);
    int type = window[off + n] & 0xff;
    if (type == SstFile.COMPRESSION_NONE) {
      array = window;
      offset = off;
      length = n;
    } else if (type == SstFile.COMPRESSION_SNAPPY) {
      length = file.inflate(window, off, n, inflated, blockOffset);
      array = inflated[0];
      offset = 0;
    } else {
      throw new UnsupportedCheckpointException(file.path + ": the block at offset " + blockOffset
          + " uses compression type " + type + " (only none and snappy are read without RocksDB); read this "
          + "checkpoint through RocksDB: -Doffsync.snapshot.sst-reader=false");
    }
  }

  byte[] array() {
    return array;
  }

  int offset() {
    return offset;
  }

  int length() {
    return length;
  }
}
