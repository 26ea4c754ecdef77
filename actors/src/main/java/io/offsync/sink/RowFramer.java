package io.offsync.sink;

import io.offsync.collector.RowPack;
import io.offsync.protocol.position.Position;
import java.io.IOException;
import java.util.Arrays;

/**
 * Cuts the byte stream carried by {@link RowPack}s back into whole OpenMLDB rows. Each row is self-delimiting:
 * byte 0 is the format version (always 1), byte 1 the schema version and bytes 2..5 the row's total length
 * (uint32, little-endian). A row may start in one pack and end in a later one; its bytes are then carried over,
 * so memory holds at most one row beyond the current pack. Rows that lie wholly inside a pack are handed out
 * without copying.
 *
 * <p>The framer also tracks the position after the last complete row: a pack's {@code next} is that position
 * when it is not null, and then the pack must end exactly at a row boundary (the collector contract); anything
 * else, like a size field smaller than a row header, fails with an {@link IOException} naming the problem.
 */
public final class RowFramer {

  /** Receives one complete row: {@code len} bytes of {@code buf} from {@code off}, valid only during the call. */
  @FunctionalInterface
  public interface RowConsumer {
    void row(byte[] buf, int off, int len) throws IOException;
  }

  /** Format version, schema version, uint32 size. */
  static final int HEADER = 6;
  private static final int MAX_ROW = Integer.MAX_VALUE - 16;

  private byte[] carry = new byte[256];
  private int carryLen;
  private Position lastComplete;
  private long bytesFramed;

  /**
   * Frames the rows that end in {@code pack}, in order.
   *
   * @return the number of rows handed to {@code consumer}
   */
  public int feed(RowPack pack, RowConsumer consumer) throws IOException {
    byte[] d = pack.data();
    int n = d.length;
    int p = 0;
    int rows = 0;
    if (carryLen > 0) {
      if (carryLen < HEADER) {
        int take = Math.min(HEADER - carryLen, n);
        append(d, 0, take);
        p = take;
      }
      if (carryLen >= HEADER) {
        int len = rowLength(carry, 0);
        int take = Math.min(len - carryLen, n - p);
        append(d, p, take);
        p += take;
        if (carryLen == len) {
          consumer.row(carry, 0, len);
          bytesFramed += len;
          rows++;
          carryLen = 0;
        }
      }
    }
    while (n - p >= HEADER) {
      int len = rowLength(d, p);
      if (n - p < len) {
        break;
      }
      consumer.row(d, p, len);
      bytesFramed += len;
      rows++;
      p += len;
    }
    if (p < n) {
      append(d, p, n - p);
      if (carryLen >= HEADER) {
        rowLength(carry, 0);
      }
    }
    if (pack.next() != null) {
      if (carryLen > 0) {
        throw new IOException("row pack with position " + pack.next() + " ends inside a row (" + carryLen
            + " bytes of an unfinished row); a pack that ends inside a row must carry no position");
      }
      lastComplete = pack.next();
    }
    return rows;
  }

  /** True when no partial row is pending, so the rows framed so far end exactly at a pack boundary. */
  public boolean atRowBoundary() {
    return carryLen == 0;
  }

  /** The position after the last complete row, or null before the first pack with a position. */
  public Position lastComplete() {
    return lastComplete;
  }

  /** The total length of the rows framed so far. */
  public long bytesFramed() {
    return bytesFramed;
  }

  private int rowLength(byte[] buf, int off) throws IOException {
    if (buf[off] != 1) {
      throw new IOException("not an OpenMLDB row at stream byte " + (bytesFramed) + ": format version "
          + (buf[off] & 0xff) + " (expected 1); the row stream is corrupt or misframed");
    }
    long len = (buf[off + 2] & 0xffL) | (buf[off + 3] & 0xffL) << 8 | (buf[off + 4] & 0xffL) << 16
        | (buf[off + 5] & 0xffL) << 24;
    if (len < HEADER || len > MAX_ROW) {
      throw new IOException("corrupt OpenMLDB row at stream byte " + bytesFramed + ": size field says " + len
          + " bytes (a row has " + HEADER + " to " + MAX_ROW + ")");
    }
    return (int) len;
  }

  private void append(byte[] src, int off, int len) {
    if (carryLen + len > carry.length) {
      carry = Arrays.copyOf(carry, Math.max(carry.length * 2, carryLen + len));
    }
    System.arraycopy(src, off, carry, carryLen, len);
    carryLen += len;
  }
}
