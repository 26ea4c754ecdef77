package io.offsync.sync;

import io.offsync.iceberg.IcebergSchemas;
import io.offsync.iceberg.IcebergTables;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.zk.TableMetadata;
import io.offsync.sink.CommitOps;
import io.offsync.sink.DestinationException;
import io.offsync.sink.FileNames;
import io.offsync.sink.OutputFormat;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.pattern.StatusReply;

/**
 * The admin facade of table tasks, used by the gRPC and HTTP/JSON endpoints and the tests: create, delete, pause,
 * resume, status and verify. {@link #start} wires the node: journal schema, the {@link TableTask} sharding (role
 * {@code synctool}, remember-entities in the journal; its shards fenced by a {@link ZooKeeperLease} on the
 * environment's ZooKeeper client when {@code offsync.sync.lease.enabled} is on) and the {@link TaskRegistry}
 * singleton.
 *
 * <p>Every request completes with a clear {@link SyncTaskException} when it is refused: unknown table, memory-mode
 * table, bad mode, unwritable destination, no collector on a leader's machine, duplicate task, no such task.
 */
public final class SyncTasks {

  private final ActorSystem<?> system;
  private final SyncEnvironment env;
  private final SyncSettings settings;
  private final RowSource rows;
  private final ActorRef<TaskRegistry.Command> registry;
  private final Executor blocking;

