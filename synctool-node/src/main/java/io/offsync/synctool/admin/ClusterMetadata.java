package io.offsync.synctool.admin;

import io.offsync.protocol.admin.Collector;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.zk.TableMetadata;
import io.offsync.protocol.zk.ZkLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * What the admin layer reads from OpenMLDB's ZooKeeper: table metadata (through {@link TableMetadata}) and
 * collector registrations ({@code <root>/sync_tool/collector/<endpoint>}). Every read goes to ZooKeeper; a
 * ZooKeeper failure is an {@link AdminException} of kind UNAVAILABLE.
 */
public final class ClusterMetadata {

  private final CuratorFramework zk;
  private final TableMetadata tables;
  private final ZkLayout layout;

  public ClusterMetadata(CuratorFramework zk, String rootPath) {
    this.zk = zk;
    this.tables = new TableMetadata(zk, rootPath);
    this.layout = tables.layout();
  }

  public String collectorsPath() {
    return layout.collectors();
  }

  public String tablesPath() {
    return layout.tableData();
  }

  /** The table {@code db.name}, if OpenMLDB knows it. */
  public Optional<NS.TableInfo> findTable(String db, String name) {
    return guarded(tablesPath(), () -> tables.find(db, name));
  }

  /** The table with this tid, if OpenMLDB knows it. */
  public Optional<NS.TableInfo> byTid(int tid) {
    return guarded(tablesPath(), () -> tables.byTid(tid));
  }

  /** Registered collectors, sorted by endpoint. */
  public List<Collector> collectors() {
    String dir = collectorsPath();
    List<String> children;
    try {
      children = zk.getChildren().forPath(dir);
    } catch (KeeperException.NoNodeException e) {
      return List.of();
    } catch (Exception e) {
      throw unavailable(dir, e);
    }
    List<Collector> out = new ArrayList<>();
    for (String endpoint : children.stream().sorted().toList()) {
      String data;
      try {
        data = new String(zk.getData().forPath(layout.collector(endpoint)), StandardCharsets.UTF_8);
      } catch (KeeperException.NoNodeException e) {
        continue;
      } catch (Exception e) {
        throw unavailable(layout.collector(endpoint), e);
      }
      out.add(Collector.newBuilder().setEndpoint(endpoint).setHost(host(endpoint)).setData(data).build());
    }
    return out;
  }

  /** The host part of {@code host:port} (collectors are matched to partition leaders by this text). */
  public static String host(String endpoint) {
    return TableMetadata.host(endpoint);
  }

  private static <T> T guarded(String path, Supplier<T> read) {
    try {
      return read.get();
    } catch (RuntimeException e) {
      throw unavailable(path, e);
    }
  }

  private static AdminException unavailable(String path, Exception e) {
    return new AdminException(AdminException.Kind.UNAVAILABLE, "cannot read ZooKeeper " + path + " ("
        + e.getClass().getSimpleName() + ": " + e.getMessage() + "): check zookeeper.cluster and that ZooKeeper"
        + " is up");
  }
}
