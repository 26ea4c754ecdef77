package io.offsync.synctool.cli;

import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.offsync.protocol.admin.SyncToolAdminClient;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.grpc.GrpcServiceException;

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

  AdminClient(String server, Duration timeout) {
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
    this.client = SyncToolAdminClient.create(GrpcClientSettings.connectToServiceAt(host, port, system)
        .withTls(false).withDeadline(timeout), system);
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
