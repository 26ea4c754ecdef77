package io.offsync.protocol.zk;

import com.google.protobuf.InvalidProtocolBufferException;
import io.offsync.protocol.openmldb.NS;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads OpenMLDB table metadata the way the nameserver stores it: one binary {@code NS.TableInfo} per table at
 * {@code <root>/table/db_table_data/<tid>} (see {@link ZkLayout}).
 *
 * <p>Lookups ({@link #find}, {@link #byTid}, {@link #list}) read ZooKeeper directly, so they always see the
 * current state. {@link #addListener} starts a Curator {@link CuratorCache} over the table directory (once, on
 * the first listener); listeners then receive the new {@code TableInfo} of every table created or changed
 * (leader moves, {@code ALTER TABLE ... ADD COLUMN}), starting with one call per table already present. They run
 * on Curator's event thread and must not block. A node that does not parse as {@code TableInfo} is skipped with
 * a warning (lookups and listeners alike), so one bad node does not hide the other tables.
 *
 * <p>The {@link CuratorFramework} is owned by the caller (started before use, closed after {@link #close()}).
 */
public final class TableMetadata implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(TableMetadata.class);

  private final CuratorFramework client;
  private final ZkLayout layout;
  private final List<Consumer<NS.TableInfo>> changeListeners = new CopyOnWriteArrayList<>();
  private final List<IntConsumer> dropListeners = new CopyOnWriteArrayList<>();
  private CuratorCache cache;

  public TableMetadata(CuratorFramework client, String rootPath) {
    this.client = Objects.requireNonNull(client, "client");
    this.layout = new ZkLayout(rootPath);
  }

  public ZkLayout layout() {
    return layout;
  }

  /** The caller's client this instance reads with. */
  public CuratorFramework client() {
    return client;
  }

  /** The table {@code db.table}, if the nameserver has registered it. */
  public Optional<NS.TableInfo> find(String db, String table) {
    return list().stream().filter(t -> t.getDb().equals(db) && t.getName().equals(table)).findFirst();
  }

  /** The table with this tid, if registered. */
  public Optional<NS.TableInfo> byTid(int tid) {
    String path = layout.tableInfo(tid);
    try {
      byte[] data = client.getData().forPath(path);
      return Optional.ofNullable(parse(path, data));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    } catch (Exception e) {
      throw unreadable(path, e);
    }
  }

  /** Every registered table, by ascending tid. */
  public List<NS.TableInfo> list() {
    String dir = layout.tableData();
    List<String> children;
    try {
      children = client.getChildren().forPath(dir);
    } catch (KeeperException.NoNodeException e) {
      return List.of();
    } catch (Exception e) {
      throw unreadable(dir, e);
    }
    List<NS.TableInfo> tables = new ArrayList<>(children.size());
    for (String child : children) {
      String path = dir + "/" + child;
      try {
        NS.TableInfo info = parse(path, client.getData().forPath(path));
        if (info != null) {
          tables.add(info);
        }
      } catch (KeeperException.NoNodeException e) {
        // dropped between the listing and the read
      } catch (Exception e) {
        throw unreadable(path, e);
      }
    }
    tables.sort(Comparator.comparingInt(NS.TableInfo::getTid));
    return tables;
  }

  /**
   * Calls {@code listener} with the new {@code TableInfo} whenever a table is created or changed, and once per
   * table already present. Starts the watch on the first call.
   */
  public synchronized void addListener(Consumer<NS.TableInfo> listener) {
    changeListeners.add(Objects.requireNonNull(listener, "listener"));
    startCache();
  }

  /** Calls {@code listener} with the tid of every table whose node is deleted (DROP TABLE). */
  public synchronized void addDropListener(IntConsumer listener) {
    dropListeners.add(Objects.requireNonNull(listener, "listener"));
    startCache();
  }

  private void startCache() {
    if (cache != null) {
      return;
    }
    String dir = layout.tableData();
    cache = CuratorCache.build(client, dir);
    cache.listenable().addListener(CuratorCacheListener.builder()
        .forCreatesAndChanges((oldNode, node) -> onChanged(dir, node))
        .forDeletes(node -> onDeleted(dir, node))
        .build());
    cache.start();
  }

  private void onChanged(String dir, ChildData node) {
    if (!isTableNode(dir, node.getPath())) {
      return;
    }
    NS.TableInfo info = parse(node.getPath(), node.getData());
    if (info == null) {
      return;
    }
    for (Consumer<NS.TableInfo> l : changeListeners) {
      try {
        l.accept(info);
      } catch (RuntimeException e) {
        log.warn("table metadata listener failed on tid {}", info.getTid(), e);
      }
    }
  }

  private void onDeleted(String dir, ChildData node) {
    if (!isTableNode(dir, node.getPath())) {
      return;
    }
    String name = node.getPath().substring(dir.length() + 1);
    int tid;
    try {
      tid = Integer.parseInt(name);
    } catch (NumberFormatException e) {
      return;
    }
    for (IntConsumer l : dropListeners) {
      try {
        l.accept(tid);
      } catch (RuntimeException e) {
        log.warn("table drop listener failed on tid {}", tid, e);
      }
    }
  }

  private static boolean isTableNode(String dir, String path) {
    return path.startsWith(dir + "/") && path.indexOf('/', dir.length() + 1) < 0;
  }

  private static NS.TableInfo parse(String path, byte[] data) {
    if (data == null || data.length == 0) {
      log.warn("ZooKeeper node {} is empty, not a TableInfo; skipped", path);
      return null;
    }
    try {
      return NS.TableInfo.parseFrom(data);
    } catch (InvalidProtocolBufferException e) {
      log.warn("ZooKeeper node {} is not a binary openmldb.nameserver.TableInfo ({}); skipped", path,
          e.getMessage());
      return null;
    }
  }

  private ZkMetadataException unreadable(String path, Exception e) {
    return new ZkMetadataException("cannot read ZooKeeper node " + path + " (connect string "
        + client.getZookeeperClient().getCurrentConnectionString()
        + "): " + e + "; check zookeeper.cluster / zk_cluster and zookeeper.root_path / zk_root_path", e);
  }

  /** The partition {@code pid} of {@code table}. */
  public static NS.TablePartition partition(NS.TableInfo table, int pid) {
    for (NS.TablePartition p : table.getTablePartitionList()) {
      if (p.getPid() == pid) {
        return p;
      }
    }
    throw new ZkMetadataException("table " + name(table) + " has no partition " + pid + " in ZooKeeper (it has "
        + table.getTablePartitionCount() + " partitions); was the table re-created with fewer partitions?");
  }

  /**
   * The leader replica of partition {@code pid}: the single {@code PartitionMeta} with {@code is_leader}.
   *
   * @throws ZkMetadataException if the partition is missing, has no leader (failover in progress) or several
   */
  public static NS.PartitionMeta leader(NS.TableInfo table, int pid) {
    NS.TablePartition partition = partition(table, pid);
    NS.PartitionMeta leader = null;
    for (NS.PartitionMeta m : partition.getPartitionMetaList()) {
      if (m.getIsLeader()) {
        if (leader != null) {
          throw new ZkMetadataException("partition " + pid + " of table " + name(table) + " has several leaders ("
              + leader.getEndpoint() + ", " + m.getEndpoint() + ") in ZooKeeper; wait for the nameserver to finish"
              + " the leader change and retry");
        }
        leader = m;
      }
    }
    if (leader == null) {
      throw new ZkMetadataException("partition " + pid + " of table " + name(table) + " has no leader in"
          + " ZooKeeper; wait for the nameserver's failover (or check the tablets with `showtablet`) and retry");
    }
    return leader;
  }

  /** The endpoint ({@code host:port}) of partition {@code pid}'s leader tablet; see {@link #leader}. */
  public static String leaderEndpoint(NS.TableInfo table, int pid) {
    return leader(table, pid).getEndpoint();
  }

  /**
   * The host part of an endpoint: the text before the last {@code ':'} ({@code "10.0.0.1:10921"} →
   * {@code "10.0.0.1"}), or the whole string if it has no port. Collectors are matched to tablets by this
   * string, literally, as the original does.
   */
  public static String host(String endpoint) {
    int colon = endpoint.lastIndexOf(':');
    return colon < 0 ? endpoint : endpoint.substring(0, colon);
  }

  private static String name(NS.TableInfo table) {
    return table.getDb() + "." + table.getName() + " (tid " + table.getTid() + ")";
  }

  /** Stops the watch, if started. The Curator client stays open. */
  @Override
  public synchronized void close() {
    if (cache != null) {
      cache.close();
      cache = null;
    }
  }
}
