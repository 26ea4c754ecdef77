package io.offsync.protocol.snapshot;

import io.offsync.protocol.snapshot.sst.KeyValueIterator;
import java.io.IOException;
import java.nio.file.Path;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * RocksDB's own iterator over a column family as a {@link KeyValueIterator}: the fallback for checkpoints the Java
 * SST reader does not read. Each key and value is copied out of RocksDB once per position, on first access.
 */
final class RocksKeyValues implements KeyValueIterator {

  private final Path dir;
  private final RocksIterator it;
  private final ReadOptions readOptions;
  private byte[] key;
  private byte[] value;

  RocksKeyValues(Path dir, RocksIterator it, ReadOptions readOptions) {
    this.dir = dir;
    this.it = it;
    this.readOptions = readOptions;
  }

  @Override
  public void seekToFirst() throws IOException {
    it.seekToFirst();
    moved();
  }

  @Override
  public void seek(byte[] k) throws IOException {
    it.seek(k);
    moved();
  }

  @Override
  public void next() throws IOException {
    it.next();
    moved();
  }

  private void moved() throws IOException {
    key = null;
    value = null;
    if (!it.isValid()) {
      try {
        it.status();
      } catch (RocksDBException e) {
        throw new IOException("reading snapshot " + dir + " failed: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public boolean valid() {
    return it.isValid();
  }

  @Override
  public byte[] keyArray() {
    if (key == null) {
      key = it.key();
    }
    return key;
  }

  @Override
  public int keyOffset() {
    return 0;
  }

  @Override
  public int keyLength() {
    return keyArray().length;
  }

  @Override
  public byte[] valueArray() {
    if (value == null) {
      value = it.value();
    }
    return value;
  }

  @Override
  public int valueOffset() {
    return 0;
  }

  @Override
  public int valueLength() {
    return valueArray().length;
  }

  @Override
  public void close() {
    it.close();
    readOptions.close();
  }
}
