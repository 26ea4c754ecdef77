package io.offsync.collector;

import io.offsync.protocol.partition.PartitionRead;
import io.offsync.protocol.partition.PartitionReader;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import io.offsync.protocol.position.SnapshotPosition;
import java.io.IOException;
import java.util.Arrays;

/**
 * Cuts the rows of a {@link PartitionReader} into {@link RowPack}s: blocking, one pack per call, nothing read
 * ahead beyond the pack being built.
 *
 * <ul>
 *   <li>A pack holds at most {@code maxPackSize} row bytes; a row that does not fit the current pack starts the
 *       next one.
 *   <li>A row larger than {@code maxPackSize} is split: packs of exactly {@code maxPackSize} bytes with {@code
 *       next == null}, then the last part with the row's next position.
 *   <li>A pack never mixes snapshot and binlog rows: the hand-over to the binlog ends the pack.
 *   <li>Skipped rows (deletes, mode-1 filter, TTL) only move the position; a run of them with nothing to send
 *       yields a position-only pack once caught up or every {@value #SKIPS_PER_PACK} skips.
 *   <li>New binlog files of the tablet are hard-linked before each pack (and every few seconds by the entity,
 *       whatever the demand). Caught up with the binlog: new files are linked and reading goes on; if there is
 *       still nothing, the rows gathered so far go out at once (latency), or {@link Step.CaughtUp} says so.
 * </ul>
 *
 * <p>{@link #next} and {@link #close} are serialized: a close that arrives while a read is in flight (a cancelled
 * stream, a stopping collector) waits for that read to return, because closing the RocksDB snapshot under a
 * running iterator crashes the JVM. A read after close fails with an IOException.
 */
final class PackReader implements AutoCloseable {

  static final int SKIPS_PER_PACK = 4096;

  /** The outcome of one call. */
  sealed interface Step {
    record Pack(RowPack pack, long rows) implements Step {}

    /** Nothing to send right now; call again later. */
    record CaughtUp() implements Step {}

    /** Mode 0 reached the end it was asked for; the last pack was already returned. */
    record End() implements Step {}
  }

  private static final Step CAUGHT_UP = new Step.CaughtUp();
  private static final Step END = new Step.End();

  private final PartitionReader reader;
  private final PartitionLinks links;
  private final int maxPackSize;
  private final byte[] buffer;

  private Position emitted;
  private Position handOver;
  private byte[] pendingRow;
  private int pendingOffset;
  private Position pendingNext;
  private boolean ended;
  private boolean closed;

  /**
   * @param from the position the stream was asked to start at
   * @param handOver if not null, the first pack is a position-only pack moving there (a stream asked to start in
   *     a snapshot the tablet does not have starts in the binlog after it)
   */
  PackReader(PartitionReader reader, PartitionLinks links, int maxPackSize, Position from, Position handOver) {
    this.reader = reader;
    this.links = links;
    this.maxPackSize = maxPackSize;
    this.buffer = new byte[maxPackSize];
    this.emitted = from;
    this.handOver = handOver;
  }

  /** Reads the next pack. Errors (corrupt record, I/O) propagate with their message. */
  synchronized Step next() throws IOException {
    if (closed) {
      throw new IOException("the stream's reader is closed");
    }
    if (handOver != null) {
      Position to = handOver;
      handOver = null;
      return pack(0, 0, to);
    }
    if (pendingRow != null) {
      int remaining = pendingRow.length - pendingOffset;
      if (remaining > maxPackSize) {
        byte[] part = Arrays.copyOfRange(pendingRow, pendingOffset, pendingOffset + maxPackSize);
        pendingOffset += maxPackSize;
        return new Step.Pack(new RowPack(part, null), 0);
      }
      Position next = pendingNext;
      if (pendingOffset > 0) {
        byte[] part = Arrays.copyOfRange(pendingRow, pendingOffset, pendingRow.length);
        pendingRow = null;
        emitted = next;
        return new Step.Pack(new RowPack(part, next), 1);
      }
      System.arraycopy(pendingRow, 0, buffer, 0, remaining);
      pendingRow = null;
      return fill(remaining, 1, next);
    }
    if (ended) {
      return END;
    }
    links.linkBinlogs();
    return fill(0, 0, null);
  }

  private Step fill(int size, long rows, Position last) throws IOException {
    if (size > 0 && (size == maxPackSize || handsOver(last))) {
      return pack(size, rows, last);
    }
    int skips = 0;
    boolean relinked = false;
    while (true) {
      PartitionRead read = reader.next();
      if (read instanceof PartitionRead.Row row) {
        byte[] bytes = row.row();
        if (size + bytes.length > maxPackSize) {
          pendingRow = bytes;
          pendingOffset = 0;
          pendingNext = row.after();
          return size > 0 ? pack(size, rows, last) : next();
        }
        System.arraycopy(bytes, 0, buffer, size, bytes.length);
        size += bytes.length;
        rows++;
        last = row.after();
        if (size == maxPackSize || handsOver(last)) {
          return pack(size, rows, last);
        }
      } else if (read instanceof PartitionRead.Skipped skipped) {
        last = skipped.after();
        skips++;
        if (handsOver(last) || (size == 0 && skips >= SKIPS_PER_PACK)) {
          return pack(size, rows, last);
        }
      } else if (read instanceof PartitionRead.CaughtUp) {
        if (!relinked && links.linkBinlogs() > 0) {
          relinked = true;
          continue;
        }
        return moved(size, last) ? pack(size, rows, last) : CAUGHT_UP;
      } else {
        ended = true;
        return moved(size, last) ? pack(size, rows, last) : END;
      }
    }
  }

  private boolean moved(int size, Position last) {
    return size > 0 || (last != null && !last.equals(emitted));
  }

  /** The snapshot phase ends here: the pack is closed so that it holds snapshot rows only. */
  private boolean handsOver(Position next) {
    return emitted instanceof SnapshotPosition && next instanceof BinlogPosition;
  }

  private Step pack(int size, long rows, Position next) {
    emitted = next;
    return new Step.Pack(new RowPack(Arrays.copyOf(buffer, size), next), rows);
  }

  @Override
  public synchronized void close() throws IOException {
    if (!closed) {
      closed = true;
      reader.close();
    }
  }
}
