package io.offsync.testkit;

import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.zk.ZkLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * A {@link TabletFixture} table in ZooKeeper as the nameserver records it: binary {@code TableInfo} at
 * {@code /table/db_table_data/<tid>}, and an ephemeral {@code /nodes/<endpoint>} (data {@code startup_<endpoint>})
 * per tablet. Failures are {@link IllegalStateException}s naming the path.
 */
final class TableRegistration {

  private final CuratorFramework zk;
  private final ZkLayout layout;

  TableRegistration(CuratorFramework zk, String zkRoot) {
    this.zk = zk;
    this.layout = new ZkLayout(zkRoot);
  }

  /** Registers every tablet endpoint of {@code table} and publishes it. */
  void register(NS.TableInfo table) {
    List<String> endpoints = new ArrayList<>();
    for (NS.TablePartition tp : table.getTablePartitionList()) {
      for (NS.PartitionMeta m : tp.getPartitionMetaList()) {
        if (!endpoints.contains(m.getEndpoint())) {
          endpoints.add(m.getEndpoint());
        }
      }
    }
    endpoints.forEach(this::registerTablet);
    publish(table);
  }

  /** Adds an ephemeral tablet registration {@code /nodes/<endpoint>} (no-op if present). */
  void registerTablet(String endpoint) {
    try {
      zk.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL)
          .forPath(layout.node(endpoint), ("startup_" + endpoint).getBytes(StandardCharsets.UTF_8));
    } catch (KeeperException.NodeExistsException e) {
      // already registered
    } catch (Exception e) {
      throw new IllegalStateException("cannot register tablet " + endpoint + " in ZooKeeper: " + e, e);
    }
  }

  /** Removes the tablet registration {@code /nodes/<endpoint>}. */
  void unregisterTablet(String endpoint) {
    try {
      zk.delete().forPath(layout.node(endpoint));
    } catch (KeeperException.NoNodeException e) {
      // not registered
    } catch (Exception e) {
      throw new IllegalStateException("cannot unregister tablet " + endpoint + ": " + e, e);
    }
  }

  /** Writes the table's {@code TableInfo} (created or replaced). */
  void publish(NS.TableInfo table) {
    String path = layout.tableInfo(table.getTid());
    try {
      if (zk.checkExists().forPath(path) == null) {
        zk.create().creatingParentsIfNeeded().forPath(path, table.toByteArray());
      } else {
        zk.setData().forPath(path, table.toByteArray());
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot write " + path + " to ZooKeeper: " + e, e);
    }
  }

  /** Removes the table (DROP TABLE as the nameserver records it). */
  void unregister(int tid) {
    try {
      zk.delete().forPath(layout.tableInfo(tid));
    } catch (KeeperException.NoNodeException e) {
      // already gone
    } catch (Exception e) {
      throw new IllegalStateException("cannot delete table " + tid + " from ZooKeeper: " + e, e);
    }
  }
}
