package io.offsync.protocol.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestTest {

  @TempDir
  Path dir;

  @Test
  void writesTheTabletsTextFormatAtomically() throws IOException {
    Path file = dir.resolve(Manifest.FILE_NAME);
    new Manifest(1024, "202305111230", 1000, 3).write(file);
    assertEquals("offset: 1024\nname: \"202305111230\"\ncount: 1000\nterm: 3\n",
        Files.readString(file, StandardCharsets.UTF_8));
    assertFalse(Files.exists(dir.resolve("MANIFEST.tmp")));
    new Manifest(2048, "202305121230", 1500, 4).write(file);
    assertEquals(new Manifest(2048, "202305121230", 1500, 4), Manifest.read(file));
  }

  @Test
  void readsWhatTheTabletWritesIncludingUnsignedValues() throws IOException {
    Path file = dir.resolve(Manifest.FILE_NAME);
    Files.writeString(file, "offset: 18446744073709551615\nname: \"202401010000\"\ncount: 0\nterm: 7\n");
    Manifest m = Manifest.read(file);
    assertEquals(-1L, m.offset());
    assertEquals("202401010000", m.name());
    assertEquals(0, m.count());
    assertEquals(7, m.term());
    m.write(file);
    assertTrue(Files.readString(file).startsWith("offset: 18446744073709551615\n"));
  }

  @Test
  void missingAndCorruptFilesAreReportedClearly() throws IOException {
    Path file = dir.resolve(Manifest.FILE_NAME);
    assertTrue(Manifest.readIfExists(file).isEmpty());
    assertThrows(NoSuchFileException.class, () -> Manifest.read(file));
    Files.writeString(file, "offset: 12\nname: \"x\"\ncount: oops\n");
    IOException e = assertThrows(IOException.class, () -> Manifest.read(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    Files.writeString(file, "offset: 12\n");
    e = assertThrows(IOException.class, () -> Manifest.read(file));
    assertTrue(e.getMessage().contains("no checkpoint name"), e.getMessage());
  }
}
