package io.offsync.synctool.admin;

import io.offsync.protocol.admin.Collector;
import io.offsync.protocol.admin.CreateTaskRequest;
import io.offsync.protocol.admin.Format;
import io.offsync.protocol.admin.SubtaskStatus;
import io.offsync.protocol.admin.VerifyReply;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.sink.DestinationUser;
import io.offsync.sink.PartitionBy;
import io.offsync.synctool.SyncToolSettings;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.security.AccessControlException;
import org.apache.pekko.Done;

/**
 * The admin operations behind both the gRPC service and the OpenMLDB HTTP/JSON endpoints: checks a request
 * against ZooKeeper and the destination file system before it reaches the task engine, so that a refusal names
 * the exact problem (unknown table, memory table, bad mode, bad or unwritable dest, duplicate task, no collector
 * on a partition leader's host), then delegates to {@link TaskAdmin}.
 *
 * <p>Checks run on the caller's thread pool ({@code blockingExecutor}): they do blocking ZooKeeper and FileSystem
 * calls. Nothing here holds state; the engine is the authority (a duplicate create racing past the check is
 * refused by the engine).
 */
public final class AdminService {

  private final TaskAdmin tasks;
  private final ClusterMetadata metadata;
  private final Configuration hadoopConf;
  private final DestinationUser user;
  private final SyncToolSettings settings;
  private final java.util.concurrent.Executor blocking;

  /** @param user the user destination checks run as (the node's Kerberos principal, if it has one) */
  public AdminService(TaskAdmin tasks, ClusterMetadata metadata, Configuration hadoopConf, DestinationUser user,
      SyncToolSettings settings, java.util.concurrent.Executor blockingExecutor) {
    this.tasks = tasks;
    this.metadata = metadata;
    this.hadoopConf = hadoopConf;
    this.user = user;
    this.settings = settings;
    this.blocking = blockingExecutor;
  }

  public SyncToolSettings settings() {
    return settings;
  }

  /**
   * Validates {@code request}, fills in the node's defaults, and starts the task. Every refusal comes before the
   * destination is touched: the dest is created and write-tested only once the table, its collectors and the
   * absence of a task for it are checked, so a refused create leaves nothing behind.
   */
  public CompletionStage<Done> create(CreateTaskRequest request) {
    return CompletableFuture.supplyAsync(() -> preflight(request), blocking)
        .thenCompose(resolved -> tasks.status().thenApply(all -> {
          String db = resolved.getTable().getDb();
          String table = resolved.getTable().getTable();
          if (all.stream().anyMatch(s -> s.getDb().equals(db) && s.getTable().equals(table))) {
            throw new AdminException(AdminException.Kind.ALREADY_EXISTS, "a sync task for " + db + "." + table
                + " already exists: delete it first (delete -t " + db + "." + table + ") to start another");
          }
          return resolved;
        }))
        .thenApplyAsync(resolved -> resolved.toBuilder()
            .setDest(checkDest(resolved.getDest(), resolved.getFormat())).build(), blocking)
        .thenCompose(tasks::create);
  }

  /** Whether OpenMLDB has the table {@code db.name} (ZooKeeper). */
  public CompletionStage<Boolean> tableExists(String db, String name) {
    return CompletableFuture.supplyAsync(() -> metadata.findTable(db, name).isPresent(), blocking);
  }

  public CompletionStage<Done> delete(String db, String table) {
    return checkName(db, table).thenCompose(x -> tasks.delete(db, table));
  }

  public CompletionStage<Done> pause(String db, String table) {
    return checkName(db, table).thenCompose(x -> tasks.pause(db, table));
  }

  public CompletionStage<Done> resume(String db, String table) {
    return checkName(db, table).thenCompose(x -> tasks.resume(db, table));
  }

  /** Checks the task's committed files against its journal (see {@link TaskAdmin#verify}). */
  public CompletionStage<VerifyReply> verify(String db, String table) {
    return checkName(db, table).thenCompose(x -> tasks.verify(db, table));
  }

  public CompletionStage<List<SubtaskStatus>> status() {
    return tasks.status();
  }

