package io.offsync.protocol.log;

import static io.offsync.protocol.log.LogFormat.BLOCK_SIZE;
import static io.offsync.protocol.log.LogFormat.EOF;
import static io.offsync.protocol.log.LogFormat.FIRST;
import static io.offsync.protocol.log.LogFormat.FULL;
import static io.offsync.protocol.log.LogFormat.HEADER_SIZE;
import static io.offsync.protocol.log.LogFormat.LAST;
import static io.offsync.protocol.log.LogFormat.MIDDLE;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Appends records to a log file in the LevelDB/OpenMLDB format: 4 KiB blocks, each physical record a 7-byte
 * header (masked CRC32C over type and payload, uint16 LE length, type) and its payload; a logical record that
 * does not fit the rest of a block is split into FIRST, MIDDLE* and LAST fragments; a block trailer shorter
 * than a header is filled with zeros.
 *
 * <p>Opening an existing file continues at its end and block offset, as the tablet does; the file must end on a
 * record boundary (a torn tail would be read as corruption). Writes are buffered: {@link #flush()} hands them
 * to the operating system (then visible to readers), {@link #sync()} also forces them to disk. A closed file is
 * marked finished with {@link #addEof()}. Not thread-safe.
 */
public final class LogWriter implements Closeable {

  private static final int BUFFER_SIZE = 64 * 1024;
  private static final byte[] ZEROS = new byte[HEADER_SIZE];
  private static final byte[] EMPTY = new byte[0];

  private final Path file;
  private final FileChannel channel;
  private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
  private final CRC32C crc = new CRC32C();
  private long size;

  private LogWriter(Path file, FileChannel channel) throws IOException {
    this.file = file;
    this.channel = channel;
    this.size = channel.size();
  }

  /** Opens {@code file} for appending, creating it if absent. */
  public static LogWriter open(Path file) throws IOException {
    FileChannel channel =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    return new LogWriter(file, channel);
  }

  /** Creates {@code file}, or empties it if it exists (the tablet opens a new binlog file with mode "wb"). */
  public static LogWriter create(Path file) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
    return new LogWriter(file, channel);
  }

  /** Appends one logical record and returns the file offset of its first header. */
  public long addRecord(byte[] payload) throws IOException {
    return addRecord(payload, 0, payload.length);
  }

  /** Appends {@code len} bytes of {@code payload} as one logical record; returns the offset of its first header. */
  public long addRecord(byte[] payload, int off, int len) throws IOException {
    padBlockTrailer();
    long start = size;
    boolean begin = true;
    do {
      padBlockTrailer();
      int available = BLOCK_SIZE - blockOffset() - HEADER_SIZE;
      int fragment = Math.min(len, available);
      boolean end = fragment == len;
      int type = begin ? (end ? FULL : FIRST) : (end ? LAST : MIDDLE);
      emit(type, payload, off, fragment);
      off += fragment;
      len -= fragment;
      begin = false;
    } while (len > 0);
    return start;
  }

  /** Appends the EOF record that marks the file as finished (the writer moved on to the next file). */
  public void addEof() throws IOException {
    padBlockTrailer();
    emit(EOF, EMPTY, 0, 0);
  }

  /** Bytes in the file, including those still buffered. */
  public long size() {
    return size;
  }

  public Path file() {
    return file;
  }

  /** Hands buffered bytes to the operating system; readers see them afterwards. */
  public void flush() throws IOException {
    buffer.flip();
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
    buffer.clear();
  }

  /** {@link #flush()}, then forces the file's content to the storage device (fsync). */
  public void sync() throws IOException {
    flush();
    channel.force(false);
  }

  /** Flushes and closes the file without marking it finished. */
  @Override
  public void close() throws IOException {
    try {
      flush();
    } finally {
      channel.close();
    }
  }

  private int blockOffset() {
    return (int) (size % BLOCK_SIZE);
  }

  private void padBlockTrailer() throws IOException {
    int leftover = BLOCK_SIZE - blockOffset();
    if (leftover < HEADER_SIZE) {
      put(ZEROS, 0, leftover);
    }
  }

  private void emit(int type, byte[] payload, int off, int len) throws IOException {
    if (buffer.remaining() < HEADER_SIZE) {
      flush();
    }
    buffer.putInt(Crc32c.mask(Crc32c.ofRecord(crc, type, payload, off, len)));
    buffer.putShort((short) len);
    buffer.put((byte) type);
    size += HEADER_SIZE;
    put(payload, off, len);
  }

  private void put(byte[] bytes, int off, int len) throws IOException {
    size += len;
    while (len > 0) {
      if (!buffer.hasRemaining()) {
        flush();
      }
      int n = Math.min(len, buffer.remaining());
      buffer.put(bytes, off, n);
      off += n;
      len -= n;
    }
  }
}
