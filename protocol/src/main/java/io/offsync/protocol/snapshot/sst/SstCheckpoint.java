package io.offsync.protocol.snapshot.sst;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One column family of a RocksDB checkpoint read straight from its SST files, without RocksDB: the live files from
 * the MANIFEST, merged as RocksDB's iterator merges them (see {@link SstScan}).
 *
 * <p>{@link #open} either returns a reader of exactly what RocksDB would show, or throws
 * {@link UnsupportedCheckpointException} saying why the checkpoint needs RocksDB: a WAL with records (RocksDB would
 * replay it), a comparator other than KeyTSComparator, or a file that does not qualify (see {@link SstFile}). Range
 * deletions are applied as RocksDB applies them ({@link RangeTombstones}). A
 * corrupt MANIFEST or SST file found while opening throws {@link SstCorruptionException}; a block that fails its
 * checksum during a scan throws it from the scan. Holds open files: close it (scans end with it). Thread-safe to
 * open several scans; each scan is single-threaded.
 */
public final class SstCheckpoint implements AutoCloseable {

  private final Path dir;
  private final List<SstFile> level0;
  private final List<List<SstFile>> levels;
  private final List<SstFile> all;
  private final RangeTombstones tombstones;

  private SstCheckpoint(Path dir, List<SstFile> level0, List<List<SstFile>> levels, List<SstFile> all) {
    this.dir = dir;
    this.level0 = level0;
    this.levels = levels;
    this.all = all;
    this.tombstones = RangeTombstones.of(all);
  }

  /**
   * Opens column family {@code family} of the checkpoint in {@code dir}.
   *
   * @throws UnsupportedCheckpointException if the Java reader cannot read it exactly as RocksDB would
   */
  public static SstCheckpoint open(Path dir, String family) throws IOException {
    try (DirectoryStream<Path> logs = Files.newDirectoryStream(dir, "*.log")) {
      for (Path log : logs) {
        if (Files.size(log) > 0) {
          throw new UnsupportedCheckpointException(log + " is a WAL with " + Files.size(log) + " bytes; RocksDB "
              + "replays it on open");
        }
      }
    }
    CheckpointManifest manifest = CheckpointManifest.read(dir);
    CheckpointManifest.Family f = manifest.families.get(family);
    if (f == null) {
      throw new UnsupportedCheckpointException(manifest.manifest + " has no column family " + family);
    }
    if (!SstFile.COMPARATOR.equals(f.comparator)) {
      throw new UnsupportedCheckpointException("column family " + family + " of " + manifest.manifest
          + " uses comparator " + f.comparator + ", not " + SstFile.COMPARATOR);
    }
    List<SstFile> all = new ArrayList<>();
    try {
      List<SstFile> level0 = new ArrayList<>();
      Map<Integer, List<SstFile>> byLevel = new TreeMap<>();
      for (CheckpointManifest.FileMeta m : f.files.values()) {
        SstFile file = SstFile.open(dir, m);
        all.add(file);
        if (m.level() == 0) {
          level0.add(file);
        } else {
          byLevel.computeIfAbsent(m.level(), l -> new ArrayList<>()).add(file);
        }
      }
      List<List<SstFile>> levels = new ArrayList<>();
      for (List<SstFile> l : byLevel.values()) {
        l.sort(Comparator.comparing(s -> s.meta.smallest(), (a, b) -> {
          int c = InternalKeys.compareUserKeys(a, 0, a.length - InternalKeys.TRAILER_LEN, b, 0,
              b.length - InternalKeys.TRAILER_LEN);
          return c != 0 ? c : Long.compareUnsigned(InternalKeys.le64(b, b.length - InternalKeys.TRAILER_LEN),
              InternalKeys.le64(a, a.length - InternalKeys.TRAILER_LEN));
        }));
        levels.add(List.copyOf(l));
      }
      return new SstCheckpoint(dir, List.copyOf(level0), List.copyOf(levels), List.copyOf(all));
    } catch (IOException | RuntimeException e) {
      for (SstFile s : all) {
        s.close();
      }
      throw e;
    }
  }

  /** The checkpoint directory. */
  public Path directory() {
    return dir;
  }

  /** A new scan (unpositioned: seek first). */
  public KeyValueIterator scan() throws IOException {
    List<InternalIter> runs = new ArrayList<>();
    for (SstFile f : level0) {
      runs.add(new TableIter(f, new BlockReader(f, TableIter.READAHEAD)));
    }
    for (List<SstFile> l : levels) {
      runs.add(new LevelIter(l, new BlockReader(l.get(0), TableIter.READAHEAD)));
    }
    return new SstScan(dir, runs, tombstones == null ? null : tombstones.forScan());
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (SstFile f : all) {
      try {
        f.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
