package io.offsync.protocol.snapshot.sst;

/**
 * A cursor over one block of a block-based table: prefix-compressed entries
 * {@code shared varint32, non_shared varint32, [value_length varint32], key_delta, value}, then the restart array
 * (uint32 LE offsets) and a uint32 footer holding the restart count (its top bit marks a data-block hash index,
 * which is skipped: seeks use the restart array).
 *
 * <p>Data blocks and pre-format_version-4 index blocks store the value length; index blocks with delta-encoded values
 * ({@code rocksdb.index.value.is.delta.encoded}) do not: their value is a block handle ({@code offset varint64,
 * size varint64}) when the key shares nothing with the previous one, else the size's zigzag delta to the previous
 * handle (the block follows the previous one and its 5-byte trailer). For an index block the current entry's handle
 * is in {@link #handleOffset()} / {@link #handleSize()}.
 *
 * <p>The key of the current entry is {@code keyArray()[keyOffset(), keyOffset() + keyLength())}: inside the block when
 * it shares no prefix, else in a buffer of this cursor; both stay valid until the cursor moves. A malformed block
 * throws {@link SstCorruptionException}.
 */
final class BlockIter {

  private static final int MAX_BLOCK_SIZE_WITH_HASH_INDEX = 1 << 16;

  private final boolean index;
  private final boolean valueDeltaEncoded;
  private final boolean indexFirstKey;
  private final boolean userKeys;

  private byte[] data;
  private int base;
  private int restarts;
  private int numRestarts;
  private String where;

  private int current;
  private int nextEntry;
  private byte[] keyBuf = new byte[64];
  private byte[] keyArr;
  private int keyOff;
  private int keyLen;
  private int valueOff;
  private int valueLen;
  private long handleOffset;
  private long handleSize;
  private boolean valid;
  private int p;

  /**
   * @param index whether the block is an index block (values are block handles)
   * @param valueDeltaEncoded index values without length, delta-encoded (format_version &gt;= 4)
   * @param indexFirstKey index values carry the block's first key (kBinarySearchWithFirstKey)
   * @param userKeys keys are user keys (an index with {@code rocksdb.index.key.is.user.key}), else internal keys
   */
  BlockIter(boolean index, boolean valueDeltaEncoded, boolean indexFirstKey, boolean userKeys) {
    this.index = index;
    this.valueDeltaEncoded = valueDeltaEncoded;
    this.indexFirstKey = indexFirstKey;
    this.userKeys = userKeys;
  }

  /** Points the cursor at the block {@code data[off, off + len)} (unpositioned). */
  void reset(byte[] data, int off, int len, String where) throws SstCorruptionException {
    this.data = data;
    this.base = off;
    this.where = where;
    this.valid = false;
    if (len < 4) {
      throw new SstCorruptionException(where + ": block of " + len + " bytes is too short");
    }
    int end = off + len;
    int footer = InternalKeys.le32(data, end - 4);
    int n = footer;
    int restartEnd = end - 4;
    if (len <= MAX_BLOCK_SIZE_WITH_HASH_INDEX && footer < 0) {
      n = footer & 0x7FFFFFFF;
      if (len < 6) {
        throw new SstCorruptionException(where + ": block with a hash index of " + len + " bytes is too short");
      }
      int buckets = (data[end - 6] & 0xff) | (data[end - 5] & 0xff) << 8;
      restartEnd = end - 6 - buckets;
    }
    if (n < 0 || (long) n * 4 > restartEnd - off || (n == 0 && restartEnd > off)) {
      throw new SstCorruptionException(where + ": block of " + len + " bytes claims " + (n & 0xFFFFFFFFL)
          + " restart points");
    }
    this.numRestarts = n;
    this.restarts = restartEnd - 4 * n;
  }

  boolean valid() {
    return valid;
  }

  byte[] keyArray() {
    return keyArr;
  }

  int keyOffset() {
    return keyOff;
  }

  int keyLength() {
    return keyLen;
  }

  int valueOffset() {
    return valueOff;
  }

  int valueLength() {
    return valueLen;
  }

  long handleOffset() {
    return handleOffset;
  }

  long handleSize() {
    return handleSize;
  }

  byte[] data() {
    return data;
  }

  void seekToFirst() throws SstCorruptionException {
    if (numRestarts == 0) {
      valid = false;
      return;
    }
    seekToRestart(0);
    parseNext();
  }

  void next() throws SstCorruptionException {
    parseNext();
  }

