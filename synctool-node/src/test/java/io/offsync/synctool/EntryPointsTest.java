package io.offsync.synctool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/synctool} and {@code bin/data_collector} are {@code bin/start.sh} with the component filled in: same
 * flags, same output, same exit codes (the cases that need no running node: usage errors, a missing conf, status
 * and stop of a node that is not running; starting real nodes through start.sh is MultiProcessFailoverTest's).
 */
class EntryPointsTest {

  static final Path BIN = Path.of("..", "bin").toAbsolutePath().normalize();

  @TempDir Path tmp;

  record Run(int code, String output) {}

  static Run run(String script, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(BIN.resolve(script).toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove("OFFSYNC_CONF_DIR");
    pb.environment().remove("OFFSYNC_LOG_DIR");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), script + " did not finish");
    return new Run(p.exitValue(), out);
  }

  @Test
  void sameExitCodesAndOutputAsStartSh() throws Exception {
    Path conf = Files.createDirectories(tmp.resolve("conf"));
    Files.copy(Path.of("..", "conf", "synctool.properties"), conf.resolve("synctool.properties"));
    Files.copy(Path.of("..", "conf", "data_collector.flags"), conf.resolve("data_collector.flags"));
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    for (String component : List.of("synctool", "data_collector")) {
      for (String action : List.of("status", "stop")) {
        Run wrapper = run(component, "-c", conf.toString(), action);
        Run direct = run("start.sh", "-c", conf.toString(), action, component);
        assertEquals(direct, wrapper, component + " " + action);
      }
      Run notRunning = run(component, "-c", conf.toString(), "status");
      assertEquals(1, notRunning.code(), notRunning.output());
      assertTrue(notRunning.output().contains(component + " not running"), notRunning.output());
      Run missing = run(component, "-c", empty.toString(), "status");
      assertEquals(run("start.sh", "-c", empty.toString(), "status", component), missing);
      assertEquals(2, missing.code(), missing.output());
      Run noAction = run(component);
      assertEquals(2, noAction.code());
      assertTrue(noAction.output().contains("usage: ") && noAction.output().contains("start|stop|restart|status"),
          noAction.output());
      assertEquals(2, run(component, "frobnicate").code());
    }
  }
}
