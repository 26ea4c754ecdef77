package io.offsync.protocol.snapshot.sst;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import org.xerial.snappy.Snappy;

/**
 * One block-based-table SST file, opened for reading: footer (format_version 2-7), metaindex, properties and the
 * index block (kept in memory).
 *
 * <p>What qualifies (else {@link UnsupportedCheckpointException}): the block-based table magic; checksum type none,
 * crc32c or XXH3; comparator {@code KeyTSComparator}; no merge operands, compression dictionary,
 * separated key/value data blocks or user-defined index; blocks uncompressed or snappy; a binary-search index (also
 * the hash-search index's binary part and the with-first-key variant), not a partitioned one. Every block read is
 * checked against its trailer's checksum (with format_version 6's per-offset context), else
 * {@link SstCorruptionException}. Files written by {@code SstFileWriter} and ingested (version-2 external files)
 * take their global sequence number from the MANIFEST, as RocksDB does. The range deletion block is read whole
 * ({@link #rangeDeletions}). Thread-safe (positional reads only).
 */
final class SstFile implements AutoCloseable {

  static final int BLOCK_TRAILER_LEN = 5;
  static final String COMPARATOR = "KeyTSComparator";

  private static final long BLOCK_BASED_MAGIC = 0x88e241b785f4cff7L;
  private static final long LEGACY_BLOCK_BASED_MAGIC = 0xdb4775248b80fb57L;
  private static final int FOOTER_LEN = 53;
  private static final int CHECKSUM_NONE = 0;
  private static final int CHECKSUM_CRC32C = 1;
  private static final int CHECKSUM_XXH3 = 4;
  static final int COMPRESSION_NONE = 0;
  static final int COMPRESSION_SNAPPY = 1;

  final Path path;
  final CheckpointManifest.FileMeta meta;
  private final FileChannel channel;
  final long size;
  private int formatVersion;
  private int checksumType;
  private int baseContext;
  byte[] indexBlock;
  int indexOffset;
  int indexLength;
  boolean indexUserKeys;
  boolean indexDeltaValues;
  boolean indexFirstKey;
  /** The sequence number of every key (an ingested file), or -1 to use each key's own. */
  long globalSeqno = -1;
  /** The range deletions of the file's range deletion block (global seqno applied), not yet truncated. */
  final java.util.List<RangeTombstones.Tombstone> rangeDeletions = new java.util.ArrayList<>();

  private SstFile(Path path, CheckpointManifest.FileMeta meta, FileChannel channel, long size) {
    this.path = path;
    this.meta = meta;
    this.channel = channel;
    this.size = size;
  }

  static SstFile open(Path dir, CheckpointManifest.FileMeta meta) throws IOException {
    Path path = dir.resolve(meta.fileName());
    FileChannel ch;
    try {
      ch = FileChannel.open(path, StandardOpenOption.READ);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new UnsupportedCheckpointException(path + " is in the MANIFEST but not in the checkpoint");
    }
    SstFile f = new SstFile(path, meta, ch, ch.size());
    try {
      f.readMeta();
      return f;
    } catch (IOException | RuntimeException e) {
      f.close();
      throw e;
    }
  }

