package io.offsync.synctool.admin;

import io.offsync.protocol.admin.Collector;
import io.offsync.protocol.openmldb.NS;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * Reads what the admin layer needs from OpenMLDB's ZooKeeper: table metadata ({@code <root>/table/db_table_data},
 * binary {@code NS.TableInfo}) and collector registrations ({@code <root>/sync_tool/collector/<endpoint>}).
 * Every read goes to ZooKeeper; a ZooKeeper failure is an {@link AdminException} of kind UNAVAILABLE.
 */
public final class ClusterMetadata {

  private final CuratorFramework zk;
  private final String root;

  public ClusterMetadata(CuratorFramework zk, String rootPath) {
    this.zk = zk;
    this.root = rootPath.equals("/") ? "" : rootPath;
  }

  public String collectorsPath() {
    return root + "/sync_tool/collector";
  }

  public String tablesPath() {
    return root + "/table/db_table_data";
  }

  /** The table {@code db.name}, if OpenMLDB knows it. */
  public Optional<NS.TableInfo> findTable(String db, String name) {
    for (String child : children(tablesPath())) {
      byte[] data = read(tablesPath() + "/" + child);
      if (data == null) {
        continue;
      }
      try {
        NS.TableInfo info = NS.TableInfo.parseFrom(data);
        if (db.equals(info.getDb()) && name.equals(info.getName())) {
          return Optional.of(info);
        }
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AdminException(AdminException.Kind.INTERNAL, "ZooKeeper node " + tablesPath() + "/" + child
            + " is not an OpenMLDB TableInfo: " + e.getMessage());
      }
    }
    return Optional.empty();
  }

  /** Registered collectors, sorted by endpoint. */
  public List<Collector> collectors() {
    List<Collector> out = new ArrayList<>();
    for (String endpoint : children(collectorsPath()).stream().sorted().toList()) {
      byte[] data = read(collectorsPath() + "/" + endpoint);
      out.add(Collector.newBuilder().setEndpoint(endpoint).setHost(host(endpoint))
          .setData(data == null ? "" : new String(data, java.nio.charset.StandardCharsets.UTF_8)).build());
    }
    return out;
  }

  /** The host part of {@code host:port} (the original matches collectors to leaders by this text). */
  public static String host(String endpoint) {
    int colon = endpoint.lastIndexOf(':');
    return colon < 0 ? endpoint : endpoint.substring(0, colon);
  }

  private List<String> children(String path) {
    try {
      return zk.getChildren().forPath(path);
    } catch (KeeperException.NoNodeException e) {
      return List.of();
    } catch (Exception e) {
      throw unavailable(path, e);
    }
  }

  private byte[] read(String path) {
    try {
      return zk.getData().forPath(path);
    } catch (KeeperException.NoNodeException e) {
      return null;
    } catch (Exception e) {
      throw unavailable(path, e);
    }
  }

  private AdminException unavailable(String path, Exception e) {
    return new AdminException(AdminException.Kind.UNAVAILABLE, "cannot read ZooKeeper " + path + " ("
        + e.getClass().getSimpleName() + ": " + e.getMessage() + "): check zookeeper.cluster and that ZooKeeper"
        + " is up");
  }
}
