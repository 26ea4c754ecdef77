package io.offsync.synctool;

import static io.offsync.synctool.TestNodes.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.sink.DestinationUser;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/**
 * {@link FileSystemProbe} against a NameNode address that accepts connections and never answers (a listening
 * socket nobody reads: what a hung NameNode looks like to a client): the probe fails within its timeout naming
 * the URI, and the client's own retries do not keep the probing thread busy.
 */
class FileSystemProbeTest {

  @Test
  void aSilentNameNodeIsReportedInTimeAndReleasesTheThread() throws Exception {
    ThreadPoolExecutor blocking = new ThreadPoolExecutor(2, 2, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>());
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      String uri = "hdfs://127.0.0.1:" + silent.getLocalPort();
      Configuration conf = new Configuration();
      conf.set("fs.defaultFS", uri);
      try (FileSystemProbe probe = new FileSystemProbe(conf, DestinationUser.processUser(),
          () -> CompletableFuture.completedFuture(
          List.of("/warehouse/events", "file:///tmp/local-dest")), blocking, Duration.ofSeconds(1),
          Duration.ofMillis(100))) {
        long start = System.nanoTime();
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
            () -> probe.check().toCompletableFuture().get(30, TimeUnit.SECONDS));
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        String message = e.getCause().getMessage();
        assertTrue(message.startsWith(uri + "/ unreachable: "), message);
        assertTrue(!message.contains("file:"), "the local file system is not probed: " + message);
        assertTrue(tookMs < 10_000, "answered in " + tookMs + " ms");
        await(Duration.ofSeconds(30), () -> blocking.getActiveCount() == 0,
            "the probing thread released by the client's own timeouts");
      }
    } finally {
      blocking.shutdownNow();
    }
  }

  @Test
  void fileSystemOfADestination() {
    Configuration local = new Configuration();
    assertEquals(Optional.empty(), FileSystemProbe.fileSystemOf("/data/out", local));
    assertEquals(Optional.empty(), FileSystemProbe.fileSystemOf("file:///data/out", local));
    assertEquals(Optional.of(URI.create("hdfs://nn1:8020/")),
        FileSystemProbe.fileSystemOf("hdfs://nn1:8020/warehouse/x", local));
    Configuration hdfs = new Configuration();
    hdfs.set("fs.defaultFS", "hdfs://nameservice1");
    assertEquals(Optional.of(URI.create("hdfs://nameservice1/")), FileSystemProbe.fileSystemOf("/out", hdfs));
    assertEquals(Optional.of(URI.create("hdfs://nameservice1/")), FileSystemProbe.fileSystemOf("hdfs:///out", hdfs));
    assertEquals(Optional.of(URI.create("hdfs://other:9000/")),
        FileSystemProbe.fileSystemOf("hdfs://other:9000/out", hdfs));
    assertEquals(Optional.empty(), FileSystemProbe.fileSystemOf("file:/tmp/out", hdfs));
  }
}
