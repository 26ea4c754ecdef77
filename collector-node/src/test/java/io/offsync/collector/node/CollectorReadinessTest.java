package io.offsync.collector.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.collector.HardLinker;
import io.offsync.testkit.EmbeddedZooKeeper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /ready} of a real collector node (real ZooKeeper, cluster on 127.0.0.1) follows its dependencies and
 * names the one that fails: a synctool in the cluster, ZooKeeper and collector_datadir.
 */
@ExtendWith(LogCapturingExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CollectorReadinessTest {

  @TempDir static Path tmp;
  EmbeddedZooKeeper zk;
  CollectorNode collector;
  ActorSystem<Void> synctool;
  Path datadir;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  void start() throws Exception {
    zk = EmbeddedZooKeeper.start();
    datadir = tmp.resolve("datadir");
    collector = TestNodes.collector(zk.connectString(), "127.0.0.1", datadir,
        Files.createDirectories(tmp.resolve("hdd")), 1 << 20, null, HardLinker.FILES);
  }

  @AfterAll
  void stop() throws Exception {
    if (synctool != null) {
      synctool.terminate();
    }
    if (collector != null) {
      collector.close();
    }
    if (zk != null) {
      zk.close();
    }
  }

  HttpResponse<String> ready() throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + collector.managementPort() + "/ready"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Polls /ready until its status is {@code status}; returns the body of that answer. */
  String awaitReady(int status, String what) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    HttpResponse<String> last = null;
    while (System.nanoTime() < deadline) {
      last = ready();
      if (last.statusCode() == status) {
        return last.body();
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out waiting for " + what + "; last answer: "
        + (last == null ? "none" : last.statusCode() + " " + last.body()));
  }

  @Test
  void notReadyWithoutASynctoolItsDatadirOrZooKeeperAndSaysWhy() throws Exception {
    String alone = awaitReady(500, "not ready while no synctool is in the cluster");
    assertTrue(alone.contains("no synctool in the cluster"), alone);
    synctool = TestNodes.member(collector, "synctool");
    awaitReady(200, "ready once a synctool joined");

    Path moved = tmp.resolve("datadir-moved");
    Files.move(datadir, moved);
    try {
      String body = awaitReady(500, "not ready without collector_datadir");
      assertTrue(body.contains("collector_datadir " + datadir + " is not a writable directory"), body);
    } finally {
      Files.move(moved, datadir);
    }
    awaitReady(200, "ready again with collector_datadir back");

    zk.stop();
    try {
      String body = awaitReady(500, "not ready while ZooKeeper is down");
      assertTrue(body.contains("zookeeper: not connected to " + zk.connectString()), body);
      assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + collector.managementPort() + "/alive")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    } finally {
      zk.restart();
    }
    awaitReady(200, "ready again once ZooKeeper is back and the node re-registered");
  }
}
