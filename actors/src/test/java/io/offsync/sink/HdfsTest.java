package io.offsync.sink;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sink's file-system tests on a real MiniDFSCluster, plus HDFS permission checks. */
class HdfsTest extends FileSystemTests {

  private MiniDFSCluster cluster;
  private FileSystem fs;

  @BeforeAll
  void start() throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR,
        new File("target/minidfs-sink-" + System.nanoTime()).getAbsolutePath());
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    fs = cluster.getFileSystem();
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.shutdown(true);
    }
  }

  @Override
  FileSystem fs() {
    return fs;
  }

  @Override
  Path root() {
    return new Path(fs.getUri().toString() + "/sink");
  }

  @Test
  void destinationWithoutWritePermissionIsRefused() throws Exception {
    Path locked = new Path(root(), "locked");
    fs.mkdirs(locked);
    fs.setPermission(locked, new FsPermission((short) 0755));
    FileSystem asOther = FileSystem.newInstance(fs.getUri(), fs.getConf(), "mallory");
    try {
      DestinationException e = assertThrows(DestinationException.class,
          () -> CommitOps.checkWritable(asOther, new Path(locked, "t1")));
      assertTrue(e.getMessage().contains("no permission to write to destination"), e.getMessage());
      assertTrue(e.getMessage().contains("/sink/locked/t1"), e.getMessage());
    } finally {
      asOther.close();
    }
  }
}
