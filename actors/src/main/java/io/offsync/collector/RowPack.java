package io.offsync.collector;

import io.offsync.protocol.position.Position;
import io.offsync.serialization.CborSerializable;

/**
 * One element of a collector stream: a slice of the byte stream of concatenated encoded OpenMLDB rows (each row
 * self-delimiting by its size field, snappy already undone).
 *
 * @param data the bytes; a row may start in one pack and end in a later one, so frames stay bounded
 * @param next the position after the last row that ends in this pack, or {@code null} when the pack ends inside
 *     a row. A pack with empty data and a position moves the position only (filtered rows, deletes, snapshot to
 *     binlog hand-over).
 */
public record RowPack(byte[] data, Position next) implements CborSerializable {

  @Override
  public String toString() {
    return "RowPack(" + data.length + " bytes, next=" + next + ")";
  }
}
