package io.offsync.collector.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;

/**
 * The collector's ZooKeeper registration, as the original writes it: {@code
 * <zk_root_path>/sync_tool/collector/<endpoint>}, ephemeral, data = the endpoint; missing parents are created as
 * persistent nodes. Curator's {@link PersistentNode} re-creates the node after a session loss. With {@code
 * zk_cert} set, the client authenticates with digest {@code zk_cert} and creates nodes with creator-only ACLs.
 */
public final class CollectorRegistration implements AutoCloseable {

  private final CuratorFramework client;
  private final PersistentNode node;
  private final String path;

  private CollectorRegistration(CuratorFramework client, PersistentNode node, String path) {
    this.client = client;
    this.node = node;
    this.path = path;
  }

  /** The registration path of {@code endpoint} under {@code rootPath}. */
  public static String path(String rootPath, String endpoint) {
    return collectorsPath(rootPath) + "/" + endpoint;
  }

  static String collectorsPath(String rootPath) {
    String root = rootPath.endsWith("/") ? rootPath.substring(0, rootPath.length() - 1) : rootPath;
    return root + "/sync_tool/collector";
  }

  /**
   * Connects and registers; waits up to {@code connectTimeout} for the first creation.
   *
   * @throws IOException naming the ZooKeeper cluster when it cannot be reached in time
   */
  public static CollectorRegistration start(String zkCluster, String rootPath, Duration sessionTimeout,
      String cert, String endpoint, Duration connectTimeout) throws IOException, InterruptedException {
    CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
        .connectString(zkCluster)
        .sessionTimeoutMs((int) sessionTimeout.toMillis())
        .connectionTimeoutMs((int) Math.min(sessionTimeout.toMillis(), 15_000))
        .retryPolicy(new ExponentialBackoffRetry(200, 10, 5_000));
    if (cert != null && !cert.isEmpty()) {
      builder.authorization("digest", cert.getBytes(StandardCharsets.UTF_8)).aclProvider(new ACLProvider() {
        @Override
        public List<ACL> getDefaultAcl() {
          return ZooDefs.Ids.CREATOR_ALL_ACL;
        }

        @Override
        public List<ACL> getAclForPath(String p) {
          return ZooDefs.Ids.CREATOR_ALL_ACL;
        }
      });
    }
    CuratorFramework client = builder.build();
    client.start();
    String path = path(rootPath, endpoint);
    try {
      if (!client.blockUntilConnected((int) connectTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IOException("cannot connect to ZooKeeper " + zkCluster + " within " + connectTimeout
            + ": check zk_cluster");
      }
      try {
        client.create().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT)
            .forPath(collectorsPath(rootPath));
      } catch (KeeperException.NodeExistsException e) {
        // registered before: fine
      }
      PersistentNode node = new PersistentNode(client, CreateMode.EPHEMERAL, false, path,
          endpoint.getBytes(StandardCharsets.UTF_8));
      node.start();
      if (!node.waitForInitialCreate(connectTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
        node.close();
        throw new IOException("cannot create " + path + " in ZooKeeper " + zkCluster + " within "
            + connectTimeout);
      }
      return new CollectorRegistration(client, node, path);
    } catch (IOException | InterruptedException | RuntimeException e) {
      client.close();
      throw e;
    } catch (Exception e) {
      client.close();
      throw new IOException("cannot register " + path + " in ZooKeeper " + zkCluster + ": " + e.getMessage(), e);
    }
  }

  public String path() {
    return path;
  }

  /** True while the ephemeral node exists (it is re-created after a session loss). */
  public boolean registered() {
    return node.getActualPath() != null;
  }

  public CuratorFramework client() {
    return client;
  }

  @Override
  public void close() throws IOException {
    try {
      node.close();
    } finally {
      client.close();
    }
  }
}
