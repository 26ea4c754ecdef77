package io.offsync.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A real single-process HDFS ({@link MiniDFSCluster}: one NameNode, N DataNodes) with its own base directory,
 * by default {@code target/minidfs-<nanos>} under the working directory, so several clusters in one JVM never
 * share storage. WebHDFS is off (the NameNode's status web server still starts; MiniDFSCluster always runs it).
 * Logging goes through SLF4J; keep {@code org.apache.hadoop} at WARN or ERROR in the test's logback configuration. {@link #close()} shuts the cluster down and deletes the base directory.
 */
public final class MiniHdfs implements AutoCloseable {

  private final MiniDFSCluster cluster;
  private final File baseDir;

  private MiniHdfs(MiniDFSCluster cluster, File baseDir) {
    this.cluster = cluster;
    this.baseDir = baseDir;
  }

  /** One DataNode, base dir under {@code target/}. */
  public static MiniHdfs start() {
    return start(1, new File("target", "minidfs-" + System.nanoTime()).toPath());
  }

  /** Starts {@code dataNodes} DataNodes with storage under {@code baseDir}; blocks until the cluster is active. */
  public static MiniHdfs start(int dataNodes, Path baseDir) {
    return start(dataNodes, baseDir, new Configuration(false));
  }

  /**
   * Same as {@link #start(int, Path)} with {@code settings} applied to the cluster and to its client configuration
   * (e.g. a {@code dfs.client.socket-timeout} for fault tests).
   */
  public static MiniHdfs start(int dataNodes, Path baseDir, Configuration settings) {
    File base = baseDir.toAbsolutePath().toFile();
    Configuration conf = new Configuration();
    for (var e : settings) {
      conf.set(e.getKey(), e.getValue());
    }
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.getAbsolutePath());
    conf.setBoolean("dfs.webhdfs.enabled", false);
    conf.setInt("dfs.replication", Math.min(dataNodes, 3));
    try {
      MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(dataNodes).build();
      cluster.waitActive();
      return new MiniHdfs(cluster, base);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start MiniDFSCluster in " + base, e);
    }
  }

  /** A client {@link FileSystem} of this cluster (cached by Hadoop; do not close it, {@link #close()} does). */
  public FileSystem fileSystem() {
    try {
      return cluster.getFileSystem();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code hdfs://localhost:<port>}. */
  public URI uri() {
    return cluster.getURI();
  }

  /** The client configuration ({@code fs.defaultFS} points at this cluster). */
  public Configuration configuration() {
    return new Configuration(cluster.getConfiguration(0));
  }

  /**
   * The underlying cluster, for fault injection ({@code restartDataNode}, {@code restartNameNode}, the
   * namesystem's lock).
   */
  public MiniDFSCluster cluster() {
    return cluster;
  }

  public File baseDir() {
    return baseDir;
  }

  @Override
  public void close() {
    cluster.shutdown(true);
  }
}