  private void readMeta() throws IOException {
    if (size != meta.size()) {
      throw new UnsupportedCheckpointException(path + " has " + size + " bytes, the MANIFEST says " + meta.size());
    }
    if (size < FOOTER_LEN) {
      throw new UnsupportedCheckpointException(path + " is too short for a block-based table");
    }
    byte[] footer = new byte[FOOTER_LEN];
    long footerOffset = size - FOOTER_LEN;
    readFully(footerOffset, footer, 0, FOOTER_LEN);
    long magic = InternalKeys.le64(footer, FOOTER_LEN - 8);
    if (magic != BLOCK_BASED_MAGIC) {
      throw new UnsupportedCheckpointException(path + " is not a block-based table of format_version >= 2 (magic "
          + Long.toHexString(magic) + (magic == LEGACY_BLOCK_BASED_MAGIC ? ", legacy" : "") + ")");
    }
    formatVersion = InternalKeys.le32(footer, FOOTER_LEN - 12);
    if (formatVersion < 2 || formatVersion > 7) {
      throw new UnsupportedCheckpointException(path + " has format_version " + formatVersion);
    }
    checksumType = footer[0] & 0xff;
    if (checksumType != CHECKSUM_NONE && checksumType != CHECKSUM_CRC32C && checksumType != CHECKSUM_XXH3) {
      throw new UnsupportedCheckpointException(path + " uses checksum type " + checksumType);
    }
    long metaOffset;
    long metaSize;
    long indexHandleOffset = -1;
    long indexHandleSize = -1;
    if (formatVersion >= 6) {
      if (footer[1] != 0x3e || footer[2] != 0 || footer[3] != 0x7a || footer[4] != 0) {
        throw new SstCorruptionException(path + ": bad extended magic in the footer");
      }
      int stored = InternalKeys.le32(footer, 5);
      baseContext = InternalKeys.le32(footer, 9);
      if (contextModifier(0) == 0) {
        throw new SstCorruptionException(path + ": invalid base context checksum in the footer");
      }
      if (checksumType != CHECKSUM_NONE) {
        byte[] copy = footer.clone();
        copy[5] = copy[6] = copy[7] = copy[8] = 0;
        int computed = checksum(copy, 0, FOOTER_LEN) + contextModifier(footerOffset);
        if (computed != stored) {
          throw new SstCorruptionException(path + ": footer checksum mismatch");
        }
      }
      metaSize = InternalKeys.le32(footer, 13) & 0xFFFFFFFFL;
      if (InternalKeys.le64(footer, 33) != 0) {
        throw new UnsupportedCheckpointException(path + " uses a footer feature of a newer RocksDB");
      }
      metaOffset = footerOffset - BLOCK_TRAILER_LEN - metaSize;
    } else {
      long[] h = varints(footer, 1, 41, 4, "the footer's block handles");
      metaOffset = h[0];
      metaSize = h[1];
      indexHandleOffset = h[2];
      indexHandleSize = h[3];
    }
    BlockReader reader = new BlockReader(this, 0);
    Map<String, long[]> metaIndex = new HashMap<>();
    BlockIter it = new BlockIter(false, false, false, true);
    reader.read(metaOffset, metaSize);
    it.reset(reader.array(), reader.offset(), reader.length(), path + " metaindex");
    for (it.seekToFirst(); it.valid(); it.next()) {
      String name = new String(it.keyArray(), it.keyOffset(), it.keyLength(), StandardCharsets.UTF_8);
      metaIndex.put(name, handle(it.data(), it.valueOffset(), it.valueLength(), name));
    }
    for (String name : metaIndex.keySet()) {
      if (name.equals("rocksdb.compression_dict")) {
        throw new UnsupportedCheckpointException(path + " has a " + name + " block");
      }
    }
    long[] props = metaIndex.get("rocksdb.properties");
    if (props == null) {
      throw new UnsupportedCheckpointException(path + " has no properties block");
    }
    readProperties(reader, props);
    long[] rangeDel = metaIndex.get("rocksdb.range_del");
    if (rangeDel != null) {
      readRangeDeletions(reader, rangeDel);
    }
    if (formatVersion >= 6) {
      long[] idx = metaIndex.get("rocksdb.index");
      if (idx == null) {
        throw new SstCorruptionException(path + ": no rocksdb.index entry in the metaindex");
      }
      indexHandleOffset = idx[0];
      indexHandleSize = idx[1];
    }
    reader.read(indexHandleOffset, indexHandleSize);
    indexBlock = java.util.Arrays.copyOfRange(reader.array(), reader.offset(), reader.offset() + reader.length());
    indexOffset = 0;
    indexLength = indexBlock.length;
  }

