package io.offsync.synctool.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs {@code openmldb_helper_compat.py} (test resource) with python3, TZ=UTC; skips when python3 is missing. */
public final class HelperScript {

  private HelperScript() {}

  public static String run(String stdin, String... args) throws IOException, InterruptedException {
    assumeTrue(python3Available(), "python3 is not installed");
    Path script = Files.createTempFile("openmldb_helper_compat", ".py");
    try (InputStream in = HelperScript.class.getResourceAsStream("/openmldb_helper_compat.py")) {
      Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
    }
    List<String> cmd = new ArrayList<>(List.of("python3", script.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("TZ", "UTC");
    Process p = pb.start();
    try (OutputStream os = p.getOutputStream()) {
      os.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("python3 did not finish: " + out);
    }
    Files.deleteIfExists(script);
    assertEquals(0, p.exitValue(), "python3 failed:\n" + out);
    return out;
  }

  private static boolean python3Available() {
    try {
      return new ProcessBuilder("python3", "--version").redirectErrorStream(true).start().waitFor() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }
}