  /** Deletes every task (the original's {@code TaskStatus{clear_all: true}}). */
  public CompletionStage<Done> deleteAll() {
    return tasks.status().thenCompose(all -> {
      Set<String> tables = new TreeSet<>();
      all.forEach(s -> tables.add(s.getDb() + "\u0000" + s.getTable()));
      CompletableFuture<Done> chain = CompletableFuture.completedFuture(Done.getInstance());
      for (String t : tables) {
        String[] parts = t.split("\u0000", 2);
        chain = chain.thenCompose(d -> tasks.delete(parts[0], parts[1]).toCompletableFuture());
      }
      return chain;
    });
  }

  public CompletionStage<List<Collector>> collectors() {
    return CompletableFuture.supplyAsync(metadata::collectors, blocking);
  }

  public String collectorsPath() {
    return metadata.collectorsPath();
  }

  private static CompletionStage<Done> checkName(String db, String table) {
    if (db == null || db.isEmpty() || table == null || table.isEmpty()) {
      return CompletableFuture.failedFuture(new AdminException(AdminException.Kind.BAD_REQUEST,
          "the table must be given as db.table (both parts non-empty)"));
    }
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  private CreateTaskRequest preflight(CreateTaskRequest request) {
    String db = request.getTable().getDb();
    String name = request.getTable().getTable();
    if (db.isEmpty() || name.isEmpty()) {
      throw new AdminException(AdminException.Kind.BAD_REQUEST,
          "the table must be given as db.table (both parts non-empty), got '" + db + "." + name + "'");
    }
    int mode = request.getMode();
    if (mode < 0 || mode > 2) {
      throw new AdminException(AdminException.Kind.BAD_REQUEST, "mode " + mode + " is not a sync mode: use 0"
          + " (full snapshot + binlog, then stop), 1 (from start_ts, continuous) or 2 (full, continuous)");
    }
    if (request.getDest().isBlank()) {
      throw new AdminException(AdminException.Kind.BAD_REQUEST,
          "dest is empty: give the destination directory (e.g. /user/offsync/db/table or hdfs://nn:8020/path)");
    }
    NS.TableInfo info = metadata.findTable(db, name).orElseThrow(() -> new AdminException(
        AdminException.Kind.NOT_FOUND, "table " + db + "." + name + " not found in OpenMLDB (ZooKeeper "
        + settings.zookeeperCluster() + metadata.tablesPath() + "): check the database and table name"));
    if (info.getStorageMode() != Common.StorageMode.kSSD && info.getStorageMode() != Common.StorageMode.kHDD) {
      throw new AdminException(AdminException.Kind.PRECONDITION, "table " + db + "." + name + " is a "
          + info.getStorageMode().name().substring(1).toLowerCase(java.util.Locale.ROOT)
          + " table: only disk tables (storage_mode SSD or HDD) can be synced");
    }
    checkCollectors(db, name, info);
    Format format = request.getFormat();
    if (format == Format.FORMAT_DEFAULT) {
      format = switch (settings.defaultFormat()) {
        case "csv" -> Format.CSV;
        case "iceberg" -> Format.ICEBERG;
        default -> Format.PARQUET;
      };
    }
    CreateTaskRequest.Builder b = request.toBuilder().setDest(request.getDest().trim()).setFormat(format);
    String partitionBy = request.getPartitionBy().isBlank() ? settings.defaultPartitionBy()
        : request.getPartitionBy().trim();
    if (partitionBy.equalsIgnoreCase("none")) {
      partitionBy = "";
    }
    if (!partitionBy.isEmpty()) {
      try {
        partitionBy = PartitionBy.parse(partitionBy).toString();
      } catch (IllegalArgumentException e) {
        throw new AdminException(AdminException.Kind.BAD_REQUEST, e.getMessage());
      }
    }
    b.setPartitionBy(partitionBy);
    if (request.getRollSizeBytes() == 0) {
      b.setRollSizeBytes(settings.rollSizeBytes());
    }
    if (request.getRollTimeSeconds() == 0) {
      b.setRollTimeSeconds((int) settings.rollTime().toSeconds());
    }
    if (request.getRollIdleSeconds() == 0) {
      b.setRollIdleSeconds((int) settings.rollIdle().toSeconds());
    }
    if (mode != 1) {
      b.setStartTs(0);
    }
    return b.build();
  }

  private void checkCollectors(String db, String name, NS.TableInfo info) {
    Set<String> hosts = new TreeSet<>();
    metadata.collectors().forEach(c -> hosts.add(c.getHost()));
    List<String> missing = new ArrayList<>();
    for (NS.TablePartition p : info.getTablePartitionList()) {
      String leader = p.getPartitionMetaList().stream().filter(NS.PartitionMeta::getIsLeader)
          .map(NS.PartitionMeta::getEndpoint).findFirst().orElseThrow(() -> new AdminException(
              AdminException.Kind.PRECONDITION, "partition " + p.getPid() + " of " + db + "." + name
              + " has no leader in ZooKeeper: wait for OpenMLDB to elect one, then retry"));
      if (!hosts.contains(ClusterMetadata.host(leader))) {
        missing.add("pid " + p.getPid() + " (leader " + leader + ")");
      }
    }
    if (!missing.isEmpty()) {
      throw new AdminException(AdminException.Kind.PRECONDITION, "no collector registered on the host of "
          + String.join(", ", missing) + " under " + metadata.collectorsPath()
          + ": start a data_collector on that machine (bin/start.sh start data_collector)");
    }
  }

  /**
   * Makes the dest directory and proves it writable; returns the dest as given. The probe file goes into
   * {@code _tmp/} for part files, into dest itself for an Iceberg warehouse (where a {@code _tmp} directory would
   * read as a namespace).
   */
  private String checkDest(String dest, Format format) {
    Path dir;
    FileSystem fs;
    try {
      dir = new Path(dest);
      fs = user.call(() -> dir.getFileSystem(hadoopConf));
    } catch (IllegalArgumentException | IOException e) {
      throw new AdminException(AdminException.Kind.BAD_REQUEST, "dest '" + dest + "' is not a usable path: "
          + e.getMessage() + " (give a directory path, or a URI such as hdfs://namenode:8020/dir or file:///dir)");
    }
    Path probe = new Path(dir, (format == Format.ICEBERG ? "" : "_tmp/") + ".offsync-probe-" + UUID.randomUUID());
    try {
      boolean isFile = user.call(() -> {
        if (fs.exists(dir) && !fs.getFileStatus(dir).isDirectory()) {
          return true;
        }
        fs.mkdirs(probe.getParent());
        fs.create(probe, false).close();
        fs.delete(probe, false);
        return false;
      });
      if (isFile) {
        throw new AdminException(AdminException.Kind.BAD_REQUEST, "dest " + fs.makeQualified(dir)
            + " exists and is not a directory: choose a directory");
      }
    } catch (IOException e) {
      Optional<String> kerberos = DestinationUser.kerberosHint(e);
      if (kerberos.isPresent()) {
        throw new AdminException(AdminException.Kind.PERMISSION_DENIED, "cannot write in dest "
            + fs.makeQualified(dir) + ": " + kerberos.get());
      }
      if (e instanceof AccessControlException) {
        throw new AdminException(AdminException.Kind.PERMISSION_DENIED, "no permission to write in dest "
            + fs.makeQualified(dir) + ": " + firstLine(e.getMessage()) + " (grant the synctool's user write access"
            + " or choose another directory)");
      }
      String msg = firstLine(e.getMessage());
      boolean denied = msg != null && msg.toLowerCase(java.util.Locale.ROOT).contains("permission denied");
      throw new AdminException(denied ? AdminException.Kind.PERMISSION_DENIED : AdminException.Kind.BAD_REQUEST,
          "cannot write in dest " + fs.makeQualified(dir) + ": " + e.getClass().getSimpleName() + ": " + msg
          + (denied ? " (grant the synctool's user write access or choose another directory)"
              : " (check the path and that the file system is reachable)"));
    }
    return dest;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
