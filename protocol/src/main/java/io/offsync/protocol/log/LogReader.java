package io.offsync.protocol.log;

import static io.offsync.protocol.log.LogFormat.BLOCK_SIZE;
import static io.offsync.protocol.log.LogFormat.EOF;
import static io.offsync.protocol.log.LogFormat.FIRST;
import static io.offsync.protocol.log.LogFormat.FULL;
import static io.offsync.protocol.log.LogFormat.HEADER_SIZE;
import static io.offsync.protocol.log.LogFormat.LAST;
import static io.offsync.protocol.log.LogFormat.MIDDLE;
import static io.offsync.protocol.log.LogFormat.ZERO;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads logical records from a log file written by {@link LogWriter} or by an OpenMLDB tablet, starting at a
 * record boundary, through a large read buffer.
 *
 * <p>{@link #readRecord()} tells apart a complete record ({@link LogRecord.Full}), the end of a finished file
 * ({@link LogRecord.EndOfFile}), and a file whose data ends inside a record or before the next one
 * ({@link LogRecord.Incomplete}): the reader then stays at the start of that record, and a later call sees the
 * bytes appended meanwhile. A run of zeros that reaches the end of the file (a torn tail after a crash on some
 * file systems) also reads as incomplete. Anything else that is not a valid record throws
 * {@link CorruptLogException} naming the file, the byte offset of the bad header and the reason (CRC mismatch,
 * unknown type, zero-type record followed by data, length past the block, broken FIRST/MIDDLE/LAST sequence);
 * the position is left unchanged, so the error repeats rather than skipping data. Not thread-safe.
 */
public final class LogReader implements Closeable {

  private static final int BUFFER_SIZE = 256 * 1024;
  private static final int KEEP_ASSEMBLY_MAX = 1024 * 1024;

  private final Path file;
  private final FileChannel channel;
  private final boolean verifyCrc;
  private final CRC32C crc = new CRC32C();
  private final byte[] buf = new byte[BUFFER_SIZE];
  private long bufStart;
  private int bufLen;
  private long position;
  private byte[] assembly = new byte[BLOCK_SIZE];
  private int assembled;

  /**
   * @param file the log file
   * @param startOffset a record boundary: 0, a {@link LogRecord.Full#offset()} or a {@link #position()}
   * @param verifyCrc whether to check each fragment's CRC (recommended; the cost is small)
   */
  public LogReader(Path file, long startOffset, boolean verifyCrc) throws IOException {
    if (startOffset < 0) {
      throw new IllegalArgumentException("negative log offset " + startOffset + " for " + file);
    }
    this.file = file;
    this.channel = FileChannel.open(file, StandardOpenOption.READ);
    this.verifyCrc = verifyCrc;
    this.position = startOffset;
    this.bufStart = startOffset;
  }

  /** Opens {@code file} at its start with CRC checks. */
  public LogReader(Path file) throws IOException {
    this(file, 0, true);
  }

  public Path file() {
    return file;
  }

  /** File offset of the next record to read (after the last record returned). */
  public long position() {
    return position;
  }

  /** Reads the next logical record; see the class documentation for the possible outcomes. */
  public LogRecord readRecord() throws IOException {
    long p = position;
    long recordStart = -1;
    assembled = 0;
    while (true) {
      int leftover = BLOCK_SIZE - (int) (p % BLOCK_SIZE);
      if (leftover < HEADER_SIZE) {
        if (!ensure(p, leftover)) {
          return LogRecord.INCOMPLETE;
        }
        p += leftover;
        continue;
      }
      if (!ensure(p, HEADER_SIZE)) {
        return LogRecord.INCOMPLETE;
      }
      int i = (int) (p - bufStart);
      int storedCrc = (buf[i] & 0xff) | (buf[i + 1] & 0xff) << 8 | (buf[i + 2] & 0xff) << 16 | buf[i + 3] << 24;
      int len = (buf[i + 4] & 0xff) | (buf[i + 5] & 0xff) << 8;
      int type = buf[i + 6] & 0xff;
      if (type == ZERO) {
        if (zerosToEnd(p)) {
          return LogRecord.INCOMPLETE;
        }
        throw corrupt(p, "zero-type record in the middle of data (length " + len + ")");
      }
      if (type > EOF) {
        throw corrupt(p, "bad record type " + type);
      }
      if (len > leftover - HEADER_SIZE) {
        throw corrupt(p, "record length " + len + " overruns its 4 KiB block (" + (leftover - HEADER_SIZE)
            + " bytes left in the block)");
      }
      if (!ensure(p, HEADER_SIZE + len)) {
        return LogRecord.INCOMPLETE;
      }
      i = (int) (p - bufStart) + HEADER_SIZE;
      if (verifyCrc) {
        int actual = Crc32c.mask(Crc32c.ofRecord(crc, type, buf, i, len));
        if (actual != storedCrc) {
          throw corrupt(p, String.format("CRC mismatch (stored %08x, computed %08x over type %d and %d payload bytes)",
              storedCrc, actual, type, len));
        }
      }
      switch (type) {
        case FULL -> {
          if (recordStart >= 0) {
            throw corrupt(p, "FULL record inside a fragmented record that began at offset " + recordStart);
          }
          position = p + HEADER_SIZE + len;
          return new LogRecord.Full(Arrays.copyOfRange(buf, i, i + len), p);
        }
        case FIRST -> {
          if (recordStart >= 0) {
            throw corrupt(p, "FIRST fragment inside a fragmented record that began at offset " + recordStart);
          }
          recordStart = p;
          append(i, len);
        }
        case MIDDLE -> {
          if (recordStart < 0) {
            throw corrupt(p, "MIDDLE fragment without a preceding FIRST fragment");
          }
          append(i, len);
        }
        case LAST -> {
          if (recordStart < 0) {
            throw corrupt(p, "LAST fragment without a preceding FIRST fragment");
          }
          append(i, len);
          position = p + HEADER_SIZE + len;
          return new LogRecord.Full(takeAssembly(), recordStart);
        }
        case EOF -> {
          if (recordStart >= 0) {
            throw corrupt(p, "EOF record inside a fragmented record that began at offset " + recordStart);
          }
          position = p;
          return LogRecord.END_OF_FILE;
        }
        default -> throw new AssertionError(type);
      }
      p += HEADER_SIZE + len;
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** Makes {@code buf} hold file bytes {@code [off, off + n)}; false when the file is shorter. */
  private boolean ensure(long off, int n) throws IOException {
    long bufEnd = bufStart + bufLen;
    if (off >= bufStart && off + n <= bufEnd) {
      return true;
    }
    if (off < bufStart || off > bufEnd) {
      bufLen = 0;
    } else {
      int keep = (int) (bufEnd - off);
      System.arraycopy(buf, (int) (off - bufStart), buf, 0, keep);
      bufLen = keep;
    }
    bufStart = off;
    while (bufLen < n) {
      int read = channel.read(ByteBuffer.wrap(buf, bufLen, buf.length - bufLen), bufStart + bufLen);
      if (read <= 0) {
        return false;
      }
      bufLen += read;
    }
    return true;
  }

  /** Whether every byte from {@code off} to the current end of the file is zero. */
  private boolean zerosToEnd(long off) throws IOException {
    while (ensure(off, 1)) {
      for (int i = (int) (off - bufStart); i < bufLen; i++) {
        if (buf[i] != 0) {
          return false;
        }
      }
      off = bufStart + bufLen;
    }
    return true;
  }

  private void append(int from, int len) {
    if (assembled + len > assembly.length) {
      assembly = Arrays.copyOf(assembly, Math.max(assembly.length * 2, assembled + len));
    }
    System.arraycopy(buf, from, assembly, assembled, len);
    assembled += len;
  }

  private byte[] takeAssembly() {
    byte[] payload = Arrays.copyOf(assembly, assembled);
    if (assembly.length > KEEP_ASSEMBLY_MAX) {
      assembly = new byte[BLOCK_SIZE];
    }
    assembled = 0;
    return payload;
  }

  private CorruptLogException corrupt(long offset, String reason) {
    return new CorruptLogException(file, offset, reason);
  }
}