  private SyncTasks(ActorSystem<?> system, SyncEnvironment env, SyncSettings settings, RowSource rows,
      ActorRef<TaskRegistry.Command> registry) {
    this.system = system;
    this.env = env;
    this.settings = settings;
    this.rows = rows;
    this.registry = registry;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig(SyncSettings.BLOCKING_DISPATCHER));
  }

  /**
   * Starts table tasks on this node (call once per ActorSystem, on every {@code synctool} node, after the node
   * joined or is joining the cluster). Creates the journal schema first when configured.
   */
  public static SyncTasks start(ActorSystem<?> system, SyncEnvironment env) {
    SyncSettings settings = SyncSettings.fromConfig(system.settings().config());
    JournalSchema.ensure(system, settings.askTimeout().multipliedBy(4));
    RowSource rows = env.rowSource().apply(system);
    ZooKeeperLease.bind(system, env.metadata().client(), env.metadata().layout());
    // the registry writes no files, so it needs no fence; and a ClusterSingletonProxy never finds a singleton
    // restarted on the same node after a lost lease (it identifies again only on membership changes)
    ActorRef<TaskRegistry.Command> registry = ClusterSingleton.get(system).init(
        SingletonActor.of(TaskRegistry.create(), "offsync-task-registry")
            .withSettings(ClusterSingletonSettings.create(system).withRole(settings.role())));
    ClusterShardingSettings sharding = ClusterShardingSettings.create(system)
        .withRole(settings.role())
        .withRememberEntities(true)
        .withRememberEntitiesStoreMode(ClusterShardingSettings.rememberEntitiesStoreModeEventSourced());
    if (settings.lease().isPresent()) {
      sharding = sharding.withLeaseSettings(settings.lease().get());
    }
    ClusterSharding.get(system).init(
        Entity.of(TableTask.TYPE_KEY, ec -> TableTask.create(ec.getEntityId(), env, settings, rows,
                registry))
            .withSettings(sharding));
    return new SyncTasks(system, env, settings, rows, registry);
  }

  /**
   * Creates the task of {@code spec}: checks the spec, resolves the table in ZooKeeper, refuses memory tables,
   * checks the destination is writable and that every partition leader's machine has a live collector, then
   * creates the {@link TableTask}.
   */
  public CompletionStage<Done> create(TaskSpec spec) {
    return CompletableFuture.supplyAsync(() -> plan(spec), blocking)
        .thenCompose(plan -> ClusterSharding.get(system)
            .entityRefFor(TableTask.TYPE_KEY, spec.key())
            .<Done>askWithStatus(replyTo -> new TableTask.Create(spec, plan.tid(), plan.partitions(), replyTo),
                settings.askTimeout()))
        .handle(SyncTasks::refusal);
  }

  /** What create resolved: the table's tid and its partitions with their first part file sequence. */
  private record Plan(int tid, List<TableTask.Partition> partitions) {}

  private Plan plan(TaskSpec spec) {
    try {
      spec.validate();
    } catch (IllegalArgumentException e) {
      throw new SyncTaskException(e.getMessage());
    }
    NS.TableInfo info = env.metadata().find(spec.db(), spec.table()).orElseThrow(() -> new SyncTaskException(
        "table " + spec.key() + " does not exist in OpenMLDB; check the database and table name"));
    Common.StorageMode storage = info.getStorageMode();
    if (storage != Common.StorageMode.kSSD && storage != Common.StorageMode.kHDD) {
      throw new SyncTaskException("table " + spec.key() + " is a " + storage + " table: only SSD and HDD tables"
          + " can be synced (memory-mode tables have no disk snapshot to read)");
    }
    try {
      spec.partitioning().ifPresent(by -> by.validate(spec.key(), TableSchema.of(info).latest()));
      if (spec.partitioning().isPresent() && spec.format() == OutputFormat.ICEBERG) {
        IcebergTables.partitionSpec(IcebergSchemas.schema(TableSchema.of(info).latest()), spec.partitionBy());
      }
    } catch (IllegalArgumentException e) {
      throw new SyncTaskException(e.getMessage());
    }
    Map<Integer, Long> lastSeq = new HashMap<>();
    try {
      env.user().call(() -> {
        FileSystem fs = CommitOps.fileSystem(spec.dest(), env.hadoopConf());
        Path dest = new Path(spec.dest());
        CommitOps.checkWritable(fs, dest);
        List<FileStatus> entries = new ArrayList<>(List.of(listOrEmpty(fs, dest)));
        entries.addAll(List.of(listOrEmpty(fs, new Path(dest, FileNames.GROUPS_DIR))));
        for (FileStatus st : entries) {
          for (NS.TablePartition p : info.getTablePartitionList()) {
            OptionalLong seq = FileNames.seqOf(st.getPath().getName(), info.getTid(), p.getPid());
            if (seq.isPresent()) {
              lastSeq.merge(p.getPid(), seq.getAsLong(), Math::max);
            }
          }
        }
        return null;
      });
    } catch (DestinationException e) {
      throw new SyncTaskException(e.getMessage(), e);
    } catch (IOException e) {
      throw new SyncTaskException("destination " + spec.dest() + " cannot be listed: " + e.getMessage(), e);
    }
    List<TableTask.Partition> partitions = new ArrayList<>();
    for (NS.TablePartition p : info.getTablePartitionList()) {
      String host;
      try {
        host = TableMetadata.host(TableMetadata.leaderEndpoint(info, p.getPid()));
      } catch (RuntimeException e) {
        throw new SyncTaskException("partition " + p.getPid() + " of " + spec.key() + " has no leader: "
            + e.getMessage(), e);
      }
      Optional<String> refused = rows.unavailable(host);
      if (refused.isPresent()) {
        throw new SyncTaskException("cannot sync partition " + p.getPid() + " of " + spec.key() + ": "
            + refused.get());
      }
      partitions.add(new TableTask.Partition(p.getPid(), lastSeq.containsKey(p.getPid())
          ? lastSeq.get(p.getPid()) + 1 : 0));
    }
    partitions.sort(Comparator.comparingInt(TableTask.Partition::pid));
    return new Plan(info.getTid(), partitions);
  }

  private static FileStatus[] listOrEmpty(FileSystem fs, Path dir) throws IOException {
    try {
      return fs.listStatus(dir);
    } catch (FileNotFoundException e) {
      return new FileStatus[0];
    }
  }

  /** Deletes the task of {@code db.table}: its subtasks stop, committed files stay. */
  public CompletionStage<Done> delete(String db, String table) {
    return send(db, table, TableTask.Delete::new);
  }

  /** Pauses every subtask of {@code db.table} (journaled: stays paused across restarts). */
  public CompletionStage<Done> pause(String db, String table) {
    return send(db, table, TableTask.Pause::new);
  }

  /**
   * Checks the committed output of the task of {@code db.table} (its latest incarnation, even deleted or completed)
   * against its journal and the records in the files; see {@link TaskVerifier}. Changes nothing.
   */
  public CompletionStage<TaskVerifier.Report> verify(String db, String table) {
    return TaskVerifier.verify(system, env.hadoopConf(), env.user(), blocking, db, table).handle((report, failure) -> {
      refusal(null, failure);
      return report;
    });
  }

  /** Resumes a paused task from its journaled positions. */
  public CompletionStage<Done> resume(String db, String table) {
    return send(db, table, TableTask.Resume::new);
  }

  private CompletionStage<Done> send(String db, String table,
      java.util.function.Function<ActorRef<StatusReply<Done>>, TableTask.Command> message) {
    return ClusterSharding.get(system)
        .entityRefFor(TableTask.TYPE_KEY, TaskSpec.key(db, table))
        .<Done>askWithStatus(message::apply, settings.askTimeout())
        .handle(SyncTasks::refusal);
  }

  /** The keys ({@code db.table}) of every existing task, sorted. */
  public CompletionStage<List<String>> tasks() {
    return AskPattern.<TaskRegistry.Command, TaskRegistry.Tasks>ask(registry, TaskRegistry.ListTasks::new,
            settings.askTimeout(), system.scheduler())
        .thenApply(TaskRegistry.Tasks::keys);
  }

  /** The status of every subtask of every task, ordered by tid and pid. */
  public CompletionStage<List<SubtaskStatus>> status() {
    return tasks().thenCompose(this::statusOf);
  }

  /**
   * The status of every subtask of the tasks whose {@link TableTask} entity runs on this node, ordered by tid and
   * pid: each subtask of a running task is on exactly one node (its subtasks are the entity's children). The
   * entities are read from this node's shard region before and after their statuses are asked; a task is kept
   * only when it was here both times, so one moving away meanwhile is not also reported by its new node's answer.
   * Fails with a {@link SyncTaskException} when a local shard does not report its entities in time.
   */
  public CompletionStage<List<SubtaskStatus>> localStatus() {
    return localTasks().thenCompose(before -> statusOf(before).thenCompose(all -> localTasks().thenApply(after ->
        all.stream().filter(s -> after.contains(TaskSpec.key(s.db(), s.table()))).toList())));
  }

  private CompletionStage<Set<String>> localTasks() {
    return AskPattern.<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
            ClusterSharding.get(system).shardState(), replyTo -> new GetShardRegionState(TableTask.TYPE_KEY, replyTo),
            settings.askTimeout(), system.scheduler())
        .thenApply(state -> {
          if (!state.getFailed().isEmpty()) {
            throw new SyncTaskException("shards " + state.getFailed() + " of this node did not report their tasks"
                + " in time (pekko.cluster.sharding.shard-region-query-timeout); retry");
          }
          Set<String> keys = new HashSet<>();
          state.getShards().forEach(shard -> keys.addAll(shard.getEntityIds()));
          return keys;
        });
  }

  private CompletionStage<List<SubtaskStatus>> statusOf(Collection<String> keys) {
    List<CompletableFuture<TaskStatus>> asks = new ArrayList<>();
    for (String key : keys) {
      asks.add(ClusterSharding.get(system)
          .entityRefFor(TableTask.TYPE_KEY, key)
          .<TaskStatus>ask(TableTask.GetStatus::new, settings.askTimeout())
          .toCompletableFuture());
    }
    return CompletableFuture.allOf(asks.toArray(new CompletableFuture[0])).thenApply(v -> {
      List<SubtaskStatus> all = new ArrayList<>();
      asks.forEach(a -> all.addAll(a.join().subtasks()));
      all.sort(Comparator.comparingInt(SubtaskStatus::tid).thenComparingInt(SubtaskStatus::pid));
      return all;
    });
  }

  /** The status of one task; empty when it does not exist. */
  public CompletionStage<TaskStatus> status(String db, String table) {
    return ClusterSharding.get(system)
        .entityRefFor(TableTask.TYPE_KEY, TaskSpec.key(db, table))
        .ask(TableTask.GetStatus::new, settings.askTimeout());
  }

  private static Done refusal(Done done, Throwable failure) {
    if (failure == null) {
      return done;
    }
    Throwable t = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    if (t instanceof SyncTaskException e) {
      throw e;
    }
    if (t instanceof StatusReply.ErrorMessage e) {
      throw new SyncTaskException(e.getMessage());
    }
    throw new SyncTaskException("request failed: " + t.getMessage(), t);
  }
}
