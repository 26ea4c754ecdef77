package io.offsync.synctool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code offsync_cds} of {@code bin/common.sh}, the class-data archive {@code bin/start.sh} gives a node, with real
 * JVMs on a real jar: the first start records, the next one checks the recording and maps it; a truncated recording
 * (a JVM killed while writing it) is deleted, never handed to a JVM (it would crash it); a changed jar records anew
 * and drops the old archive; a class path with a directory, or options under which the JVM cannot record, start
 * without an archive and never fail.
 */
class ClassDataArchiveTest {

  @TempDir Path tmp;

  /** Runs {@code script} after sourcing bin/common.sh, archives under tmp/cds; its output. */
  private String bash(String script) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", "set -euo pipefail; source "
        + EntryPointsTest.BIN.resolve("common.sh") + "; cd " + tmp + "; " + script).redirectErrorStream(true);
    pb.environment().put("OFFSYNC_CDS_DIR", tmp.resolve("cds").toString());
    pb.environment().remove("OFFSYNC_CDS");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), script);
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  private static final String CDS = "offsync_cds node \"$CP\" java -Xmx64m; "
      + "echo \"opts=$offsync_cds_opts\"; echo \"note=$offsync_cds_note\"; ";
  /** A node's run: a main class of the jar, with the options offsync_cds gave. */
  private static final String RUN = "java $offsync_cds_opts -Xmx64m -cp \"$CP\" picocli.AutoComplete --help"
      + " >/dev/null; ";

  @Test
  void recordedByTheFirstRunUsedByTheNextRecordedAnewWhenTheJarChanges() throws Exception {
    Path jar = tmp.resolve("app.jar");
    Files.copy(Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(e -> e.contains("picocli") && e.endsWith(".jar")).map(Path::of).findFirst().orElseThrow(), jar);
    String cp = "CP=" + jar + "; ";

    String first = bash(cp + CDS + RUN);
    assertTrue(first.contains("opts=-XX:ArchiveClassesAtExit=") && first.contains("none for this class path yet"),
        first);
    String second = bash(cp + CDS + "java -Xshare:on $offsync_cds_opts -cp \"$CP\" -version 2>&1 | tail -1");
    assertTrue(second.contains("opts=-XX:SharedArchiveFile=") && second.contains(" created (recorded by"), second);
    assertTrue(second.contains("sharing"), "the JVM maps the archive: " + second);
    String[] archives = tmp.resolve("cds").toFile().list();
    assertEquals(1, archives.length, Arrays.toString(archives));

    // a recording cut short: deleted, recorded anew
    Path archive = tmp.resolve("cds").resolve(archives[0]);
    Path cut = tmp.resolve("cds").resolve(archives[0] + ".part-1");
    Files.write(cut, Arrays.copyOf(Files.readAllBytes(archive), 100_000));
    Files.delete(archive);
    String truncated = bash(cp + CDS);
    assertFalse(Files.exists(cut), truncated);
    assertTrue(truncated.contains("none for this class path yet"), truncated);

    // another build of the jar: a new archive, the old one deleted
    bash(cp + RUN.replace("$offsync_cds_opts", "-XX:ArchiveClassesAtExit=" + archive));
    assertTrue(Files.exists(archive));
    assertTrue(jar.toFile().setLastModified(jar.toFile().lastModified() - 60_000));
    String rebuilt = bash(cp + CDS);
    assertTrue(rebuilt.contains("none for this class path yet"), rebuilt);
    assertFalse(Files.exists(archive), rebuilt);

    String withDirectory = bash("CP=" + jar + ":" + tmp + "; " + CDS);
    assertTrue(withDirectory.contains("opts=\n") && withDirectory.contains("note=\n"), withDirectory);
    String shareOff = bash(cp + "offsync_cds node \"$CP\" java -Xshare:off; echo \"opts=$offsync_cds_opts\";"
        + " echo \"note=$offsync_cds_note\"");
    assertTrue(shareOff.contains("opts=\n") && shareOff.contains("cannot record one with these options"), shareOff);
  }
}
