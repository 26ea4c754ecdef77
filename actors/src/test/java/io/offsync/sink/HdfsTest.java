package io.offsync.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.collector.RowPack;
import io.offsync.testkit.MiniHdfs;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The sink's file-system tests on a real MiniDFSCluster, plus HDFS permissions and a DataNode lost mid-file. */
class HdfsTest extends FileSystemTests {

  private MiniHdfs hdfs;

  @BeforeAll
  void start() {
    hdfs = MiniHdfs.start();
  }

  @AfterAll
  void stop() {
    if (hdfs != null) {
      hdfs.close();
    }
  }

  @Override
  FileSystem fs() {
    return hdfs.fileSystem();
  }

  @Override
  Path root() {
    return new Path(hdfs.uri().toString() + "/sink");
  }

  @Test
  void destinationWithoutWritePermissionIsRefused() throws Exception {
    Path locked = new Path(root(), "locked");
    fs().mkdirs(locked);
    fs().setPermission(locked, new FsPermission((short) 0755));
    FileSystem asOther = FileSystem.newInstance(hdfs.uri(), hdfs.configuration(), "mallory");
    try {
      DestinationException e = assertThrows(DestinationException.class,
          () -> CommitOps.checkWritable(asOther, new Path(locked, "t1")));
      assertTrue(e.getMessage().contains("no permission to write to destination"), e.getMessage());
      assertTrue(e.getMessage().contains("/sink/locked/t1"), e.getMessage());
    } finally {
      asOther.close();
    }
  }

  /**
   * One of the two DataNodes of a file's write pipeline dies while the file is open. The sink either fails (and
   * leaves no tmp file) or finishes a file that holds exactly the rows sent; a retry after a failure yields
   * exactly the rows.
   */
  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void dataNodeLossMidFileNeverYieldsABadFile() throws Exception {
    Configuration conf = hdfs.configuration();
    hdfs.cluster().startDataNodes(conf, 1, true, null, null);
    hdfs.cluster().waitActive();
    conf.setInt("dfs.replication", 2);
    FileSystem fs2 = FileSystem.newInstance(hdfs.uri(), conf);
    Path dest = newDest();
    ActorTestKit kit = ActorTestKit.create("HdfsDataNodeLoss");
    try {
      Pair<BoundedSourceQueue<RowPack>, CompletionStage<List<RolledFile>>> run = Source.<RowPack>queue(64)
          .via(CommitSink.flow(fs2, dest, Streams.TID, Streams.PID, Streams.schema(), OutputFormat.CSV,
              RollPolicy.DEFAULT, 0))
          .toMat(Sink.seq(), Keep.both()).run(kit.system());
      offerAll(run.first(), Streams.wholeRowPacks(0, 3000, 50, Streams::binlog));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      Path tmpDir = FileNames.tmpDir(dest);
      while (!fs2.exists(tmpDir) || fs2.listStatus(tmpDir).length == 0) {
        assertTrue(System.nanoTime() < deadline, "the tmp file never appeared");
        Thread.sleep(20);
      }
      hdfs.cluster().stopDataNode(1);
      offerAll(run.first(), Streams.wholeRowPacks(3000, 1000, 50, Streams::binlog));
      try {
        run.first().complete();
      } catch (IllegalStateException alreadyTerminated) {
        // the sink failed when the DataNode went away; its outcome is checked below
      }
      List<RolledFile> files;
      try {
        files = run.second().toCompletableFuture().get(120, TimeUnit.SECONDS);
      } catch (ExecutionException failed) {
        assertEquals(0, fs2.listStatus(FileNames.tmpDir(dest)).length, "a failed sink leaves no tmp file");
        files = Source.from(Streams.wholeRowPacks(0, 4000, 50, Streams::binlog))
            .via(CommitSink.flow(fs(), dest, Streams.TID, Streams.PID, Streams.schema(), OutputFormat.CSV,
                RollPolicy.DEFAULT, 0))
            .runWith(Sink.seq(), kit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
      }
      assertEquals(1, files.size());
      CommitOps.commit(fs2, files.get(0));
      StringBuilder expected = new StringBuilder();
      for (long i = 0; i < 4000; i++) {
        expected.append(Fixtures.expectedCsvLine(Fixtures.ALL_TYPES, Streams.expectedArray(i)));
      }
      assertEquals(expected.toString(), ReadBack.text(fs2, files.get(0).finalPath()));
    } finally {
      kit.shutdownTestKit();
      fs2.close();
    }
  }

  private static void offerAll(BoundedSourceQueue<RowPack> queue, List<RowPack> packs) throws InterruptedException {
    for (RowPack p : packs) {
      QueueOfferResult result;
      while ((result = queue.offer(p)) == QueueOfferResult.dropped()) {
        Thread.sleep(5);
      }
      if (result != QueueOfferResult.enqueued()) {
        return; // the stream failed or finished: the caller inspects its outcome
      }
    }
  }
}