  private void readProperties(BlockReader reader, long[] handle) throws IOException {
    reader.read(handle[0], handle[1]);
    BlockIter it = new BlockIter(false, false, false, true);
    it.reset(reader.array(), reader.offset(), reader.length(), path + " properties");
    Map<String, byte[]> p = new HashMap<>();
    for (it.seekToFirst(); it.valid(); it.next()) {
      p.put(new String(it.keyArray(), it.keyOffset(), it.keyLength(), StandardCharsets.UTF_8),
          java.util.Arrays.copyOfRange(it.data(), it.valueOffset(), it.valueOffset() + it.valueLength()));
    }
    String comparator = string(p, "rocksdb.comparator");
    if (!COMPARATOR.equals(comparator)) {
      throw new UnsupportedCheckpointException(path + " uses comparator " + comparator + ", not " + COMPARATOR);
    }
    requireZero(p, "rocksdb.merge.operands");
    requireZero(p, "rocksdb.separate.key.value.in.data.block");
    requireZero(p, "rocksdb.udi.is.primary.index");
    String compression = string(p, "rocksdb.compression");
    if (formatVersion >= 7) {
      if (compression == null || !(compression.startsWith(";") || compression.startsWith("BuiltinV2;"))) {
        throw new UnsupportedCheckpointException(path + " uses compression manager " + compression);
      }
      String types = compression.substring(compression.indexOf(';') + 1);
      types = types.indexOf(';') >= 0 ? types.substring(0, types.indexOf(';')) : types;
      if (!types.isEmpty() && !types.equals("01")) {
        throw new UnsupportedCheckpointException(path + " uses compression types " + types);
      }
    } else if (compression != null && !compression.equals("NoCompression") && !compression.equals("Snappy")) {
      throw new UnsupportedCheckpointException(path + " uses compression " + compression);
    }
    byte[] indexType = p.get("rocksdb.block.based.table.index.type");
    int type = indexType == null || indexType.length < 4 ? 0 : InternalKeys.le32(indexType, 0);
    if (type == 2 || type > 3) {
      throw new UnsupportedCheckpointException(path + " has index type " + type + " (partitioned or unknown)");
    }
    indexFirstKey = type == 3;
    indexUserKeys = varint(p, "rocksdb.index.key.is.user.key") != 0;
    indexDeltaValues = varint(p, "rocksdb.index.value.is.delta.encoded") != 0;
    byte[] external = p.get("rocksdb.external_sst_file.version");
    if (external != null) {
      int version = external.length >= 4 ? InternalKeys.le32(external, 0) : -1;
      if (version == 2) {
        byte[] g = p.get("rocksdb.external_sst_file.global_seqno");
        long global = g != null && g.length >= 8 ? InternalKeys.le64(g, 0) : 0;
        globalSeqno = global != 0 ? global : meta.largestSeqno();
      } else if (version != 1) {
        throw new UnsupportedCheckpointException(path + " is an external file of version " + version);
      }
    }
  }

  private void readRangeDeletions(BlockReader reader, long[] handle) throws IOException {
    reader.read(handle[0], handle[1]);
    BlockIter it = new BlockIter(false, false, false, true);
    it.reset(reader.array(), reader.offset(), reader.length(), path + " range deletion block");
    for (it.seekToFirst(); it.valid(); it.next()) {
      int kl = it.keyLength();
      if (kl < InternalKeys.TRAILER_LEN) {
        throw new SstCorruptionException(path + ": range deletion with a key of " + kl + " bytes");
      }
      byte[] k = it.keyArray();
      long trailer = InternalKeys.le64(k, it.keyOffset() + kl - InternalKeys.TRAILER_LEN);
      if ((trailer & 0xff) != InternalKeys.TYPE_RANGE_DELETION) {
        throw new SstCorruptionException(path + ": entry of type " + (trailer & 0xff) + " in the range deletion "
            + "block");
      }
      long seq = globalSeqno >= 0 ? globalSeqno : trailer >>> 8;
      rangeDeletions.add(new RangeTombstones.Tombstone(
          java.util.Arrays.copyOfRange(k, it.keyOffset(), it.keyOffset() + kl - InternalKeys.TRAILER_LEN),
          java.util.Arrays.copyOfRange(it.data(), it.valueOffset(), it.valueOffset() + it.valueLength()), seq));
    }
  }

