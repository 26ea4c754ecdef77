package io.offsync.protocol.zk;

import java.util.Objects;

/**
 * The ZooKeeper paths OpenMLDB uses under its root path ({@code zk_root_path}, default {@code /openmldb}).
 *
 * <ul>
 *   <li>{@code <root>/table/db_table_data/<tid>}: binary {@code openmldb.nameserver.TableInfo} of every table
 *       that belongs to a database, written by the nameserver;
 *   <li>{@code <root>/nodes/<endpoint>}: ephemeral tablet registrations;
 *   <li>{@code <root>/sync_tool/collector/<endpoint>}: ephemeral DataCollector registrations (data = endpoint);
 *   <li>{@code <root>/sync_tool/lease/<lease name>}: ephemeral offsync lease nodes (data = owner), the lease name
 *       URL-encoded (UTF-8) so that one name is one path element.
 * </ul>
 *
 * Pure path arithmetic; nothing here talks to ZooKeeper.
 */
public final class ZkLayout {

  /** OpenMLDB's default {@code zk_root_path}. */
  public static final String DEFAULT_ROOT = "/openmldb";

  private final String root;

  /**
   * @param rootPath absolute ZooKeeper path such as {@code /openmldb}; a trailing slash is dropped
   * @throws IllegalArgumentException if the path is not absolute
   */
  public ZkLayout(String rootPath) {
    Objects.requireNonNull(rootPath, "rootPath");
    if (!rootPath.startsWith("/")) {
      throw new IllegalArgumentException(
          "ZooKeeper root path must be absolute (start with '/'), got '" + rootPath + "'; e.g. /openmldb");
    }
    String r = rootPath;
    while (r.length() > 1 && r.endsWith("/")) {
      r = r.substring(0, r.length() - 1);
    }
    this.root = r.equals("/") ? "" : r;
  }

  /** The root path as configured, without a trailing slash ({@code "/"} for the ZooKeeper root). */
  public String root() {
    return root.isEmpty() ? "/" : root;
  }

  /** {@code <root>/table/db_table_data}: one child per table, named by its tid. */
  public String tableData() {
    return root + "/table/db_table_data";
  }

  /** {@code <root>/table/db_table_data/<tid>}. */
  public String tableInfo(int tid) {
    return tableData() + "/" + tid;
  }

  /** {@code <root>/nodes}: one ephemeral child per live tablet, named by its endpoint. */
  public String nodes() {
    return root + "/nodes";
  }

  /** {@code <root>/nodes/<endpoint>}. */
  public String node(String endpoint) {
    return nodes() + "/" + endpoint;
  }

  /** {@code <root>/sync_tool/collector}: one ephemeral child per live DataCollector, named by its endpoint. */
  public String collectors() {
    return root + "/sync_tool/collector";
  }

  /** {@code <root>/sync_tool/collector/<endpoint>}. */
  public String collector(String endpoint) {
    return collectors() + "/" + endpoint;
  }

  /** {@code <root>/sync_tool/lease}: one ephemeral child per held lease. */
  public String leases() {
    return root + "/sync_tool/lease";
  }

  /** {@code <root>/sync_tool/lease/<name URL-encoded>}. */
  public String lease(String name) {
    return leases() + "/" + java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "ZkLayout(" + root() + ")";
  }
}
