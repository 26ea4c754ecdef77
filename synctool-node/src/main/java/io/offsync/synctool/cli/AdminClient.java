package io.offsync.synctool.cli;

import com.typesafe.config.ConfigFactory;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.offsync.protocol.admin.SyncToolAdminClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.grpc.GrpcServiceException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * A gRPC connection from the helper CLI to a synctool node. Every call waits at most {@code timeout}; failures
 * become {@link CliError} with text for a person: the server's refusal as it gave it, or, when nothing answers,
 * "is synctool running at host:port?".
 */
final class AdminClient implements AutoCloseable {

  /** A failed command: exit code and message. */
  static final class CliError extends RuntimeException {
    final int exitCode;

    CliError(int exitCode, String message) {
      super(message);
      this.exitCode = exitCode;
    }
  }

  static final int REFUSED = 1;
  static final int UNREACHABLE = 3;

  private final String server;
  private final Duration timeout;
  private final ActorSystem system;
  private final SyncToolAdminClient client;

  /**
   * How to reach the server: TLS when {@code tls} (trusting {@code caFile}, a PEM certificate or CA, else the JVM's
   * trusted CAs), with the bearer token of {@code tokenFile} when set.
   */
  record Access(boolean tls, Path caFile, Path tokenFile) {
    static final Access PLAIN = new Access(false, null, null);
  }

  AdminClient(String server, Duration timeout) {
    this(server, timeout, Access.PLAIN);
  }

  AdminClient(String server, Duration timeout, Access access) {
    this.server = server;
    this.timeout = timeout;
    int colon = server.lastIndexOf(':');
    if (colon <= 0) {
      throw new CliError(2, "server '" + server + "' is not host:port (e.g. 127.0.0.1:8848)");
    }
    String host = server.substring(0, colon);
    int port;
    try {
      port = Integer.parseInt(server.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new CliError(2, "server '" + server + "' is not host:port (e.g. 127.0.0.1:8848)");
    }
    this.system = ActorSystem.create("synctool-helper", ConfigFactory.parseString(
        "pekko.actor.provider = local\n"
            + "pekko.loglevel = ERROR\n"
            + "pekko.stdout-loglevel = OFF\n"
            + "pekko.log-dead-letters = off\n"
            + "pekko.fail-mixed-versions = off\n"
            + "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off\n")
        .withFallback(ConfigFactory.load()));
    GrpcClientSettings settings = GrpcClientSettings.connectToServiceAt(host, port, system)
        .withTls(access.tls() || access.caFile() != null).withDeadline(timeout);
    if (access.caFile() != null) {
      settings = settings.withTrustManager(trustManager(access.caFile()));
    }
    if (access.tokenFile() != null) {
      settings = settings.withCallCredentials(new BearerToken(readToken(access.tokenFile())));
    }
    this.client = SyncToolAdminClient.create(settings, system);
  }

  private static String readToken(Path file) {
    try {
      String token = Files.readString(file, StandardCharsets.UTF_8).lines().findFirst().orElse("").trim();
      if (token.isEmpty()) {
        throw new CliError(2, "--token-file " + file + " is empty");
      }
      return token;
    } catch (IOException e) {
      throw new CliError(2, "cannot read --token-file " + file + ": " + e.getMessage());
    }
  }

  private static TrustManager trustManager(Path caFile) {
    try (InputStream in = Files.newInputStream(caFile)) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca-" + i++, c);
      }
      if (i == 0) {
        throw new CliError(2, "--cacert " + caFile + " holds no PEM certificate");
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      return tmf.getTrustManagers()[0];
    } catch (IOException | GeneralSecurityException e) {
      throw new CliError(2, "cannot read --cacert " + caFile + ": " + e.getMessage());
    }
  }

  /** Adds {@code authorization: Bearer <token>} to every call. */
  private static final class BearerToken extends CallCredentials {
    private static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private final String token;

    BearerToken(String token) {
      this.token = token;
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + token);
      applier.apply(headers);
    }
  }

  SyncToolAdminClient api() {
    return client;
  }

  <T> T call(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliError(130, "interrupted");
    } catch (TimeoutException e) {
      throw noAnswer();
    } catch (ExecutionException e) {
      throw translate(e.getCause());
    }
  }

  private CliError noAnswer() {
    return new CliError(UNREACHABLE, "no answer from synctool at " + server + " within " + timeout.toSeconds()
        + " s: is synctool running at " + server + "?");
  }

  private CliError translate(Throwable t) {
    Status status = t instanceof StatusRuntimeException s ? s.getStatus()
        : t instanceof GrpcServiceException g ? g.getStatus() : null;
    if (status == null) {
      return new CliError(REFUSED, "request to synctool at " + server + " failed: " + t);
    }
    if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
      return noAnswer();
    }
    if (status.getCode() == Status.Code.UNAVAILABLE && isTransport(status)) {
      return new CliError(UNREACHABLE, "cannot reach synctool at " + server + " (" + describe(status)
          + "): is synctool running at " + server + "? (bin/start.sh status synctool)");
    }
    if (status.getCode() == Status.Code.UNIMPLEMENTED) {
      return new CliError(REFUSED, server + " does not serve the offsync admin API (" + describe(status)
          + "): is it an offsync synctool? (OpenMLDB's own SyncTool only speaks HTTP/JSON)");
    }
    return new CliError(REFUSED, status.getDescription() == null ? status.getCode().toString()
        : status.getDescription());
  }

  private static boolean isTransport(Status status) {
    for (Throwable c = status.getCause(); c != null; c = c.getCause()) {
      if (c instanceof java.net.ConnectException || c instanceof java.io.IOException) {
        return true;
      }
    }
    String d = String.valueOf(status.getDescription()).toLowerCase(java.util.Locale.ROOT);
    return d.contains("io exception") || d.contains("connection refused") || d.contains("unable to resolve")
        || d.contains("connection closed") || d.equals("null");
  }

  private static String describe(Status status) {
    Throwable root = status.getCause();
    while (root != null && root.getCause() != null) {
      root = root.getCause();
    }
    return root != null ? root.getMessage() : String.valueOf(status.getDescription());
  }

  @Override
  public void close() {
    try {
      client.close().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // closing a client that never connected may fail; the process ends anyway
    }
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // best effort
    }
  }
}
