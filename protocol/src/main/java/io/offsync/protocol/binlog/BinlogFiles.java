package io.offsync.protocol.binlog;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import io.offsync.protocol.log.CorruptLogException;
import io.offsync.protocol.log.LogReader;
import io.offsync.protocol.log.LogRecord;
import io.offsync.protocol.openmldb.Tablet;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The binlog directory of a partition as the tablet keeps it: files {@code NNNNNNNN.log} numbered by file
 * index, each a log-format file of {@code Tablet.LogEntry} records with consecutive {@code log_index}es; every
 * file but the newest ends with an EOF record. Other names in the directory are ignored.
 */
public final class BinlogFiles {

  /** Field number 2 ({@code log_index}) with wire type varint. */
  private static final int LOG_INDEX_TAG = Tablet.LogEntry.LOG_INDEX_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_VARINT;
  private static final Pattern NAME = Pattern.compile("(\\d{1,9})\\.log");

  private BinlogFiles() {}

  /** The tablet's name for a binlog file: the index zero-padded to 8 digits, plus {@code .log}. */
  public static String fileName(int fileIndex) {
    return String.format("%08d.log", fileIndex);
  }

  /** The file index in a binlog file's name, if it is one. */
  public static OptionalInt fileIndex(Path file) {
    Matcher m = NAME.matcher(file.getFileName().toString());
    return m.matches() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
  }

  /** The binlog files of {@code dir} by file index, each with its first {@code log_index}; CRCs checked. */
  public static List<BinlogFile> scan(Path dir) throws IOException {
    return scan(dir, true);
  }

  /** As {@link #scan(Path)}, choosing whether to check the CRC of each file's first record. */
  public static List<BinlogFile> scan(Path dir, boolean verifyCrc) throws IOException {
    List<BinlogFile> files = new ArrayList<>();
    for (BinlogFile named : list(dir)) {
      files.add(new BinlogFile(named.path(), named.fileIndex(), firstLogIndex(named.path(), verifyCrc)));
    }
    return files;
  }

  /**
   * Deletes the files all of whose entries lie before {@code logIndex}, as the tablet does for binlogs older than
   * its snapshot: a file goes when the next file's first entry is at or before {@code logIndex}. The newest file
   * is never deleted. Returns the deleted files.
   */
  public static List<BinlogFile> purgeBefore(Path dir, long logIndex) throws IOException {
    List<BinlogFile> files = scan(dir);
    int keepFrom = 0;
    for (int i = 1; i < files.size(); i++) {
      BinlogFile next = files.get(i);
      if (next.hasEntries() && next.firstLogIndex() <= logIndex) {
        keepFrom = i;
      }
    }
    List<BinlogFile> deleted = List.copyOf(files.subList(0, keepFrom));
    for (BinlogFile file : deleted) {
      Files.deleteIfExists(file.path());
    }
    return deleted;
  }

  /** The binlog files of {@code dir} by file index, without reading them ({@code firstLogIndex} unset). */
  static List<BinlogFile> list(Path dir) throws IOException {
    List<BinlogFile> files = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.log")) {
      for (Path path : stream) {
        OptionalInt index = fileIndex(path);
        if (index.isPresent()) {
          files.add(new BinlogFile(path, index.getAsInt(), BinlogFile.NO_ENTRY));
        }
      }
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(dir.toString(), null,
          "binlog directory does not exist (expected <tablet db root>/<tid>_<pid>/binlog)");
    }
    files.sort(Comparator.comparingInt(BinlogFile::fileIndex));
    return files;
  }

  private static long firstLogIndex(Path file, boolean verifyCrc) throws IOException {
    try (LogReader reader = new LogReader(file, 0, verifyCrc)) {
      LogRecord record = reader.readRecord();
      if (record instanceof LogRecord.Full full) {
        return parse(file, full).getLogIndex();
      }
      return BinlogFile.NO_ENTRY;
    }
  }

  /**
   * The {@code log_index} of a serialized {@code LogEntry} without parsing the rest of it, or -1 when it cannot be
   * found this way (then {@link #parse} tells what is wrong).
   */
  static long peekLogIndex(byte[] payload) {
    WireScan in = new WireScan(payload);
    while (in.pos < payload.length) {
      if (!in.varint()) {
        return -1;
      }
      long tag = in.value;
      if (tag == LOG_INDEX_TAG) {
        return in.varint() ? in.value : -1;
      }
      switch ((int) (tag & 7)) {
        case WireFormat.WIRETYPE_VARINT -> {
          if (!in.varint()) {
            return -1;
          }
        }
        case WireFormat.WIRETYPE_FIXED64 -> in.pos += 8;
        case WireFormat.WIRETYPE_FIXED32 -> in.pos += 4;
        case WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
          if (!in.varint() || in.value < 0 || in.value > payload.length - in.pos) {
            return -1;
          }
          in.pos += (int) in.value;
        }
        default -> {
          return -1; // groups and invalid wire types: parse() names the problem
        }
      }
    }
    return -1;
  }

  /** Reads protobuf varints from a byte array without allocating per field. */
  private static final class WireScan {
    private final byte[] bytes;
    int pos;
    long value;

    WireScan(byte[] bytes) {
      this.bytes = bytes;
    }

    /** Reads a varint into {@link #value}; false when it is truncated or longer than 10 bytes. */
    boolean varint() {
      long v = 0;
      for (int shift = 0; shift < 64 && pos < bytes.length; shift += 7) {
        byte b = bytes[pos++];
        v |= (long) (b & 0x7f) << shift;
        if (b >= 0) {
          value = v;
          return true;
        }
      }
      return false;
    }
  }

  /** The {@code LogEntry} of a record; a record that is not one, or has no {@code log_index}, is corruption. */
  static Tablet.LogEntry parse(Path file, LogRecord.Full record) throws CorruptLogException {
    Tablet.LogEntry entry;
    try {
      // the parsed entry's bytes fields (value, keys) are views of the record's payload, not copies
      CodedInputStream in = UnsafeByteOperations.unsafeWrap(record.payload()).newCodedInput();
      in.enableAliasing(true);
      entry = Tablet.LogEntry.parser().parseFrom(in);
    } catch (InvalidProtocolBufferException e) {
      throw new CorruptLogException(file, record.offset(), "record is not a LogEntry: " + e.getMessage());
    }
    if (!entry.hasLogIndex() || entry.getLogIndex() < 1) {
      throw new CorruptLogException(file, record.offset(),
          "LogEntry without a valid log_index (" + entry.getLogIndex() + ")");
    }
    return entry;
  }
}
