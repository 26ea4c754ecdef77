package io.offsync.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.offsync.health.HealthProbes;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * TLS between offsync nodes: Pekko Artery's {@code tls-tcp} transport with mutual authentication, from a key store
 * (this node's key and certificate) and a trust store (what it accepts from the other nodes), both PKCS#12 or JKS.
 * Every node of a cluster, collectors and synctools alike, must have TLS on, and trust the others' certificates.
 *
 * <p>Artery itself only logs a failed handshake, and a node that speaks TLS to a plain one (or the reverse) only
 * fails to join. {@link #seedProbe} makes that a readiness reason: while the node is not Up in the cluster, it
 * connects to each seed node, finds out whether it speaks TLS and whether the handshake with this node's own
 * stores succeeds, and names the mismatch and the settings to fix ({@code /ready} body, one WARN per change).
 *
 * @param keys how the settings are spelled where this node reads them, e.g. {@code cluster.tls.*}, for messages
 */
public record ClusterTls(Path keyStore, String keyStorePassword, Path trustStore, String trustStorePassword,
    String keys) {

  /** How long a seed's answer to a probe handshake is waited for. */
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);

  /**
   * TLS from four settings: both stores or neither (empty = plain TCP). Each store is opened with its password, so
   * a wrong path or password fails here with {@link IllegalArgumentException} naming the setting.
   *
   * @param names the four settings' names in the order of the arguments, for messages
   */
  public static Optional<ClusterTls> of(String keyStore, String keyStorePassword, String trustStore,
      String trustStorePassword, List<String> names, String keys) {
    if (keyStore.isEmpty() && trustStore.isEmpty()) {
      return Optional.empty();
    }
    if (keyStore.isEmpty() || trustStore.isEmpty()) {
      throw new IllegalArgumentException(names.get(0) + " and " + names.get(2) + " go together: set both (TLS"
          + " between the nodes, on every node) or neither (plain TCP)");
    }
    ClusterTls tls = new ClusterTls(Path.of(keyStore).toAbsolutePath(), keyStorePassword,
        Path.of(trustStore).toAbsolutePath(), trustStorePassword, keys);
    load(tls.keyStore, keyStorePassword, names.get(0), names.get(1));
    KeyStore trust = load(tls.trustStore, trustStorePassword, names.get(2), names.get(3));
    try {
      if (trust.size() == 0) {
        throw new IllegalArgumentException(names.get(2) + " = " + tls.trustStore + " holds no certificate: import"
            + " the certificate (or its CA) of the cluster's nodes");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(names.get(2) + " = " + tls.trustStore + ": " + e.getMessage(), e);
    }
    return Optional.of(tls);
  }

  private static KeyStore load(Path file, String password, String name, String passwordName) {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(name + " = " + file + ": no such readable file");
    }
    try (InputStream in = Files.newInputStream(file)) {
      KeyStore ks = KeyStore.getInstance(file.toString().endsWith(".jks") ? "JKS" : KeyStore.getDefaultType());
      ks.load(in, password.toCharArray());
      return ks;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(name + " = " + file + " cannot be opened (" + e.getMessage() + "): check"
          + " that it is a PKCS#12 or JKS store and that " + passwordName + " is its password", e);
    }
  }

  /** Pekko settings that put Artery on TLS with these stores. */
  public Config artery() {
    return ConfigFactory.parseMap(Map.of(
        "pekko.remote.artery.transport", "tls-tcp",
        "pekko.remote.artery.ssl.config-ssl-engine.key-store", keyStore.toString(),
        "pekko.remote.artery.ssl.config-ssl-engine.key-store-password", keyStorePassword,
        "pekko.remote.artery.ssl.config-ssl-engine.key-password", keyStorePassword,
        "pekko.remote.artery.ssl.config-ssl-engine.trust-store", trustStore.toString(),
        "pekko.remote.artery.ssl.config-ssl-engine.trust-store-password", trustStorePassword,
        "pekko.remote.artery.ssl.config-ssl-engine.require-mutual-authentication", "on"));
  }

  @Override
  public String toString() {
    return "TLS (key store " + keyStore + ", trust store " + trustStore + ")";
  }

  /** The SSL context Artery builds from the same stores. */
  SSLContext context() throws IOException, GeneralSecurityException {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(load(keyStore, keyStorePassword, "key store", "its password"), keyStorePassword.toCharArray());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(load(trustStore, trustStorePassword, "trust store", "its password"));
    SSLContext ctx = SSLContext.getInstance("TLSv1.3");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
    return ctx;
  }

  /**
   * A readiness probe {@code cluster-transport}: ready while {@code up}; otherwise, for each seed node (host:port)
   * that answers, fails naming a TLS mismatch between it and this node ({@code tls} empty = this node is plain).
   */
  public static HealthProbes.Probe seedProbe(Optional<ClusterTls> tls, String plainKeys, List<String> seeds,
      BooleanSupplier up, Executor blocking) {
    return new HealthProbes.Probe("cluster-transport", () -> up.getAsBoolean()
        ? CompletableFuture.completedFuture(null)
        : CompletableFuture.runAsync(() -> {
          List<String> problems = new ArrayList<>();
          for (String seed : seeds) {
            int colon = seed.lastIndexOf(':');
            mismatch(seed.substring(0, colon), Integer.parseInt(seed.substring(colon + 1)), tls, plainKeys)
                .ifPresent(problems::add);
          }
          if (!problems.isEmpty()) {
            throw new HealthProbes.NotReadyException(String.join("; ", problems));
          }
        }, blocking));
  }

  /** What is wrong between this node and the node at host:port, if TLS is the problem; empty when fine or unknown. */
  public static Optional<String> mismatch(String host, int port, Optional<ClusterTls> ours, String plainKeys) {
    String seed = host + ":" + port;
    Boolean speaksTls = speaksTls(host, port);
    if (speaksTls == null) {
      return Optional.empty();
    }
    if (ours.isEmpty()) {
      return speaksTls ? Optional.of("seed node " + seed + " speaks TLS but this node does not: set " + plainKeys
          + " like on the other nodes (every node of a cluster has TLS on, or none)") : Optional.empty();
    }
    ClusterTls tls = ours.get();
    if (!speaksTls) {
      return Optional.of("seed node " + seed + " does not speak TLS but this node does (" + tls.keys + "): turn TLS"
          + " on on every node of the cluster, or off on all");
    }
    try (Socket raw = new Socket()) {
      raw.connect(new InetSocketAddress(host, port), (int) PROBE_TIMEOUT.toMillis());
      raw.setSoTimeout((int) PROBE_TIMEOUT.toMillis());
      try (SSLSocket s = (SSLSocket) tls.context().getSocketFactory().createSocket(raw, host, port, false)) {
        s.startHandshake();
        try {
          s.getInputStream().read(); // TLS 1.3: a peer refusing our certificate says so after the handshake
        } catch (SocketTimeoutException e) {
          return Optional.empty();
        }
      }
      return Optional.empty();
    } catch (SSLException e) {
      return Optional.of("the TLS handshake with seed node " + seed + " fails (" + e.getMessage() + "): the nodes"
          + " must trust each other's certificates; check " + tls.keys + " (the trust store must hold the other"
          + " nodes' certificate or their CA) on both");
    } catch (IOException | GeneralSecurityException e) {
      return Optional.empty();
    }
  }

  /** True when host:port answers a TLS client hello, false when it does not, null when it cannot be reached. */
  static Boolean speaksTls(String host, int port) {
    try (Socket raw = new Socket()) {
      raw.connect(new InetSocketAddress(host, port), (int) PROBE_TIMEOUT.toMillis());
      raw.setSoTimeout((int) PROBE_TIMEOUT.toMillis());
      SSLContext trustAll = SSLContext.getInstance("TLS");
      trustAll.init(null, new TrustManager[] {new AnyServer()}, new SecureRandom());
      try (SSLSocket s = (SSLSocket) trustAll.getSocketFactory().createSocket(raw, host, port, false)) {
        s.startHandshake();
        return true;
      }
    } catch (ConnectException e) {
      return null;
    } catch (SSLException e) {
      // an alert from the peer (e.g. it wants a client certificate) is TLS; a peer that closes on us is not
      String m = String.valueOf(e.getMessage());
      return m.contains("Received fatal alert") && !m.contains("terminated");
    } catch (EOFException | SocketException | SocketTimeoutException e) {
      return false;
    } catch (IOException | GeneralSecurityException e) {
      return null;
    }
  }

  /** Accepts any server certificate: only used to find out whether a peer speaks TLS at all. */
  private static final class AnyServer implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
