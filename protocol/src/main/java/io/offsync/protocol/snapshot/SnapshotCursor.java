package io.offsync.protocol.snapshot;

import io.offsync.protocol.codec.RowCompression;
import io.offsync.protocol.codec.RowFormatException;
import io.offsync.protocol.openmldb.Type;
import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * Iterates index 0 of a snapshot in key order: pk bytewise, then per pk newest first.
 *
 * <p>Only rows of index 0's ts column are seen when its column family is shared. TTL: rows are ranked per pk
 * (1 = newest); the first expired row of a pk ends that pk (expiry is monotone in ts and rank). Resuming from a key
 * counts the rank of the rows of that pk before it, so a latest-N TTL gives the same rows with or without a resume
 * (OpenMLDB's DataCollector resumes by {@code Seek(pk, ts)}, which restarts the rank at the resume point; this
 * cursor does not repeat that).
 *
 * <p>{@link #key()} is the exact position of the current row: a cursor opened at that key starts with this row.
 * Usage: {@code while (c.next()) { c.key(); c.ts(); c.row(); }}. Not thread-safe; close it (or its reader).
 */
public final class SnapshotCursor implements AutoCloseable {

  private final SnapshotReader owner;
  private final RocksIterator it;
  private final ReadOptions readOptions;
  private final boolean withId;
  private final int tsId;
  private final int suffix;
  private final Ttl ttl;
  private final Ttl.Checker checker;
  private final Type.CompressType compressType;

  private byte[] lastPk;
  private long rank;
  private boolean started;
  private boolean valid;
  private boolean closed;
  private byte[] key;
  private long ts;
  private byte[] row;

  SnapshotCursor(SnapshotReader owner, RocksIterator it, ReadOptions readOptions, boolean withId, int tsId, Ttl ttl,
                 Ttl.Checker checker, Type.CompressType compressType) {
    this.owner = owner;
    this.it = it;
    this.readOptions = readOptions;
    this.withId = withId;
    this.tsId = tsId;
    this.suffix = withId ? DiskKey.TS_ID_LEN + DiskKey.TS_LEN : DiskKey.TS_LEN;
    this.ttl = ttl;
    this.checker = checker;
    this.compressType = compressType;
  }

  void position(byte[] fromKey) throws IOException {
    if (fromKey == null) {
      it.seekToFirst();
      return;
    }
    if (fromKey.length < suffix) {
      throw new IllegalArgumentException("resume key " + HexFormat.of().formatHex(fromKey) + " is too short for "
          + "index 0 of snapshot " + owner.directory() + " (at least " + suffix + " bytes)");
    }
    int pkLen = fromKey.length - suffix;
    if (ttl.usesRank()) {
      byte[] pk = Arrays.copyOf(fromKey, pkLen);
      it.seek(keyOf(pk, -1L));
      long before = 0;
      while (it.isValid() && Long.compareUnsigned(before, ttl.latTtl()) <= 0) {
        byte[] k = it.key();
        if (KeyTSComparator.compareKeys(k, fromKey) >= 0 || k.length < suffix
            || !samePk(k, k.length - suffix, pk) || (withId && DiskKey.readIntLE(k, k.length - suffix) != tsId)) {
          break;
        }
        before++;
        it.next();
      }
      checkStatus();
      lastPk = pk;
      rank = before;
    }
    it.seek(fromKey);
  }

  /** Moves to the next visible row; false at the end. */
  public boolean next() throws IOException {
    if (closed) {
      throw new IllegalStateException("cursor is closed");
    }
    if (!started) {
      started = true;
    } else if (valid) {
      it.next();
    } else {
      return false;
    }
    valid = advance();
    if (!valid) {
      key = null;
      row = null;
    }
    return valid;
  }

  private boolean advance() throws IOException {
    byte[] skipPk = null;
    while (it.isValid()) {
      byte[] k = it.key();
      if (k.length < suffix) {
        throw new IOException("snapshot " + owner.directory() + " has a key of " + k.length + " bytes in index 0's "
            + "column family (" + HexFormat.of().formatHex(k) + "), expected at least " + suffix + "; the table "
            + "description does not match this snapshot");
      }
      int pkLen = k.length - suffix;
      if (withId && DiskKey.readIntLE(k, pkLen) != tsId) {
        it.next();
        continue;
      }
      if (skipPk != null && samePk(k, pkLen, skipPk)) {
        it.next();
        continue;
      }
      long t = DiskKey.readLongLE(k, k.length - DiskKey.TS_LEN);
      if (lastPk != null && samePk(k, pkLen, lastPk)) {
        rank++;
      } else {
        lastPk = Arrays.copyOf(k, pkLen);
        rank = 1;
      }
      if (checker.isExpired(t, rank)) {
        skipPk = lastPk;
        it.seek(keyOf(lastPk, 0));
        continue;
      }
      key = k;
      ts = t;
      row = null;
      return true;
    }
    checkStatus();
    return false;
  }

  private byte[] keyOf(byte[] pk, long t) {
    return withId ? DiskKey.encode(pk, tsId, t) : DiskKey.encode(pk, t);
  }

  private static boolean samePk(byte[] k, int pkLen, byte[] pk) {
    return pkLen == pk.length && Arrays.equals(k, 0, pkLen, pk, 0, pkLen);
  }

  private void checkStatus() throws IOException {
    try {
      it.status();
    } catch (RocksDBException e) {
      throw new IOException("reading snapshot " + owner.directory() + " failed: " + e.getMessage(), e);
    }
  }

  private void requireRow() {
    if (!valid) {
      throw new IllegalStateException("no current row: call next() first and only while it returns true");
    }
  }

  /** The current row's raw RocksDB key: its exact resumable position. The array is the caller's. */
  public byte[] key() {
    requireRow();
    return key;
  }

  /** The current row's pk bytes (UTF-8 of the pk string). */
  public byte[] pk() {
    requireRow();
    return Arrays.copyOf(key, key.length - suffix);
  }

  /** The current row's timestamp (unsigned 64-bit). */
  public long ts() {
    requireRow();
    return ts;
  }

  /** The current row's encoded row, snappy already undone for kSnappy tables. */
  public byte[] row() throws IOException {
    requireRow();
    if (row == null) {
      byte[] value = it.value();
      try {
        row = RowCompression.decompress(value, compressType);
      } catch (RowFormatException e) {
        throw new IOException("snapshot " + owner.directory() + ": the value at key " + HexFormat.of().formatHex(key)
            + " cannot be decompressed: " + e.getMessage(), e);
      }
    }
    return row;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    valid = false;
    it.close();
    readOptions.close();
    owner.forget(this);
  }
}
