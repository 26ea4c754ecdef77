package io.offsync.synctool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The synctool process refusing to start: a real child JVM running {@link SyncToolMain}. */
class SyncToolMainTest {

  @TempDir Path dir;

  record Exit(int code, String stderr) {}

  Exit run(String properties) throws IOException, InterruptedException {
    Path file = dir.resolve("synctool.properties");
    Files.writeString(file, properties);
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(List.of(java.toString(), "-Xmx256m", "-Dpekko.fail-mixed-versions=off",
        "-cp", System.getProperty("java.class.path"), SyncToolMain.class.getName(), file.toString()))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("SyncToolMain did not exit: " + err);
    }
    return new Exit(p.exitValue(), err);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void aBadSettingsFileExitsWith2NamingTheKey() throws Exception {
    Exit e = run("zookeeper.cluster=127.0.0.1:2181\nzookeeper.root_path=/openmldb\nserver.prot=8848\n");
    assertEquals(2, e.code(), e.stderr());
    assertTrue(e.stderr().contains("unknown key server.prot"), e.stderr());
  }

  @Test
  void anOpenAdminPortOffLoopbackExitsWith2NamingTheKeys() throws Exception {
    Exit e = run("zookeeper.cluster=127.0.0.1:1\nzookeeper.root_path=/openmldb\nserver.host=0.0.0.0\n");
    assertEquals(2, e.code(), e.stderr());
    assertTrue(e.stderr().contains("server.auth.token_file") && e.stderr().contains("server.auth.insecure"),
        e.stderr());
  }

  @Test
  void anUnreachableZooKeeperExitsWith1NamingIt() throws Exception {
    String zk = "127.0.0.1:" + freePort();
    Exit e = run("zookeeper.cluster=" + zk + "\nzookeeper.root_path=/openmldb\nrequest.timeout=1\nserver.host=127.0.0.1\n"
        + "server.port=" + freePort() + "\ncluster.port=" + freePort() + "\nmanagement.port=" + freePort()
        + "\nsync_task.progress_path=" + dir.resolve("progress") + "\n");
    assertEquals(1, e.code(), e.stderr());
    assertTrue(e.stderr().contains("cannot connect to ZooKeeper at " + zk), e.stderr());
  }
}