  /**
   * Moves to the first entry at or after the internal key {@code (t[to, to + tl), trailer)} (for a user-key index:
   * the first entry whose user key is at or after {@code t}).
   */
  void seek(byte[] t, int to, int tl, long trailer) throws SstCorruptionException {
    if (numRestarts == 0) {
      valid = false;
      return;
    }
    int lo = 0;
    int hi = numRestarts - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      seekToRestart(mid);
      parseNext();
      if (!valid) {
        throw new SstCorruptionException(where + ": restart point " + mid + " has no entry");
      }
      if (compare(t, to, tl, trailer) < 0) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    seekToRestart(lo);
    parseNext();
    while (valid && compare(t, to, tl, trailer) < 0) {
      parseNext();
    }
  }

  private int compare(byte[] t, int to, int tl, long trailer) {
    return userKeys
        ? InternalKeys.compareUserKeys(keyArr, keyOff, keyLen, t, to, tl)
        : InternalKeys.compareInternal(keyArr, keyOff, keyLen, t, to, tl, trailer);
  }

  private void seekToRestart(int i) {
    nextEntry = base + InternalKeys.le32(data, restarts + 4 * i);
    keyLen = 0;
    keyArr = keyBuf;
  }

  private void parseNext() throws SstCorruptionException {
    current = nextEntry;
    if (current >= restarts) {
      valid = false;
      return;
    }
    p = current;
    int shared;
    int nonShared;
    int vlen = 0;
    boolean hasValueLength = !(index && valueDeltaEncoded);
    if (hasValueLength) {
      int b0 = data[p] & 0xff;
      int b1 = data[p + 1] & 0xff;
      int b2 = p + 2 < restarts ? data[p + 2] & 0xff : 0xff;
      if ((b0 | b1 | b2) < 128) {
        shared = b0;
        nonShared = b1;
        vlen = b2;
        p += 3;
      } else {
        shared = varint32();
        nonShared = varint32();
        vlen = varint32();
      }
    } else {
      shared = varint32();
      nonShared = varint32();
    }
    if (shared > keyLen || nonShared < 0 || vlen < 0 || (long) p + nonShared + vlen > restarts) {
      throw new SstCorruptionException(where + ": bad entry at block offset " + (current - base));
    }
    if (shared == 0) {
      keyArr = data;
      keyOff = p;
    } else {
      if (keyArr != keyBuf) {
        System.arraycopy(keyArr, keyOff, ensureKeyBuf(shared + nonShared, 0), 0, shared);
      } else {
        ensureKeyBuf(shared + nonShared, shared);
      }
      System.arraycopy(data, p, keyBuf, shared, nonShared);
      keyArr = keyBuf;
      keyOff = 0;
    }
    keyLen = shared + nonShared;
    p += nonShared;
    if (!userKeys && keyLen < InternalKeys.TRAILER_LEN) {
      throw new SstCorruptionException(where + ": internal key of " + keyLen + " bytes at block offset "
          + (current - base));
    }
    if (!index) {
      valueOff = p;
      valueLen = vlen;
      nextEntry = p + vlen;
    } else {
      int valueEnd = hasValueLength ? p + vlen : restarts;
      valueOff = p;
      if (valueDeltaEncoded && shared != 0) {
        long delta = varint64(valueEnd);
        handleOffset = handleOffset + handleSize + SstFile.BLOCK_TRAILER_LEN;
        handleSize = handleSize + ((delta >>> 1) ^ -(delta & 1));
      } else {
        handleOffset = varint64(valueEnd);
        handleSize = varint64(valueEnd);
      }
      if (indexFirstKey) {
        int firstKeyLen = (int) varint64(valueEnd);
        p += firstKeyLen;
      }
      if (p > valueEnd) {
        throw new SstCorruptionException(where + ": bad index value at block offset " + (current - base));
      }
      valueLen = p - valueOff;
      nextEntry = hasValueLength ? valueEnd : p;
    }
    valid = true;
  }

  private byte[] ensureKeyBuf(int size, int keep) {
    if (keyBuf.length < size) {
      byte[] b = new byte[Math.max(size, keyBuf.length * 2)];
      System.arraycopy(keyBuf, 0, b, 0, keep);
      keyBuf = b;
    }
    return keyBuf;
  }

  private int varint32() throws SstCorruptionException {
    long v = varint64(restarts);
    if (v > Integer.MAX_VALUE) {
      throw new SstCorruptionException(where + ": varint32 out of range at block offset " + (current - base));
    }
    return (int) v;
  }

  private long varint64(int limit) throws SstCorruptionException {
    long result = 0;
    for (int shift = 0; shift <= 63 && p < limit; shift += 7) {
      int b = data[p++] & 0xff;
      result |= (long) (b & 0x7f) << shift;
      if (b < 128) {
        return result;
      }
    }
    throw new SstCorruptionException(where + ": truncated varint at block offset " + (current - base));
  }
}
