package io.offsync.protocol.snapshot.sst;

import java.io.IOException;

/**
 * The visible entries of a column family in key order, as RocksDB's own iterator shows them: each user key once,
 * with its newest value; deleted keys absent. The current key is {@code keyArray()[keyOffset(), +keyLength())} and
 * its value {@code valueArray()[valueOffset(), +valueLength())}, both valid until the iterator moves. Not
 * thread-safe.
 */
public interface KeyValueIterator extends AutoCloseable {

  void seekToFirst() throws IOException;

  /** Moves to the first key at or after {@code key}. */
  void seek(byte[] key) throws IOException;

  void next() throws IOException;

  boolean valid();

  byte[] keyArray();

  int keyOffset();

  int keyLength();

  byte[] valueArray() throws IOException;

  int valueOffset() throws IOException;

  int valueLength() throws IOException;

  @Override
  void close();
}
