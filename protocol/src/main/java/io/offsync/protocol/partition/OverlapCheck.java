package io.offsync.protocol.partition;

import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.RowCompression;
import io.offsync.protocol.codec.RowFormatException;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Tablet;
import io.offsync.protocol.openmldb.Type;
import io.offsync.protocol.snapshot.DiskTableLayout;
import io.offsync.protocol.snapshot.SnapshotReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Tells whether a binlog put is already in a snapshot's checkpoint: the overlap of a snapshot taken by a live
 * tablet.
 *
 * <p>Why there is an overlap: OpenMLDB's {@code DiskTableSnapshot::MakeSnapshot} reads the table's offset, then
 * creates the RocksDB checkpoint, then writes {@code MANIFEST.offset} = the offset it read; {@code DiskTable::Put}
 * writes RocksDB before it counts the offset, and the tablet appends the binlog entry after that. Puts that land in
 * between are in the checkpoint <em>and</em> in the binlog after {@code MANIFEST.offset}. A put is one RocksDB write
 * batch over all its dimensions, so it is in the checkpoint in every column family or in none.
 *
 * <p>Only puts that carry index 0's dimension (or no dimension and a pk, which is index 0's) are compared: the
 * reader skips every other put before it gets here, because on a table with several indexes a client also sends the
 * row to the partitions its other index keys hash to, with only their dimensions, and those copies are not this
 * partition's rows ({@link PartitionReader}). They neither match nor miss, so they never end the overlap.
 *
 * <p>The test: the put's row is in the checkpoint when index 0's column family holds the key (index 0's dimension
 * key, index 0's ts: its ts column from the decoded row, or the put time) with a value byte-equal to the put's value
 * (or equal after snappy decompression, for kSnappy tables). Deletes are never "in the checkpoint".
 *
 * <p>A put the checkpoint holds was sent by the snapshot read only if that read yields it: it is not past index 0's
 * TTL at its rank, and in mode 1 its index-0 ts is not below {@code startTs}. Otherwise the binlog read sends it (its
 * own mode-1 filter applies), so a held row is sent once whichever read yields it.
 *
 * <p>The one ambiguity: a disk table keeps one value per (key, ts), so a put of an identical row (same key, ts and
 * value) inside the overlap is an overwrite that leaves the checkpoint unchanged; it cannot be told from the put the
 * checkpoint holds, and the row is sent once.
 *
 * <p>Holds the checkpoint open (native RocksDB resources): close it. Not thread-safe.
 */
final class OverlapCheck implements AutoCloseable {

  /** What the checkpoint says of a put. */
  enum Verdict {
    /** Not in the checkpoint: a row of the binlog. */
    NOT_HELD,
    /** In the checkpoint and yielded by the snapshot read: already sent. */
    SENT,
    /** In the checkpoint, but the snapshot read did not yield it (TTL, mode-1 filter). */
    HELD_NOT_SENT
  }

  private final SnapshotReader checkpoint;
  private final DiskTableLayout layout;
  private final TableSchema schema;
  private final Type.CompressType compressType;
  private final int mode;
  private final long startTs;
  private final long nowMillis;

  /**
   * @param mode, startTs, nowMillis those of the snapshot read (its mode-1 filter and the time of its TTL)
   */
  OverlapCheck(SnapshotReader checkpoint, NS.TableInfo table, int mode, long startTs, long nowMillis) {
    this.checkpoint = checkpoint;
    this.mode = mode;
    this.startTs = startTs;
    this.nowMillis = nowMillis;
    this.layout = checkpoint.layout();
    this.schema = TableSchema.of(table);
    this.compressType = table.getCompressType();
  }

  /** What the checkpoint says of the put {@code entry}, whose value decompresses to {@code row}. */
  Verdict check(Tablet.LogEntry entry, byte[] row) throws IOException {
    Held held = held(entry, row);
    if (held == null) {
      return Verdict.NOT_HELD;
    }
    if ((mode == 1 && Long.compareUnsigned(held.ts(), startTs) < 0)
        || !checkpoint.visible(held.pk().getBytes(StandardCharsets.UTF_8), held.ts(), nowMillis)) {
      return Verdict.HELD_NOT_SENT;
    }
    return Verdict.SENT;
  }

  private record Held(DiskTableLayout.Index index, String pk, long ts) {}

  /** Where index 0 of the checkpoint holds the put (an index-0 put, see the class description), or null. */
  private Held held(Tablet.LogEntry entry, byte[] row) throws IOException {
    DiskTableLayout.Index index = layout.index(0);
    String pk = null;
    for (Tablet.Dimension d : entry.getDimensionsList()) {
      if (d.getIdx() == 0) {
        pk = d.getKey();
      }
    }
    if (pk == null && entry.getDimensionsCount() == 0 && entry.hasPk()) {
      pk = entry.getPk();
    }
    if (pk == null) {
      return null;
    }
    long ts;
    try {
      ts = index.tsColumn() == null ? entry.getTs() : layout.ts(index, RowCodec.decode(schema, row, 0), entry.getTs());
    } catch (RowFormatException e) {
      throw new IOException("binlog entry " + entry.getLogIndex() + " cannot be compared with snapshot "
          + checkpoint.directory() + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      return null; // no usable ts: the tablet refuses such a put, so it is not in the checkpoint either
    }
    byte[] stored = checkpoint.get(index, layout.key(index, pk, ts));
    if (stored == null) {
      return null;
    }
    Held held = new Held(index, pk, ts);
    if (Arrays.equals(stored, entry.getValue().toByteArray())) {
      return held;
    }
    if (compressType != Type.CompressType.kSnappy) {
      return null;
    }
    try {
      return Arrays.equals(RowCompression.decompress(stored, compressType), row) ? held : null;
    } catch (RowFormatException e) {
      throw new IOException("snapshot " + checkpoint.directory() + ": the value of key " + pk + "@" + ts
          + " cannot be decompressed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    checkpoint.close();
  }
}
