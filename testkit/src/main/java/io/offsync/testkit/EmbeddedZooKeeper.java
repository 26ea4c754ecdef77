package io.offsync.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.TestingServer;

/**
 * A real ZooKeeper server (Curator {@link TestingServer}) on a random local port, with a temporary data
 * directory, plus one shared started Curator client. {@link #restart()} keeps the port and data (session loss
 * tests); {@link #stop()} keeps them too, until {@link #restart()}. {@link #close()} stops everything and deletes
 * the data.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {

  private final TestingServer server;
  private final CuratorFramework client;

  private EmbeddedZooKeeper(TestingServer server) {
    this.server = server;
    this.client = newClient();
  }

  /** Starts a server and its shared client; blocks until the client is connected. */
  public static EmbeddedZooKeeper start() {
    try {
      return new EmbeddedZooKeeper(new TestingServer(true));
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the embedded ZooKeeper: " + e, e);
    }
  }

  /** {@code 127.0.0.1:<port>}. */
  public String connectString() {
    return server.getConnectString();
  }

  public int port() {
    return server.getPort();
  }

  /** The shared client, started and connected; closed by {@link #close()}. */
  public CuratorFramework client() {
    return client;
  }

  /** A new started client the caller owns (and closes). */
  public CuratorFramework newClient() {
    CuratorFramework c = CuratorFrameworkFactory.builder().connectString(connectString())
        .sessionTimeoutMs(10_000).connectionTimeoutMs(5_000)
        .retryPolicy(new ExponentialBackoffRetry(100, 5)).build();
    c.start();
    try {
      if (!c.blockUntilConnected(20, TimeUnit.SECONDS)) {
        c.close();
        throw new IllegalStateException("no connection to the embedded ZooKeeper at " + connectString());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      c.close();
      throw new IllegalStateException("interrupted while connecting to ZooKeeper", e);
    }
    return c;
  }

  /** Stops the server; clients see a disconnection. Data and port are kept for {@link #restart()}. */
  public void stop() {
    try {
      server.stop();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts the server again on the same port with the same data. */
  public void restart() {
    try {
      server.restart();
    } catch (Exception e) {
      throw new IllegalStateException("cannot restart the embedded ZooKeeper: " + e, e);
    }
  }

  @Override
  public void close() {
    client.close();
    try {
      server.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
