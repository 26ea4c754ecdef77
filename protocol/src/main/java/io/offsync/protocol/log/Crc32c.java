package io.offsync.protocol.log;

import java.util.zip.CRC32C;

/**
 * CRC32C (Castagnoli) as used by the log format, with LevelDB's masking. A record's checksum covers its type
 * byte followed by its payload and is stored masked, so that a CRC computed over data that itself contains
 * CRCs does not collide with them.
 */
public final class Crc32c {

  private static final int MASK_DELTA = 0xa282ead8;

  private Crc32c() {}

  /** The CRC32C of the concatenation of {@code parts}. */
  public static int value(byte[]... parts) {
    CRC32C crc = new CRC32C();
    for (byte[] part : parts) {
      crc.update(part, 0, part.length);
    }
    return (int) crc.getValue();
  }

  /** The masked form stored in a record header. */
  public static int mask(int crc) {
    return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
  }

  /** Inverse of {@link #mask(int)}. */
  public static int unmask(int masked) {
    int rotated = masked - MASK_DELTA;
    return (rotated >>> 17) | (rotated << 15);
  }

  /** The CRC of a physical record: its type byte followed by {@code len} payload bytes of {@code buf}. */
  static int ofRecord(CRC32C crc, int type, byte[] buf, int off, int len) {
    crc.reset();
    crc.update(type);
    crc.update(buf, off, len);
    return (int) crc.getValue();
  }
}
