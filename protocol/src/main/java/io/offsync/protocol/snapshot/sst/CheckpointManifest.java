package io.offsync.protocol.snapshot.sst;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The live files of a RocksDB checkpoint, from {@code CURRENT} and the MANIFEST it names: a RocksDB log (32 KiB
 * blocks of records {@code crc32c masked, length uint16, type}) of VersionEdit records, replayed in order.
 *
 * <p>VersionEdit tags understood: comparator, column family select/add/drop, new file (formats 1-4, with the
 * new-file-4 custom fields), deleted file, and every scalar tag (log numbers, sequence, ...). Tags with the safe-to-ignore bit (1 &lt;&lt; 13) are skipped by their length,
 * as RocksDB does; any other unknown tag, blob files, a custom field marked non-ignorable, or a non-zero path id make the
 * checkpoint unsupported ({@link UnsupportedCheckpointException}).
 */
final class CheckpointManifest {

  private static final int LOG_BLOCK = 32768;
  private static final int LOG_HEADER = 7;
  private static final int TAG_SAFE_IGNORE = 1 << 13;
  private static final int CUSTOM_TAG_NON_SAFE_IGNORE = 1 << 6;

  /** A live SST file. */
  record FileMeta(int level, long number, long size, byte[] smallest, byte[] largest, long smallestSeqno,
                  long largestSeqno) {

    String fileName() {
      return String.format("%06d.sst", number);
    }
  }

  /** A column family: its comparator and live files. */
  static final class Family {
    final String name;
    String comparator;
    final Map<Long, FileMeta> files = new LinkedHashMap<>();

    Family(String name) {
      this.name = name;
    }
  }

  final Path manifest;
  final Map<String, Family> families;

  private CheckpointManifest(Path manifest, Map<String, Family> families) {
    this.manifest = manifest;
    this.families = families;
  }

