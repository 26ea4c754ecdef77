package io.offsync.testkit;

import java.io.File;
import java.util.concurrent.CountDownLatch;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/**
 * A stand-alone ZooKeeper server for the quickstart and for trying offsync on one machine: a Curator
 * {@code TestingServer} on {@code 127.0.0.1:<port>} keeping its data in {@code <dir>}. It runs until the process
 * is stopped. Not for production: use a real ZooKeeper ensemble there.
 *
 * <p>Usage: {@code EmbeddedZooKeeperMain <port> <data-dir>}
 */
public final class EmbeddedZooKeeperMain {

  private EmbeddedZooKeeperMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: EmbeddedZooKeeperMain <port> <data-dir>");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    File dir = new File(args[1]);
    if (!dir.isDirectory() && !dir.mkdirs()) {
      throw new IllegalArgumentException("cannot create ZooKeeper data dir " + dir);
    }
    InstanceSpec spec = new InstanceSpec(dir, port, -1, -1, false, -1, 2000, 60);
    TestingServer server = new TestingServer(spec, true);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (Exception e) {
        System.err.println("ZooKeeper did not close cleanly: " + e);
      } finally {
        stopped.countDown();
      }
    }));
    System.out.println("ZooKeeper listening on " + server.getConnectString() + ", data in " + dir.getAbsolutePath());
    stopped.await();
  }
}
