package io.offsync.synctool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * PKCS#12 key and trust stores made at test time with the JDK's {@code keytool} (nothing private is committed):
 * a self-signed key pair for {@code localhost} / 127.0.0.1 and a trust store holding its certificate.
 */
final class TestKeyStores {

  static final String PASSWORD = "test-only-secret";

  /** A key store and the trust store that trusts it. */
  record Pair(Path keyStore, Path trustStore) {}

  private TestKeyStores() {}

  /** Makes {@code <dir>/<name>-keystore.p12} and {@code <dir>/<name>-truststore.p12}. */
  static Pair create(Path dir, String name) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path ks = dir.resolve(name + "-keystore.p12");
    Path ts = dir.resolve(name + "-truststore.p12");
    Path cert = dir.resolve(name + ".crt");
    keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
        "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore",
        ks.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
    keytool("-exportcert", "-alias", name, "-keystore", ks.toString(), "-storepass", PASSWORD, "-rfc", "-file",
        cert.toString());
    keytool("-importcert", "-noprompt", "-alias", name, "-file", cert.toString(), "-storetype", "PKCS12",
        "-keystore", ts.toString(), "-storepass", PASSWORD);
    return new Pair(ks, ts);
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.add("-J-XX:TieredStopAtLevel=1");
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("keytool " + String.join(" ", args) + " failed: " + out);
    }
  }
}
