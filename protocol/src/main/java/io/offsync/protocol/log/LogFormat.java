package io.offsync.protocol.log;

/** Constants of the LevelDB-style log format shared by {@link LogWriter} and {@link LogReader}. */
final class LogFormat {

  static final int BLOCK_SIZE = 4096;
  /** crc (uint32 LE) + length (uint16 LE) + type (uint8). */
  static final int HEADER_SIZE = 7;

  static final int ZERO = 0;
  static final int FULL = 1;
  static final int FIRST = 2;
  static final int MIDDLE = 3;
  static final int LAST = 4;
  static final int EOF = 5;

  private LogFormat() {}
}