  static CheckpointManifest read(Path dir) throws IOException {
    String current;
    try {
      current = Files.readString(dir.resolve("CURRENT"), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new UnsupportedCheckpointException(dir + " has no CURRENT file");
    }
    if (!current.endsWith("\n") || current.indexOf('/') >= 0) {
      throw new UnsupportedCheckpointException(dir + "/CURRENT does not name a MANIFEST: " + current.strip());
    }
    Path manifest = dir.resolve(current.substring(0, current.length() - 1));
    byte[] log = Files.readAllBytes(manifest);
    Map<Integer, Family> byId = new HashMap<>();
    byId.put(0, new Family("default"));
    for (byte[] record : records(manifest, log)) {
      apply(manifest, record, byId);
    }
    Map<String, Family> byName = new LinkedHashMap<>();
    for (Family f : byId.values()) {
      byName.put(f.name, f);
    }
    return new CheckpointManifest(manifest, byName);
  }

  private static List<byte[]> records(Path file, byte[] log) throws IOException {
    List<byte[]> out = new ArrayList<>();
    CRC32C crc = new CRC32C();
    java.io.ByteArrayOutputStream assembly = null;
    int p = 0;
    while (p < log.length) {
      int leftover = LOG_BLOCK - p % LOG_BLOCK;
      if (leftover < LOG_HEADER) {
        p += leftover;
        continue;
      }
      if (log.length - p < LOG_HEADER) {
        break;
      }
      int stored = InternalKeys.le32(log, p);
      int len = (log[p + 4] & 0xff) | (log[p + 5] & 0xff) << 8;
      int type = log[p + 6] & 0xff;
      if (type == 0 && len == 0) {
        // zero padding (preallocated space or a block tail)
        p += leftover;
        continue;
      }
      if (type < 1 || type > 4) {
        throw new UnsupportedCheckpointException(file + ": log record type " + type + " at offset " + p);
      }
      if (len > leftover - LOG_HEADER || p + LOG_HEADER + len > log.length) {
        throw new SstCorruptionException(file + ": record at offset " + p + " overruns its block or the file");
      }
      crc.reset();
      crc.update(log, p + 6, 1 + len);
      if (mask((int) crc.getValue()) != stored) {
        throw new SstCorruptionException(file + ": CRC mismatch in the record at offset " + p);
      }
      switch (type) {
        case 1 -> out.add(java.util.Arrays.copyOfRange(log, p + LOG_HEADER, p + LOG_HEADER + len));
        case 2 -> {
          assembly = new java.io.ByteArrayOutputStream();
          assembly.write(log, p + LOG_HEADER, len);
        }
        default -> {
          if (assembly == null) {
            throw new SstCorruptionException(file + ": fragment without a first fragment at offset " + p);
          }
          assembly.write(log, p + LOG_HEADER, len);
          if (type == 4) {
            out.add(assembly.toByteArray());
            assembly = null;
          }
        }
      }
      p += LOG_HEADER + len;
    }
    if (assembly != null) {
      throw new SstCorruptionException(file + ": ends inside a fragmented record");
    }
    return out;
  }

  static int mask(int crc) {
    return ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
  }

  private static final class Input {
    final byte[] b;
    int p;
    final int end;
    final Path file;

    Input(Path file, byte[] b, int p, int end) {
      this.file = file;
      this.b = b;
      this.p = p;
      this.end = end;
    }

    long varint64() throws SstCorruptionException {
      long r = 0;
      for (int shift = 0; shift <= 63 && p < end; shift += 7) {
        int x = b[p++] & 0xff;
        r |= (long) (x & 0x7f) << shift;
        if (x < 128) {
          return r;
        }
      }
      throw new SstCorruptionException(file + ": truncated varint in a VersionEdit");
    }

    int varint32() throws SstCorruptionException {
      long v = varint64();
      if (v > 0xFFFFFFFFL) {
        throw new SstCorruptionException(file + ": varint32 out of range in a VersionEdit");
      }
      return (int) v;
    }

    byte[] slice() throws SstCorruptionException {
      int len = varint32();
      if (len < 0 || len > end - p) {
        throw new SstCorruptionException(file + ": length-prefixed field overruns a VersionEdit");
      }
      byte[] s = java.util.Arrays.copyOfRange(b, p, p + len);
      p += len;
      return s;
    }
  }

  private static void apply(Path file, byte[] record, Map<Integer, Family> byId) throws IOException {
    Input in = new Input(file, record, 0, record.length);
    int cf = 0;
    String addName = null;
    boolean drop = false;
    String comparator = null;
    List<FileMeta> added = new ArrayList<>();
    List<long[]> deleted = new ArrayList<>();
    while (in.p < in.end) {
      int tag = in.varint32();
      switch (tag) {
        case 1 -> comparator = new String(in.slice(), StandardCharsets.UTF_8);
        case 2, 3, 4, 9, 10 -> in.varint64();
        case 203 -> in.varint32();
        case 5 -> {
          in.varint32();
          in.slice();
        }
        case 6 -> deleted.add(new long[] {in.varint32(), in.varint64()});
        case 7 -> added.add(new FileMeta(in.varint32(), in.varint64(), in.varint64(), in.slice(), in.slice(), 0, 0));
        case 100 -> added.add(new FileMeta(in.varint32(), in.varint64(), in.varint64(), in.slice(), in.slice(),
            in.varint64(), in.varint64()));
        case 102 -> {
          int level = in.varint32();
          long number = in.varint64();
          if (in.varint32() != 0) {
            throw new UnsupportedCheckpointException(file + ": file " + number + " is on another db_path");
          }
          added.add(new FileMeta(level, number, in.varint64(), in.slice(), in.slice(), in.varint64(),
              in.varint64()));
        }
        case 103 -> added.add(newFile4(in));
        case 200 -> cf = in.varint32();
        case 201 -> addName = new String(in.slice(), StandardCharsets.UTF_8);
        case 202 -> drop = true;
        case 300 -> in.varint32();
        case 400, 401 -> throw new UnsupportedCheckpointException(file + ": the checkpoint has blob files");
        default -> {
          if ((tag & TAG_SAFE_IGNORE) == 0) {
            throw new UnsupportedCheckpointException(file + ": unknown VersionEdit tag " + tag);
          }
          in.slice();
        }
      }
    }
    if (addName != null) {
      byId.put(cf, new Family(addName));
    }
    Family f = byId.get(cf);
    if (f == null) {
      if (drop || (added.isEmpty() && deleted.isEmpty() && comparator == null)) {
        return;
      }
      throw new SstCorruptionException(file + ": VersionEdit for unknown column family " + cf);
    }
    if (drop) {
      byId.remove(cf);
      return;
    }
    if (comparator != null) {
      f.comparator = comparator;
    }
    for (long[] d : deleted) {
      f.files.remove(d[1]);
    }
    for (FileMeta m : added) {
      f.files.put(m.number(), m);
    }
  }

  private static FileMeta newFile4(Input in) throws IOException {
    int level = in.varint32();
    long number = in.varint64();
    long size = in.varint64();
    byte[] smallest = in.slice();
    byte[] largest = in.slice();
    long smallestSeqno = in.varint64();
    long largestSeqno = in.varint64();
    while (true) {
      int tag = in.varint32();
      if (tag == 1) {
        break;
      }
      byte[] field = in.slice();
      if (tag == 65 && !(field.length == 1 && field[0] == 0)) {
        throw new UnsupportedCheckpointException(in.file + ": file " + number + " is on another db_path");
      }
      if (tag != 65 && (tag & CUSTOM_TAG_NON_SAFE_IGNORE) != 0) {
        throw new UnsupportedCheckpointException(in.file + ": file " + number + " has the non-ignorable field "
            + tag);
      }
    }
    return new FileMeta(level, number, size, smallest, largest, smallestSeqno, largestSeqno);
  }
}
