package io.offsync.protocol.position;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A position inside a disk snapshot.
 *
 * @param manifestName the checkpoint directory name from the snapshot's MANIFEST; {@code null} means "whatever
 *     snapshot is current when the stream opens" (only valid together with {@code nextKey == null})
 * @param manifestOffset the binlog offset the snapshot covers (MANIFEST.offset); the binlog phase starts after it
 * @param nextKey the raw RocksDB key (index 0's column family) of the next row to read, inclusive; {@code null}
 *     means the first row
 */
public record SnapshotPosition(String manifestName, long manifestOffset, byte[] nextKey) implements Position {

  static final SnapshotPosition START = new SnapshotPosition(null, 0, null);

  public SnapshotPosition {
    if (manifestName == null && nextKey != null) {
      throw new IllegalArgumentException("a snapshot key position needs the snapshot's manifest name");
    }
  }

  /** The binlog position that follows this snapshot: MANIFEST.offset + 1. */
  public BinlogPosition handOver() {
    return new BinlogPosition(manifestOffset + 1);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SnapshotPosition p
        && manifestOffset == p.manifestOffset
        && Objects.equals(manifestName, p.manifestName)
        && Arrays.equals(nextKey, p.nextKey);
  }

  @Override
  public int hashCode() {
    return 31 * Objects.hash(manifestName, manifestOffset) + Arrays.hashCode(nextKey);
  }

  @Override
  public String toString() {
    return "snapshot(" + manifestName + "@" + manifestOffset + ", key="
        + (nextKey == null ? "start" : HexFormat.of().formatHex(nextKey)) + ")";
  }
}
