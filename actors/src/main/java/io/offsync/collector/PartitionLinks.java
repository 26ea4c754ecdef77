package io.offsync.collector;

import io.offsync.protocol.binlog.BinlogFile;
import io.offsync.protocol.binlog.BinlogFiles;
import io.offsync.protocol.snapshot.Manifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * The hard links of one partition in {@code <collector_datadir>/<tid>-<pid>/}, so that tablet-side snapshot
 * replacement and binlog purging cannot pull files away from a stream:
 *
 * <pre>
 *   snapshot-&lt;name&gt;-&lt;offset&gt;/MANIFEST        the snapshot's MANIFEST (as read when linking)
 *   snapshot-&lt;name&gt;-&lt;offset&gt;/&lt;name&gt;/...     hard links of the RocksDB checkpoint files
 *   binlog/NNNNNNNN.log                       hard links of the tablet's binlog files
 * </pre>
 *
 * A linked snapshot keeps the tablet's layout (MANIFEST beside its checkpoint directory) and is keyed by its
 * identity (checkpoint name + MANIFEST offset), so a subtask that resumes inside it reads the very same rows.
 * Linking is atomic per snapshot (temporary directory, then rename) and checked against the tablet's MANIFEST
 * after the fact, so a snapshot the tablet replaced while it was being linked is never used.
 *
 * <p>Errors: a link across filesystems fails with "collector_datadir must be on the same filesystem as
 * &lt;root&gt;" naming both paths. Thread-safe: streams link new binlog files while the entity releases old ones.
 */
final class PartitionLinks {

  private static final int SNAPSHOT_LINK_ATTEMPTS = 5;

  private final Path dir;
  private final Path tabletDir;
  private final HardLinker linker;
  /** Binlog files with a smaller file index are never linked again (they were released). */
  private int binlogFloor = 0;

  PartitionLinks(Path datadir, int tid, int pid, Path tabletDir, HardLinker linker) {
    this.dir = datadir.resolve(tid + "-" + pid);
    this.tabletDir = tabletDir;
    this.linker = linker;
  }

  /** The partition's directory in collector_datadir. */
  Path dir() {
    return dir;
  }

  /** The tablet's partition directory {@code <root>/<tid>_<pid>}. */
  Path tabletDir() {
    return tabletDir;
  }

  Path binlogDir() {
    return dir.resolve("binlog");
  }

  /**
   * A linked snapshot: the directory holding MANIFEST and the checkpoint directory, and the MANIFEST. An empty
   * snapshot (MANIFEST count 0) is not linked: {@code dir} is null and reading starts in the binlog after it.
   */
  record LinkedSnapshot(Path dir, Manifest manifest) {
    String identity() {
      return manifest.name() + "-" + manifest.offset();
    }
  }

  /** The name of the directory a snapshot with this identity is linked into. */
  static String snapshotDirName(String name, long offset) {
    return "snapshot-" + name + "-" + offset;
  }

  /** The linked snapshot with this identity, if it is still kept. */
  synchronized Optional<LinkedSnapshot> find(String name, long offset) throws IOException {
    Path d = dir.resolve(snapshotDirName(name, offset));
    if (!Files.isRegularFile(d.resolve("MANIFEST"))) {
      return Optional.empty();
    }
    return Optional.of(new LinkedSnapshot(d, Manifest.read(d.resolve("MANIFEST"))));
  }

  /**
   * Links the tablet's current snapshot (or finds it already linked).
   *
   * @return empty when the tablet has no snapshot (no MANIFEST); a snapshot without directory when its MANIFEST
   *     counts 0 rows
   */
  synchronized Optional<LinkedSnapshot> linkCurrentSnapshot() throws IOException {
    Path tabletSnapshot = tabletDir.resolve("snapshot");
    for (int attempt = 0; attempt < SNAPSHOT_LINK_ATTEMPTS; attempt++) {
      Optional<Manifest> before = readManifest(tabletSnapshot);
      if (before.isEmpty()) {
        return Optional.empty();
      }
      Manifest m = before.get();
      if (m.count() == 0) {
        return Optional.of(new LinkedSnapshot(null, m));
      }
      Optional<LinkedSnapshot> existing = find(m.name(), m.offset());
      if (existing.isPresent()) {
        return existing;
      }
      Path target = dir.resolve(snapshotDirName(m.name(), m.offset()));
      Path tmp = dir.resolve(target.getFileName() + ".tmp");
      deleteRecursively(tmp);
      Files.createDirectories(tmp.resolve(m.name()));
      boolean complete = linkAll(tabletSnapshot.resolve(m.name()), tmp.resolve(m.name()));
      if (complete && m.equals(readManifest(tabletSnapshot).orElse(null))) {
        m.write(tmp.resolve("MANIFEST"));
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        return Optional.of(new LinkedSnapshot(target, m));
      }
      deleteRecursively(tmp); // the tablet replaced the snapshot meanwhile: link the new one
    }
    throw new IOException("the snapshot of " + tabletSnapshot + " kept changing while it was being linked ("
        + SNAPSHOT_LINK_ATTEMPTS + " attempts)");
  }

