package io.offsync.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.log.LogWriter;
import io.offsync.protocol.openmldb.Tablet;
import io.offsync.protocol.snapshot.Manifest;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hard links of one partition on a real filesystem. */
class PartitionLinksTest {

  @TempDir Path tmp;
  Path root;
  Path tabletDir;
  Path datadir;

  @BeforeEach
  void layout() throws IOException {
    root = tmp.resolve("hdd");
    tabletDir = Files.createDirectories(root.resolve("3_1"));
    Files.createDirectories(tabletDir.resolve("binlog"));
    datadir = Files.createDirectories(tmp.resolve("datadir"));
  }

  private void snapshot(String name, long offset, String... files) throws IOException {
    Path cp = Files.createDirectories(tabletDir.resolve("snapshot").resolve(name));
    for (String f : files) {
      Files.writeString(cp.resolve(f), name + "/" + f);
    }
    new Manifest(offset, name, 10, 1).write(tabletDir.resolve("snapshot").resolve("MANIFEST"));
  }

  private void binlog(int fileIndex, long firstIndex, int entries) throws IOException {
    Path f = tabletDir.resolve("binlog").resolve(String.format("%08d.log", fileIndex));
    try (LogWriter w = LogWriter.open(f)) {
      for (long i = firstIndex; i < firstIndex + entries; i++) {
        w.addRecord(Tablet.LogEntry.newBuilder().setLogIndex(i).setTerm(1)
            .setValue(ByteString.copyFromUtf8("row" + i)).build().toByteArray());
      }
      w.flush();
    }
  }

  private static Object inode(Path p) throws IOException {
    return Files.getAttribute(p, "unix:ino");
  }

  private List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void linksTheCurrentSnapshotKeyedByItsIdentity() throws IOException {
    snapshot("202611241900", 42, "000008.sst", "CURRENT", "MANIFEST-000005", "OPTIONS-000007");
    PartitionLinks links = new PartitionLinks(datadir, 3, 1, tabletDir, HardLinker.FILES);
    var linked = links.linkCurrentSnapshot().orElseThrow();
    assertEquals(datadir.resolve("3-1").resolve("snapshot-202611241900-42"), linked.dir());
    assertEquals(new Manifest(42, "202611241900", 10, 1), linked.manifest());
    Path sst = linked.dir().resolve("202611241900").resolve("000008.sst");
    assertEquals(inode(tabletDir.resolve("snapshot/202611241900/000008.sst")), inode(sst), "a hard link");
    assertEquals(new Manifest(42, "202611241900", 10, 1), Manifest.read(linked.dir().resolve("MANIFEST")));
    assertEquals(linked, links.linkCurrentSnapshot().orElseThrow(), "linking again finds the same snapshot");

    // the tablet makes a new snapshot and deletes the old checkpoint: the linked one stays readable
    snapshot("202611241930", 90, "000011.sst", "CURRENT");
    PartitionLinks.deleteRecursively(tabletDir.resolve("snapshot/202611241900"));
    assertEquals("202611241900/000008.sst", Files.readString(sst));
    assertEquals(linked, links.find("202611241900", 42).orElseThrow());
    var newer = links.linkCurrentSnapshot().orElseThrow();
    assertEquals("snapshot-202611241930-90", newer.dir().getFileName().toString());

    links.releaseSnapshotsExcept(List.of(newer.dir()));
    assertTrue(links.find("202611241900", 42).isEmpty());
    assertTrue(links.find("202611241930", 90).isPresent());
    assertFalse(names(links.dir()).stream().anyMatch(n -> n.endsWith(".tmp")));
  }

  @Test
  void noSnapshotOrAnEmptyOneLinksNothing() throws IOException {
    PartitionLinks links = new PartitionLinks(datadir, 3, 1, tabletDir, HardLinker.FILES);
    assertTrue(links.linkCurrentSnapshot().isEmpty());
    Files.createDirectories(tabletDir.resolve("snapshot/202611241900"));
    new Manifest(7, "202611241900", 0, 1).write(tabletDir.resolve("snapshot/MANIFEST"));
    var empty = links.linkCurrentSnapshot().orElseThrow();
    assertEquals(null, empty.dir(), "an empty snapshot is not linked");
    assertEquals(7, empty.manifest().offset());
  }

  @Test
  void binlogFilesAreLinkedAsTheyAppearAndReleasedBelowAPosition() throws IOException {
    binlog(0, 1, 10);
    binlog(1, 11, 10);
    Files.writeString(tabletDir.resolve("binlog/README"), "not a binlog");
    PartitionLinks links = new PartitionLinks(datadir, 3, 1, tabletDir, HardLinker.FILES);
    assertEquals(2, links.linkBinlogs());
    assertEquals(List.of("00000000.log", "00000001.log"), names(links.binlogDir()));
    assertEquals(0, links.linkBinlogs());
    binlog(2, 21, 10);
    assertEquals(1, links.linkBinlogs());

    // tablet-side purge: the links keep the data
    Files.delete(tabletDir.resolve("binlog/00000000.log"));
    assertTrue(Files.size(links.binlogDir().resolve("00000000.log")) > 0);

    links.releaseBinlogsBelow(15);
    assertEquals(List.of("00000001.log", "00000002.log"), names(links.binlogDir()),
        "file 1 holds index 15 and stays");
    links.releaseBinlogsBelow(21);
    assertEquals(List.of("00000002.log"), names(links.binlogDir()));
    assertEquals(0, links.linkBinlogs(), "released files are not linked again while the tablet keeps them");
    links.releaseBinlogsBelow(1000);
    assertEquals(List.of("00000002.log"), names(links.binlogDir()), "the newest file always stays");
    links.releaseAll();
    assertFalse(Files.exists(links.dir()));
  }

  @Test
  void crossDeviceLinkNamesBothPaths() throws IOException {
    snapshot("202611241900", 42, "000008.sst");
    HardLinker exdev = (link, existing) -> {
      throw new FileSystemException(existing.toString(), link.toString(), "Invalid cross-device link");
    };
    PartitionLinks links = new PartitionLinks(datadir, 3, 1, tabletDir, exdev);
    IOException e = assertThrows(IOException.class, links::linkCurrentSnapshot);
    assertTrue(e.getMessage().startsWith("collector_datadir must be on the same filesystem as " + root),
        e.getMessage());
    assertTrue(e.getMessage().contains("collector_datadir is " + datadir), e.getMessage());
  }
}