  private String string(Map<String, byte[]> p, String name) {
    byte[] v = p.get(name);
    return v == null ? null : new String(v, StandardCharsets.UTF_8);
  }

  private long varint(Map<String, byte[]> p, String name) throws SstCorruptionException {
    byte[] v = p.get(name);
    return v == null ? 0 : varints(v, 0, v.length, 1, "property " + name)[0];
  }

  private void requireZero(Map<String, byte[]> p, String name) throws IOException {
    if (varint(p, name) != 0) {
      throw new UnsupportedCheckpointException(path + " has " + name + " = " + varint(p, name));
    }
  }

  private long[] handle(byte[] b, int off, int len, String name) throws SstCorruptionException {
    return varints(b, off, off + len, 2, "the block handle of " + name + " in the metaindex");
  }

  /** {@code n} varint64s from {@code b[off, end)}. */
  private long[] varints(byte[] b, int off, int end, int n, String what) throws SstCorruptionException {
    long[] out = new long[n];
    int p = off;
    for (int i = 0; i < n; i++) {
      long r = 0;
      for (int shift = 0; ; shift += 7) {
        if (p >= end || shift > 63) {
          throw new SstCorruptionException(path + ": bad varint in " + what);
        }
        int x = b[p++] & 0xff;
        r |= (long) (x & 0x7f) << shift;
        if (x < 128) {
          break;
        }
      }
      out[i] = r;
    }
    return out;
  }

  void readFully(long pos, byte[] dst, int off, int len) throws IOException {
    ByteBuffer bb = ByteBuffer.wrap(dst, off, len);
    while (bb.hasRemaining()) {
      int n = channel.read(bb, pos + (bb.position() - off));
      if (n < 0) {
        throw new SstCorruptionException(path + ": unexpected end of file at " + (pos + bb.position() - off));
      }
    }
  }

  /** Checks the trailer of the block {@code buf[off, off + size)} stored at file offset {@code blockOffset}. */
  void verify(byte[] buf, int off, int size, long blockOffset) throws SstCorruptionException {
    if (checksumType == CHECKSUM_NONE) {
      return;
    }
    int stored = InternalKeys.le32(buf, off + size + 1) - contextModifier(blockOffset);
    int computed = checksum(buf, off, size + 1);
    if (stored != computed) {
      throw new SstCorruptionException(path + ": checksum mismatch in the block at offset " + blockOffset + " ("
          + size + " bytes); the file is corrupt");
    }
  }

  private int checksum(byte[] b, int off, int len) {
    if (checksumType == CHECKSUM_CRC32C) {
      CRC32C crc = new CRC32C();
      crc.update(b, off, len);
      return CheckpointManifest.mask((int) crc.getValue());
    }
    if (len == 0) {
      return 0;
    }
    int v = (int) Xxh3.hash64(b, off, len - 1);
    return v ^ (b[off + len - 1] & 0xff) * 0x6b9083d9;
  }

  private int contextModifier(long offset) {
    if (formatVersion < 6 || baseContext == 0) {
      return 0;
    }
    return baseContext ^ ((int) offset + (int) (offset >>> 32));
  }

  /** Undoes snappy into {@code out} (grown as needed); returns the contents' length. */
  int inflate(byte[] in, int off, int len, byte[][] out, long blockOffset) throws SstCorruptionException {
    try {
      int n = Snappy.uncompressedLength(in, off, len);
      if (n < 0 || n > (64 << 20) + 64L * len) {
        throw new SstCorruptionException(path + ": snappy block at offset " + blockOffset + " claims " + n
            + " bytes");
      }
      if (out[0] == null || out[0].length < n) {
        out[0] = new byte[Math.max(n, out[0] == null ? 0 : out[0].length * 2)];
      }
      return Snappy.uncompress(in, off, len, out[0], 0);
    } catch (IOException e) {
      throw new SstCorruptionException(path + ": snappy block at offset " + blockOffset + " is corrupt: "
          + e.getMessage());
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
