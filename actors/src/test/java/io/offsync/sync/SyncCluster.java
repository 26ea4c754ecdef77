package io.offsync.sync;

import com.typesafe.config.Config;
import io.offsync.collector.Collector;
import io.offsync.protocol.zk.TableMetadata;
import io.offsync.testkit.EmbeddedZooKeeper;
import io.offsync.testkit.LocalCluster;
import io.offsync.testkit.MiniHdfs;
import io.offsync.testkit.TabletFixture;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.apache.hadoop.conf.Configuration;

/**
 * The pieces of an end-to-end test: a real ZooKeeper with the table metadata under {@code /openmldb}, a
 * MiniDFSCluster, and a Pekko cluster on 127.0.0.1 of a collector node (host 127.0.0.1, tablets under
 * {@code <work>/tablets}) and a synctool node running {@link SyncTasks}. {@link #close()} stops them all.
 */
final class SyncCluster implements AutoCloseable {

  final EmbeddedZooKeeper zk;
  final TableMetadata metadata;
  final MiniHdfs hdfs;
  final LocalCluster cluster;
  final SyncTasks tasks;

  private SyncCluster(EmbeddedZooKeeper zk, TableMetadata metadata, MiniHdfs hdfs, LocalCluster cluster,
      SyncTasks tasks) {
    this.zk = zk;
    this.metadata = metadata;
    this.hdfs = hdfs;
    this.cluster = cluster;
    this.tasks = tasks;
  }

  /** Everything with the defaults of {@link EndToEndTest#nodeConfig}. */
  static SyncCluster start(String name, Path work) {
    return start(name, work, EndToEndTest.nodeConfig(work), new Configuration(false), env -> env);
  }

  /**
   * @param config the nodes' configuration
   * @param hdfsSettings settings of the MiniDFSCluster and its clients
   * @param environment adapts the synctool's environment (fault injection)
   */
  static SyncCluster start(String name, Path work, Config config, Configuration hdfsSettings,
      UnaryOperator<SyncEnvironment> environment) {
    EmbeddedZooKeeper zk = EmbeddedZooKeeper.start();
    TableMetadata metadata = new TableMetadata(zk.client(), "/openmldb");
    MiniHdfs hdfs = MiniHdfs.start(1, work.resolve("minidfs"), hdfsSettings);
    LocalCluster cluster = LocalCluster.start(name, config, List.of(EndToEndTest.COLLECTOR_ROLES, Set.of("synctool")));
    Collector.init(cluster.system(0));
    SyncTasks tasks = SyncTasks.start(cluster.system(1),
        environment.apply(SyncEnvironment.of(metadata, hdfs.configuration())));
    return new SyncCluster(zk, metadata, hdfs, cluster, tasks);
  }

  /** The destination directory of table {@code f} in HDFS. */
  org.apache.hadoop.fs.Path dest(TabletFixture f) {
    return new org.apache.hadoop.fs.Path(hdfs.uri().toString() + "/warehouse/" + f.tableInfo().getName());
  }

  @Override
  public void close() {
    cluster.close();
    hdfs.close();
    metadata.close();
    zk.close();
  }
}
