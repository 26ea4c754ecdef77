package io.offsync.protocol.snapshot.sst;

import java.io.IOException;

/**
 * A sorted run of internal entries: one SST file, or one level of disjoint files. The current entry's user key is
 * {@code keyArray()[keyOffset(), keyOffset() + userKeyLength())}, its trailer {@link #trailer()} (the file's global
 * sequence number already applied), its value {@code valueArray()[valueOffset(), +valueLength())}; all valid until
 * the iterator moves.
 */
abstract class InternalIter {

  abstract void seekToFirst() throws IOException;

  /** Moves to the first entry whose user key is at or after {@code t[to, to + tl)}. */
  abstract void seek(byte[] t, int to, int tl) throws IOException;

  abstract void next() throws IOException;

  abstract boolean valid();

  abstract byte[] keyArray();

  abstract int keyOffset();

  abstract int userKeyLength();

  abstract long trailer();

  abstract byte[] valueArray();

  abstract int valueOffset();

  abstract int valueLength();
}
