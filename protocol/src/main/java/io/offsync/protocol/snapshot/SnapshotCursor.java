package io.offsync.protocol.snapshot;

import io.offsync.protocol.codec.RowCompression;
import io.offsync.protocol.codec.RowFormatException;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.snapshot.sst.KeyValueIterator;
import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;

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
 * Usage: {@code while (c.next()) { c.key(); c.ts(); c.row(); }}. The entries come from the Java SST reader or from
 * RocksDB's iterator, as the reader chose (the same rows); a failed read (e.g. a block failing its checksum) is an
 * {@link IOException} naming the checkpoint. Not thread-safe; close it (or its reader).
 */
public final class SnapshotCursor implements AutoCloseable {

  private final SnapshotReader owner;
  private final KeyValueIterator it;
  private final boolean withId;
  private final int tsId;
  private final int suffix;
  private final Ttl ttl;
  private final Ttl.Checker checker;
  private final Type.CompressType compressType;

  private byte[] lastPk = new byte[32];
  private int lastPkLen = -1;
  private long rank;
  private boolean started;
  private boolean valid;
  private boolean closed;
  private byte[] key;
  private long ts;
  private byte[] row;

  SnapshotCursor(SnapshotReader owner, KeyValueIterator it, boolean withId, int tsId, Ttl ttl, Ttl.Checker checker,
                 Type.CompressType compressType) {
    this.owner = owner;
    this.it = it;
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
      it.seek(keyOf(pk, pkLen, -1L));
      long before = 0;
      while (it.valid() && Long.compareUnsigned(before, ttl.latTtl()) <= 0) {
        byte[] k = it.keyArray();
        int ko = it.keyOffset();
        int kl = it.keyLength();
        if (kl < suffix || KeyTSComparator.compareKeys(k, ko, kl, fromKey) >= 0
            || !samePk(k, ko, kl - suffix, pk, pkLen)
            || (withId && DiskKey.readIntLE(k, ko + kl - suffix) != tsId)) {
          break;
        }
        before++;
        it.next();
      }
      rememberPk(pk, 0, pkLen);
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
    key = null;
    row = null;
    valid = advance();
    return valid;
  }

  private boolean advance() throws IOException {
    boolean skipping = false;
    while (it.valid()) {
      byte[] k = it.keyArray();
      int ko = it.keyOffset();
      int kl = it.keyLength();
      if (kl < suffix) {
        throw new IOException("snapshot " + owner.directory() + " has a key of " + kl + " bytes in index 0's "
            + "column family (" + HexFormat.of().formatHex(k, ko, ko + kl) + "), expected at least " + suffix
            + "; the table description does not match this snapshot");
      }
      int pkLen = kl - suffix;
      if (withId && DiskKey.readIntLE(k, ko + pkLen) != tsId) {
        it.next();
        continue;
      }
      boolean samePk = lastPkLen >= 0 && samePk(k, ko, pkLen, lastPk, lastPkLen);
      if (skipping && samePk) {
        it.next();
        continue;
      }
      long t = DiskKey.readLongLE(k, ko + kl - DiskKey.TS_LEN);
      if (samePk) {
        rank++;
      } else {
        rememberPk(k, ko, pkLen);
        rank = 1;
      }
      if (checker.isExpired(t, rank)) {
        skipping = true;
        it.seek(keyOf(lastPk, lastPkLen, 0));
        continue;
      }
      ts = t;
      return true;
    }
    return false;
  }

  private void rememberPk(byte[] k, int ko, int pkLen) {
    if (lastPk.length < pkLen) {
      lastPk = new byte[Math.max(pkLen, lastPk.length * 2)];
    }
    System.arraycopy(k, ko, lastPk, 0, pkLen);
    lastPkLen = pkLen;
  }

  private byte[] keyOf(byte[] pk, int pkLen, long t) {
    byte[] p = Arrays.copyOf(pk, pkLen);
    return withId ? DiskKey.encode(p, tsId, t) : DiskKey.encode(p, t);
  }

  private static boolean samePk(byte[] k, int ko, int pkLen, byte[] pk, int len) {
    return pkLen == len && Arrays.equals(k, ko, ko + pkLen, pk, 0, len);
  }

  private void requireRow() {
    if (!valid) {
      throw new IllegalStateException("no current row: call next() first and only while it returns true");
    }
  }

  /** The current row's raw RocksDB key: its exact resumable position. The array is the caller's. */
  public byte[] key() {
    requireRow();
    if (key == null) {
      int ko = it.keyOffset();
      key = Arrays.copyOfRange(it.keyArray(), ko, ko + it.keyLength());
    }
    return key;
  }

  /** The current row's pk bytes (UTF-8 of the pk string). */
  public byte[] pk() {
    requireRow();
    int ko = it.keyOffset();
    return Arrays.copyOfRange(it.keyArray(), ko, ko + it.keyLength() - suffix);
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
      try {
        row = RowCompression.decompress(it.valueArray(), it.valueOffset(), it.valueLength(), compressType);
      } catch (RowFormatException e) {
        throw new IOException("snapshot " + owner.directory() + ": the value at key "
            + HexFormat.of().formatHex(key()) + " cannot be decompressed: " + e.getMessage(), e);
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
    owner.forget(this);
  }
}
