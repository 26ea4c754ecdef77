package io.offsync.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded H2 journal keeps every commit across a process kill: a child JVM commits rows one transaction at
 * a time through the URL offsync generates ({@link JournalConfig#h2Url}), reports each commit once it returned,
 * and halts (no shutdown hook, no close: what kill -9 leaves). Every reported commit must be in the file. With H2's
 * default write delay (500 ms) the same run lost every commit, the table with them.
 */
class JournalDurabilityTest {

  private static final int COMMITS = 50;

  @TempDir Path dir;

  @Test
  void everyCommitSurvivesAHaltRightAfterIt() throws Exception {
    String url = JournalConfig.h2Url(dir.resolve("journal"));
    assertTrue(url.contains(";WRITE_DELAY=0"), url);
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Committer.class.getName(), url)
        .redirectErrorStream(true).start();
    List<String> out = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        out.add(line);
      }
    }
    assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child never halted");
    long reported = out.stream().filter(l -> l.startsWith("committed ")).count();
    assertEquals(COMMITS, reported, "child output: " + out);
    try (Connection c = DriverManager.getConnection(url, "root", "root"); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM t")) {
      rs.next();
      assertEquals(COMMITS, rs.getInt(1), "commits lost by the halt");
    }
  }

  /** The child: one commit per row, each reported after it returned, then a halt. */
  public static final class Committer {
    public static void main(String[] args) throws Exception {
      Connection c = DriverManager.getConnection(args[0], "root", "root");
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE t (id INT PRIMARY KEY, payload VARCHAR(200))");
      }
      c.setAutoCommit(false);
      try (var insert = c.prepareStatement("INSERT INTO t VALUES (?, ?)")) {
        for (int i = 0; i < COMMITS; i++) {
          insert.setInt(1, i);
          insert.setString(2, "event " + i);
          insert.executeUpdate();
          c.commit();
          System.out.println("committed " + i);
        }
      }
      System.out.flush();
      Runtime.getRuntime().halt(0);
    }
  }
}
