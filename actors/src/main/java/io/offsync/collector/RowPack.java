package io.offsync.collector;

import io.offsync.protocol.position.Position;

/**
 * One element of a collector stream: a slice of the byte stream of concatenated encoded OpenMLDB rows (each row
 * self-delimiting by its size field, bytes 2..5 little-endian, header included; snappy already undone).
 *
 * <p>Framing guarantees, for consumers:
 *
 * <ul>
 *   <li>{@code data} holds at most {@code max_pack_size} bytes (default 1 MiB), so every pack fits an Artery
 *       frame.
 *   <li>Rows are never split unless they must be: a row that does not fit the current pack starts the next one.
 *   <li>A row larger than {@code max_pack_size} is split across consecutive packs: every pack but its last
 *       holds exactly {@code max_pack_size} bytes and has {@code next == null}; the consumer reassembles the row
 *       by its size field. This is offsync's answer to the original's "a single larger row travels alone"
 *       (where such a row stalled the task forever) without unbounded frames.
 *   <li>A pack never mixes snapshot rows and binlog rows: the hand-over to the binlog closes the pack, whose
 *       {@code next} is then the first {@code BinlogPosition}.
 *   <li>A pack with empty data and a position only moves the position (filtered rows, deletes, the snapshot to
 *       binlog hand-over when the snapshot is empty).
 *   <li>A pack with empty data and no position is a {@linkplain #heartbeat() heartbeat}: the stream is caught up
 *       and alive (sent every {@code heartbeat-interval} while nothing else goes out, like the original's
 *       {@code SendData} with {@code count == 0}). It carries nothing to frame or commit.
 * </ul>
 *
 * <p>On the wire through {@link RowPackSerializer}.
 *
 * @param data the bytes
 * @param next the position after the last row that ends in this pack (the position to resume from once
 *     everything up to here is committed), or {@code null} when the pack ends inside a row
 */
public record RowPack(byte[] data, Position next) {

  private static final byte[] NO_DATA = new byte[0];

  /** The collector's "caught up and alive" signal. */
  public static RowPack heartbeat() {
    return new RowPack(NO_DATA, null);
  }

  public boolean isHeartbeat() {
    return data.length == 0 && next == null;
  }

  @Override
  public String toString() {
    return "RowPack(" + data.length + " bytes, next=" + next + ")";
  }
}