  /** Links the files of {@code from} into {@code to}; false when a file vanished meanwhile. */
  private boolean linkAll(Path from, Path to) throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(from)) {
      ds.forEach(files::add);
    } catch (NoSuchFileException e) {
      return false;
    }
    for (Path f : files) {
      if (Files.isDirectory(f)) {
        Files.createDirectories(to.resolve(f.getFileName().toString()));
        if (!linkAll(f, to.resolve(f.getFileName().toString()))) {
          return false;
        }
      } else if (!link(to.resolve(f.getFileName().toString()), f)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Links the tablet's binlog files that are not linked yet (at or above the release floor).
   *
   * @return how many files were newly linked
   */
  synchronized int linkBinlogs() throws IOException {
    Path tabletBinlog = tabletDir.resolve("binlog");
    Path local = binlogDir();
    Files.createDirectories(local);
    int linked = 0;
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(tabletBinlog, "*.log")) {
      ds.forEach(files::add);
    } catch (NoSuchFileException e) {
      return 0;
    }
    for (Path f : files) {
      String name = f.getFileName().toString();
      int index = fileIndex(f);
      if (index < binlogFloor || Files.exists(local.resolve(name))) {
        continue;
      }
      if (link(local.resolve(name), f)) {
        linked++;
      }
    }
    return linked;
  }

  /**
   * Removes the links of binlog files that hold only entries below {@code nextLogIndex} (the newest file is
   * always kept), and never links them again.
   */
  synchronized void releaseBinlogsBelow(long nextLogIndex) throws IOException {
    if (!Files.isDirectory(binlogDir())) {
      return;
    }
    List<BinlogFile> files = BinlogFiles.scan(binlogDir());
    for (int i = 0; i + 1 < files.size(); i++) {
      OptionalLong nextFirst = files.subList(i + 1, files.size()).stream()
          .filter(BinlogFile::hasEntries)
          .mapToLong(BinlogFile::firstLogIndex)
          .findFirst();
      if (nextFirst.isEmpty() || nextFirst.getAsLong() > nextLogIndex) {
        break;
      }
      Files.deleteIfExists(files.get(i).path());
      binlogFloor = Math.max(binlogFloor, files.get(i).fileIndex() + 1);
    }
  }

  /** Removes every linked snapshot except those with the given directory names. */
  synchronized void releaseSnapshotsExcept(List<Path> keep) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.filter(p -> p.getFileName().toString().startsWith("snapshot-")).toList()) {
        if (keep.stream().noneMatch(k -> k.getFileName().equals(p.getFileName()))) {
          deleteRecursively(p);
        }
      }
    }
  }

  /** Removes the partition's directory and everything in it. */
  synchronized void releaseAll() throws IOException {
    deleteRecursively(dir);
    binlogFloor = 0;
  }

  /** Makes one link; false when the source vanished (the tablet deleted it), errors otherwise. */
  private boolean link(Path link, Path existing) throws IOException {
    try {
      linker.link(link, existing);
      return true;
    } catch (FileAlreadyExistsException e) {
      return true;
    } catch (NoSuchFileException e) {
      if (Files.exists(existing)) {
        throw e;
      }
      return false;
    } catch (FileSystemException e) {
      String reason = String.valueOf(e.getReason());
      if (reason.toLowerCase().contains("cross-device")) {
        throw new CrossDeviceLinkException(dir.getParent(), tabletDir.getParent(), existing, link, reason);
      }
      throw e;
    }
  }

  private static Optional<Manifest> readManifest(Path snapshotDir) throws IOException {
    Path p = snapshotDir.resolve("MANIFEST");
    if (!Files.isRegularFile(p)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Manifest.read(p));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  private static int fileIndex(Path file) {
    return BinlogFiles.fileIndex(file).orElse(Integer.MAX_VALUE);
  }

  static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      walk.sorted(Comparator.reverseOrder()).forEach(f -> {
        try {
          Files.deleteIfExists(f);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** A hard link across filesystems: collector_datadir is on another filesystem than the tablet root. */
  static final class CrossDeviceLinkException extends IOException {
    CrossDeviceLinkException(Path datadir, Path root, Path existing, Path link, String reason) {
      super("collector_datadir must be on the same filesystem as " + root + ": collector_datadir is " + datadir
          + " and hard-linking " + existing + " to " + link + " failed (" + reason + "); move "
          + "collector_datadir onto the filesystem of " + root + " (one collector_datadir per filesystem)");
    }
  }
}
