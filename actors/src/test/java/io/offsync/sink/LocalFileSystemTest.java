package io.offsync.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.position.BinlogPosition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sink's file-system tests on {@code file:///}, plus the destination URI errors. */
class LocalFileSystemTest extends FileSystemTests {

  private java.nio.file.Path dir;
  private FileSystem fs;

  @BeforeAll
  void start() throws IOException {
    dir = Files.createTempDirectory(Paths.get("target"), "sink-local-");
    fs = CommitOps.fileSystem(dir.toAbsolutePath().toUri().toString(), new Configuration());
  }

  @AfterAll
  void stop() throws IOException {
    fs.delete(new Path(dir.toAbsolutePath().toUri()), true);
  }

  @Override
  FileSystem fs() {
    return fs;
  }

  @Override
  Path root() {
    return new Path(dir.toAbsolutePath().toUri());
  }

  @Test
  void unknownSchemeIsNamed() {
    DestinationException e = assertThrows(DestinationException.class,
        () -> CommitOps.fileSystem("s4://bucket/t1", new Configuration()));
    assertTrue(e.getMessage().contains("no file system for scheme 's4'"), e.getMessage());
  }

  @Test
  void localPartFilesHaveNoChecksumSideFiles() throws Exception {
    Path dest = newDest();
    for (OutputFormat f : List.of(OutputFormat.PARQUET, OutputFormat.CSV)) {
      Path file = FileNames.tmpPath(dest, 1, 1, 0, f, "a1");
      PartWriter w = PartWriter.open(fs, file, Fixtures.ALL_TYPES, f);
      w.write(Fixtures.row(1));
      CommitRecord record = new CommitRecord("db.t|1|1", 1, 1, 0, "a1", null, new BinlogPosition(2), 1);
      long bytes = w.close(record);
      CommitOps.commit(fs, new RolledFile(0, file, FileNames.finalPath(dest, 1, 1, 0, f), record.next(), 1, bytes,
          record));
    }
    try (var names = Files.list(Paths.get(dest.toUri()))) {
      assertEquals(List.of(".part-1-1-0000000000.csv.commit", "_tmp", "part-1-1-0000000000.csv",
              "part-1-1-0000000000.parquet"),
          names.map(p -> p.getFileName().toString()).sorted().toList());
    }
    try (var names = Files.list(Paths.get(FileNames.tmpDir(dest).toUri()))) {
      assertEquals(0, names.count());
    }
  }
}
