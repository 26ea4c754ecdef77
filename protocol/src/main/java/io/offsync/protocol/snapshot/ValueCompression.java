package io.offsync.protocol.snapshot;

import io.offsync.protocol.openmldb.Type;
import java.io.IOException;
import org.xerial.snappy.Snappy;

/** Values of kSnappy tables are raw snappy blocks of the encoded row. */
final class ValueCompression {

  private ValueCompression() {}

  static byte[] decompress(byte[] value, Type.CompressType type) throws IOException {
    return type == Type.CompressType.kSnappy ? Snappy.uncompress(value) : value;
  }

  static byte[] compress(byte[] row, Type.CompressType type) throws IOException {
    return type == Type.CompressType.kSnappy ? Snappy.compress(row) : row;
  }
}
