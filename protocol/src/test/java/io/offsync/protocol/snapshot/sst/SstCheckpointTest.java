package io.offsync.protocol.snapshot.sst;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.snapshot.DiskKey;
import io.offsync.protocol.snapshot.KeyTSComparator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Checkpoint;
import org.rocksdb.ChecksumType;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.DataBlockIndexType;
import org.rocksdb.EnvOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.IndexType;
import org.rocksdb.IngestExternalFileOptions;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.SstFileWriter;
import org.rocksdb.WriteOptions;

/**
 * The Java SST reader against RocksDB's own iterator on the same checkpoints: full scans and seeks from random keys
 * (present and absent) give the same (key, value) sequence, for the table shapes rocksdbjni can write; the shapes
 * the reader must not read are refused with {@link UnsupportedCheckpointException}.
 */
class SstCheckpointTest {

  private static final String FAMILY = "idx";

  @TempDir
  Path tmp;

  /** How a shape's database is configured and written. */
  record Shape(String name, int formatVersion, CompressionType compression, ChecksumType checksum, boolean withTsId,
               int blockSize, Consumer<BlockBasedTableConfig> table, int flushes, boolean compact,
               boolean rangeDeletes) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> shapes() {
    List<Shape> s = new ArrayList<>();
    Consumer<BlockBasedTableConfig> plain = t -> { };
    for (int fv = 2; fv <= 7; fv++) {
      s.add(fv % 2 == 0
          ? new Shape("fv" + fv + " none crc32c L0s", fv, CompressionType.NO_COMPRESSION, ChecksumType.kCRC32c,
              false, 4096, plain, 4, false, false)
          : new Shape("fv" + fv + " snappy xxh3 compacted", fv, CompressionType.SNAPPY_COMPRESSION,
              ChecksumType.kXXH3, false, 1024, plain, 3, true, false));
    }
    s.add(new Shape("openmldb options, ts ids", 5, CompressionType.NO_COMPRESSION, ChecksumType.kCRC32c, true,
        256 << 10, t -> t.setWholeKeyFiltering(false).setUseDeltaEncoding(false), 5, false, false));
    s.add(new Shape("default options, ts ids, compacted then L0s", 6, CompressionType.SNAPPY_COMPRESSION,
        ChecksumType.kXXH3, true, 4096, plain, 6, true, false));
    s.add(new Shape("no checksum", 6, CompressionType.NO_COMPRESSION, ChecksumType.kNoChecksum, false, 2048, plain,
        2, false, false));
    s.add(new Shape("hash data-block index, restart 4, index restart 3", 6, CompressionType.SNAPPY_COMPRESSION,
        ChecksumType.kXXH3, false, 512, t -> t.setDataBlockIndexType(DataBlockIndexType.kDataBlockBinaryAndHash)
        .setBlockRestartInterval(4).setIndexBlockRestartInterval(3), 3, false, false));
    s.add(new Shape("index with first key", 5, CompressionType.NO_COMPRESSION, ChecksumType.kXXH3, false, 512,
        t -> t.setIndexType(IndexType.kBinarySearchWithFirstKey).setIndexBlockRestartInterval(2), 3, true, false));
    s.add(new Shape("range deletes, L0s", 6, CompressionType.SNAPPY_COMPRESSION, ChecksumType.kXXH3, false, 1024,
        plain, 4, false, true));
    s.add(new Shape("range deletes, compacted into small files under a snapshot, then L0s", 5,
        CompressionType.NO_COMPRESSION, ChecksumType.kCRC32c, false, 1024, plain, 4, true, true));
    s.add(new Shape("range deletes, openmldb options, ts ids, compacted", 5, CompressionType.NO_COMPRESSION,
        ChecksumType.kCRC32c, true, 256 << 10, t -> t.setWholeKeyFiltering(false).setUseDeltaEncoding(false), 5, true,
        true));
    return s.stream().map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("shapes")
  void readsWhatRocksDbReads(Shape shape) throws Exception {
    Path db = tmp.resolve("db");
    Path cp = tmp.resolve("cp");
    Random rnd = new Random(shape.name().hashCode());
    try (KeyTSComparator cmp = KeyTSComparator.create()) {
      BlockBasedTableConfig table = new BlockBasedTableConfig().setFormatVersion(shape.formatVersion())
          .setChecksumType(shape.checksum()).setBlockSize(shape.blockSize());
      shape.table().accept(table);
      write(db, cp, cmp, table, shape.compression(), rnd, shape.withTsId(), shape.flushes(), shape.compact(),
          shape.rangeDeletes());
      if (shape.rangeDeletes()) {
        int files = 0;
        int withTombstones = 0;
        for (CheckpointManifest.FileMeta m : CheckpointManifest.read(cp).families.get(FAMILY).files.values()) {
          try (SstFile f = SstFile.open(cp, m)) {
            files++;
            withTombstones += f.rangeDeletions.isEmpty() ? 0 : 1;
          }
        }
        assertTrue(withTombstones > 0, "none of " + files + " files holds range deletions");
      }
      if (shape.compact() && shape.blockSize() <= 4096) {
        assertTrue(CheckpointManifest.read(cp).families.get(FAMILY).files.values().stream()
            .filter(f -> f.level() > 0).collect(Collectors.groupingBy(CheckpointManifest.FileMeta::level,
                Collectors.counting())).values().stream().anyMatch(n -> n > 1), "a level with several files");
      }
      assertSame(cp, cmp, rnd, shape.withTsId());
    }
  }

  @Test
  void readsIngestedFilesUnderNewerWrites() throws Exception {
    Path db = tmp.resolve("db");
    Path cp = tmp.resolve("cp");
    Random rnd = new Random(7);
    try (KeyTSComparator cmp = KeyTSComparator.create();
         Options sst = new Options().setComparator(cmp);
         DBOptions dbo = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
         ColumnFamilyOptions cfo = new ColumnFamilyOptions().setComparator(cmp)
             .setTableFormatConfig(new BlockBasedTableConfig().setBlockSize(1024))) {
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      try (RocksDB rdb = RocksDB.open(dbo, db.toString(), descriptors(cfo), handles);
           WriteOptions wo = new WriteOptions().setDisableWAL(true);
           FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
        ColumnFamilyHandle h = handles.get(1);
        for (int round = 0; round < 3; round++) {
          Path file = tmp.resolve("ingest" + round + ".sst");
          List<byte[]> keys = new ArrayList<>();
          for (int i = 0; i < 300; i++) {
            keys.add(key(rnd, false));
          }
          keys.sort(KeyTSComparator::compareKeys);
          try (EnvOptions env = new EnvOptions(); SstFileWriter w = new SstFileWriter(env, sst)) {
            w.open(file.toString());
            byte[] last = null;
            for (byte[] k : keys) {
              if (last == null || KeyTSComparator.compareKeys(last, k) != 0) {
                w.put(k, value(rnd));
              }
              last = k;
            }
            w.finish();
          }
          try (IngestExternalFileOptions io = new IngestExternalFileOptions()) {
            rdb.ingestExternalFile(h, List.of(file.toString()), io);
          }
          randomWrites(rdb, h, wo, rnd, false, 200);
          rdb.flush(fo, h);
        }
        try (Checkpoint c = Checkpoint.create(rdb)) {
          c.createCheckpoint(cp.toString());
        }
      } finally {
        handles.forEach(ColumnFamilyHandle::close);
      }
      assertSame(cp, cmp, rnd, false);
    }
  }

  @Test
  void readsAnEmptyFamily() throws Exception {
    Path db = tmp.resolve("db");
    Path cp = tmp.resolve("cp");
    try (KeyTSComparator cmp = KeyTSComparator.create()) {
      write(db, cp, cmp, new BlockBasedTableConfig(), CompressionType.NO_COMPRESSION, new Random(1), false, 0, false,
          false);
      assertSame(cp, cmp, new Random(2), false);
      try (SstCheckpoint c = SstCheckpoint.open(cp, FAMILY); KeyValueIterator it = c.scan()) {
        it.seekToFirst();
        assertFalse(it.valid());
      }
    }
  }

  @Test
  void refusesWhatItDoesNotRead() throws Exception {
    try (KeyTSComparator cmp = KeyTSComparator.create()) {
      assertUnsupported(cmp, "LZ4", CompressionType.LZ4_COMPRESSION, new BlockBasedTableConfig(), (r, h) -> { });
      assertUnsupported(cmp, "checksum type 3", CompressionType.NO_COMPRESSION,
          new BlockBasedTableConfig().setChecksumType(ChecksumType.kxxHash64), (r, h) -> { });
      assertUnsupported(cmp, "index type 2", CompressionType.NO_COMPRESSION,
          new BlockBasedTableConfig().setIndexType(IndexType.kTwoLevelIndexSearch).setBlockSize(256)
              .setMetadataBlockSize(256).setPartitionFilters(false), (r, h) -> { });
    }
  }

  @Test
  void refusesACheckpointWithRecordsInItsWal() throws Exception {
    Path db = tmp.resolve("walDb");
    try (KeyTSComparator cmp = KeyTSComparator.create();
         DBOptions dbo = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
         ColumnFamilyOptions cfo = new ColumnFamilyOptions().setComparator(cmp)) {
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      try (RocksDB rdb = RocksDB.open(dbo, db.toString(), descriptors(cfo), handles)) {
        rdb.put(handles.get(1), DiskKey.encode(bytes("pk"), 5), bytes("unflushed"));
      } finally {
        handles.forEach(ColumnFamilyHandle::close);
      }
      UnsupportedCheckpointException e = assertThrows(UnsupportedCheckpointException.class,
          () -> SstCheckpoint.open(db, FAMILY));
      assertTrue(e.getMessage().contains(".log"), e.getMessage());
    }
  }

  @ParameterizedTest
  @MethodSource("checksums")
  void aFlippedByteFailsTheBlockChecksum(ChecksumType checksum) throws Exception {
    Path db = tmp.resolve("db");
    Path cp = tmp.resolve("cp");
    try (KeyTSComparator cmp = KeyTSComparator.create()) {
      write(db, cp, cmp, new BlockBasedTableConfig().setChecksumType(checksum).setBlockSize(512),
          CompressionType.NO_COMPRESSION, new Random(5), false, 1, false, false);
    }
    Path sst;
    try (Stream<Path> files = Files.list(cp)) {
      sst = files.filter(f -> f.toString().endsWith(".sst")).findFirst().orElseThrow();
    }
    byte[] b = Files.readAllBytes(sst);
    b[100] ^= 0x10;
    Files.delete(sst);
    Files.write(sst, b);
    try (SstCheckpoint c = SstCheckpoint.open(cp, FAMILY); KeyValueIterator it = c.scan()) {
      SstCorruptionException e = assertThrows(SstCorruptionException.class, () -> {
        for (it.seekToFirst(); it.valid(); it.next()) {
          it.valueLength();
        }
      });
      assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
    }
  }

  static Stream<ChecksumType> checksums() {
    return Stream.of(ChecksumType.kCRC32c, ChecksumType.kXXH3);
  }

  @Test
  void xxh3MatchesKnownValues() {
    assertEquals(0x2D06800538D394C2L, Xxh3.hash64(new byte[0], 0, 0));
  }

  private interface Writes {
    void apply(RocksDB db, ColumnFamilyHandle h) throws RocksDBException;
  }

  /** A checkpoint written so is refused, with {@code name} in the reason. */
  private void assertUnsupported(KeyTSComparator cmp, String name, CompressionType compression,
                                 BlockBasedTableConfig table, Writes extra) throws Exception {
    Path db = tmp.resolve(name.replace(' ', '_') + "-db");
    Path cp = tmp.resolve(name.replace(' ', '_') + "-cp");
    try (DBOptions dbo = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
         ColumnFamilyOptions cfo = new ColumnFamilyOptions().setComparator(cmp).setCompressionType(compression)
             .setTableFormatConfig(table)) {
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      try (RocksDB rdb = RocksDB.open(dbo, db.toString(), descriptors(cfo), handles);
           WriteOptions wo = new WriteOptions().setDisableWAL(true);
           FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
        randomWrites(rdb, handles.get(1), wo, new Random(3), false, 300);
        extra.apply(rdb, handles.get(1));
        rdb.flush(fo, handles.get(1));
        try (Checkpoint c = Checkpoint.create(rdb)) {
          c.createCheckpoint(cp.toString());
        }
      } finally {
        handles.forEach(ColumnFamilyHandle::close);
      }
    }
    UnsupportedCheckpointException e = assertThrows(UnsupportedCheckpointException.class,
        () -> SstCheckpoint.open(cp, FAMILY).close(), name);
    assertTrue(e.getMessage().contains(name), e.getMessage());
  }

  private static List<ColumnFamilyDescriptor> descriptors(ColumnFamilyOptions cfo) {
    return List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY),
        new ColumnFamilyDescriptor(FAMILY.getBytes(StandardCharsets.UTF_8), cfo));
  }

  private void write(Path db, Path cp, KeyTSComparator cmp, BlockBasedTableConfig table, CompressionType compression,
                     Random rnd, boolean withTsId, int flushes, boolean compact, boolean rangeDeletes)
      throws Exception {
    try (DBOptions dbo = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
         ColumnFamilyOptions cfo = new ColumnFamilyOptions().setComparator(cmp).setCompressionType(compression)
             .setDisableAutoCompactions(true).setTableFormatConfig(table)
             // small compaction outputs: a compacted level holds several files
             .setTargetFileSizeBase(8 << 10)) {
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      try (RocksDB rdb = RocksDB.open(dbo, db.toString(), descriptors(cfo), handles);
           WriteOptions wo = new WriteOptions().setDisableWAL(true);
           FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
        ColumnFamilyHandle h = handles.get(1);
        Snapshot snapshot = null;
        for (int i = 0; i < flushes; i++) {
          randomWrites(rdb, h, wo, rnd, withTsId, 300);
          if (rangeDeletes) {
            randomRangeDeletes(rdb, h, wo, rnd, withTsId, 6);
          }
          if (rangeDeletes && i == 0) {
            // an older reader keeps covered keys and tombstones through compaction: truncated tombstones in files
            snapshot = rdb.getSnapshot();
          }
          rdb.flush(fo, h);
          if (compact && i == flushes / 2) {
            rdb.compactRange(h);
          }
        }
        try (Checkpoint c = Checkpoint.create(rdb)) {
          c.createCheckpoint(cp.toString());
        }
        if (snapshot != null) {
          rdb.releaseSnapshot(snapshot);
        }
      } finally {
        handles.forEach(ColumnFamilyHandle::close);
      }
    }
  }

  private static void randomWrites(RocksDB db, ColumnFamilyHandle h, WriteOptions wo, Random rnd, boolean withTsId,
                                   int n) throws RocksDBException {
    for (int i = 0; i < n; i++) {
      byte[] k = key(rnd, withTsId);
      if (rnd.nextInt(5) > 0) {
        db.put(h, wo, k, value(rnd));
      } else if (k[2] % 3 == 0) {
        // RocksDB refuses Delete and SingleDelete on the same key: pks "pk0", "pk3", ... only get single deletes
        db.singleDelete(h, wo, k);
      } else {
        db.delete(h, wo, k);
      }
    }
  }

  private static void randomRangeDeletes(RocksDB db, ColumnFamilyHandle h, WriteOptions wo, Random rnd,
                                         boolean withTsId, int n) throws RocksDBException {
    for (int i = 0; i < n; i++) {
      byte[] a = key(rnd, withTsId);
      byte[] b = key(rnd, withTsId);
      if (rnd.nextBoolean()) {
        // within one pk, as a tablet's delete and TTL garbage collection do
        b = java.util.Arrays.copyOf(a, a.length);
        b[b.length - 8] ^= (byte) (1 + rnd.nextInt(20));
      }
      int c = KeyTSComparator.compareKeys(a, b);
      if (c != 0) {
        db.deleteRange(h, wo, c < 0 ? a : b, c < 0 ? b : a);
      }
    }
  }

  private static byte[] key(Random rnd, boolean withTsId) {
    byte[] pk = bytes("pk" + rnd.nextInt(40) + (rnd.nextInt(4) == 0 ? "|x" : ""));
    long ts = rnd.nextInt(8) == 0 ? -1L - rnd.nextInt(3) : 1_700_000_000_000L + rnd.nextInt(30);
    return withTsId ? DiskKey.encode(pk, rnd.nextInt(3) + 1, ts) : DiskKey.encode(pk, ts);
  }

  private static byte[] value(Random rnd) {
    byte[] v = new byte[rnd.nextInt(120)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (byte) (rnd.nextInt(4) == 0 ? rnd.nextInt(256) : 'a' + i % 7);
    }
    return v;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Full scan and seeks from random keys: the same (key, value) sequence from RocksDB and from the SST reader. */
  private static void assertSame(Path cp, KeyTSComparator cmp, Random rnd, boolean withTsId) throws Exception {
    try (DBOptions dbo = new DBOptions();
         ColumnFamilyOptions def = new ColumnFamilyOptions();
         ColumnFamilyOptions cfo = new ColumnFamilyOptions().setComparator(cmp);
         SstCheckpoint sst = SstCheckpoint.open(cp, FAMILY)) {
      List<ColumnFamilyHandle> handles = new ArrayList<>();
      try (RocksDB rdb = RocksDB.openReadOnly(dbo, cp.toString(), List.of(
          new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, def),
          new ColumnFamilyDescriptor(FAMILY.getBytes(StandardCharsets.UTF_8), cfo)), handles);
           ReadOptions ro = new ReadOptions();
           RocksIterator expected = rdb.newIterator(handles.get(1), ro);
           KeyValueIterator actual = sst.scan()) {
        expected.seekToFirst();
        actual.seekToFirst();
        List<byte[]> keys = new ArrayList<>();
        int n = 0;
        while (expected.isValid()) {
          keys.add(expected.key());
          assertEntry(expected, actual, "full scan, entry " + n);
          expected.next();
          actual.next();
          n++;
        }
        assertFalse(actual.valid(), "full scan: the SST reader has more entries than RocksDB's " + n);
        for (int i = 0; i < 40; i++) {
          byte[] target = i % 2 == 0 && !keys.isEmpty() ? keys.get(rnd.nextInt(keys.size())) : key(rnd, withTsId);
          expected.seek(target);
          actual.seek(target);
          for (int j = 0; j < 25 && expected.isValid(); j++) {
            assertEntry(expected, actual, "seek " + HexFormat.of().formatHex(target) + ", entry " + j);
            expected.next();
            actual.next();
          }
          if (!expected.isValid()) {
            assertFalse(actual.valid(), "seek " + HexFormat.of().formatHex(target) + ": entries past RocksDB's end");
          }
        }
      } finally {
        handles.forEach(ColumnFamilyHandle::close);
      }
    }
  }

  private static void assertEntry(RocksIterator expected, KeyValueIterator actual, String where) throws IOException {
    assertTrue(actual.valid(), where + ": the SST reader ended early");
    byte[] k = java.util.Arrays.copyOfRange(actual.keyArray(), actual.keyOffset(),
        actual.keyOffset() + actual.keyLength());
    byte[] v = java.util.Arrays.copyOfRange(actual.valueArray(), actual.valueOffset(),
        actual.valueOffset() + actual.valueLength());
    assertEquals(HexFormat.of().formatHex(expected.key()), HexFormat.of().formatHex(k), where + ": key");
    assertEquals(HexFormat.of().formatHex(expected.value()), HexFormat.of().formatHex(v), where + ": value");
  }
}
