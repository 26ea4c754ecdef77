package io.offsync.synctool;

import io.offsync.protocol.admin.Collector;
import io.offsync.protocol.admin.CreateTaskRequest;
import io.offsync.protocol.admin.Format;
import io.offsync.protocol.admin.SubtaskStatus;
import io.offsync.protocol.admin.VerifyReply;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import io.offsync.protocol.position.SnapshotPosition;
import io.offsync.protocol.zk.TableMetadata;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.PartitionBy;
import io.offsync.sink.RollPolicy;
import io.offsync.synctool.admin.AdminException;
import io.offsync.synctool.admin.ClusterMetadata;
import io.offsync.synctool.admin.TaskAdmin;
import io.offsync.sync.Subtask;
import io.offsync.sync.SubtaskState;
import io.offsync.sync.SyncEnvironment;
import io.offsync.sync.SyncTaskException;
import io.offsync.sync.SyncTasks;
import io.offsync.sync.TaskSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.DispatcherSelector;

/**
 * {@link TaskAdmin} over the task engine's {@link SyncTasks} facade: turns admin requests into {@link TaskSpec}s,
 * engine refusals ({@link SyncTaskException}) into {@link AdminException}s, and engine status records into
 * {@link SubtaskStatus} messages, adding what the engine does not keep: the partition leader's endpoint and the
 * collector's registered endpoint (both read from ZooKeeper at status time).
 */
public final class EngineTaskAdmin implements TaskAdmin {

  private final SyncTasks tasks;
  private final ClusterMetadata metadata;
  private final Executor blocking;

  private EngineTaskAdmin(SyncTasks tasks, ClusterMetadata metadata, Executor blocking) {
    this.tasks = tasks;
    this.metadata = metadata;
    this.blocking = blocking;
  }

  /** The engine of a production node: table tasks reading from collectors. */
  public static SyncToolNode.Engine engine() {
    return (system, ctx) -> {
      TableMetadata tables = new TableMetadata(ctx.zookeeper(), ctx.settings().zookeeperRootPath());
      SyncTasks tasks = SyncTasks.start(system, SyncEnvironment.of(tables, ctx.hadoopConf()).withUser(ctx.user()));
      return new EngineTaskAdmin(tasks, new ClusterMetadata(ctx.zookeeper(), ctx.settings().zookeeperRootPath()),
          system.dispatchers().lookup(DispatcherSelector.blocking()));
    };
  }

  @Override
  public CompletionStage<Done> create(CreateTaskRequest r) {
    OutputFormat format = switch (r.getFormat()) {
      case CSV -> OutputFormat.CSV;
      case ICEBERG -> OutputFormat.ICEBERG;
      default -> OutputFormat.PARQUET;
    };
    RollPolicy roll = new RollPolicy(r.getRollSizeBytes(), Duration.ofSeconds(r.getRollTimeSeconds()),
        Duration.ofSeconds(r.getRollIdleSeconds()));
    TaskSpec spec = new TaskSpec(r.getTable().getDb(), r.getTable().getTable(), r.getMode(), r.getStartTs(),
        r.getDest(), format, roll, r.getPartitionBy().isEmpty() ? null : PartitionBy.parse(r.getPartitionBy()));
    return refusals(tasks.create(spec));
  }

  @Override
  public CompletionStage<Done> delete(String db, String table) {
    return refusals(tasks.delete(db, table));
  }

  @Override
  public CompletionStage<Done> pause(String db, String table) {
    return refusals(tasks.pause(db, table));
  }

  @Override
  public CompletionStage<Done> resume(String db, String table) {
    return refusals(tasks.resume(db, table));
  }

  @Override
  public CompletionStage<VerifyReply> verify(String db, String table) {
    return refusals(tasks.verify(db, table)).thenApply(r -> VerifyReply.newBuilder().setOk(r.ok())
        .addAllLine(r.lines()).addAllProblem(r.problems()).build());
  }

  @Override
  public CompletionStage<List<SubtaskStatus>> status() {
    return refusals(tasks.status()).thenApplyAsync(this::describe, blocking);
  }

  @Override
  public CompletionStage<List<SubtaskStatus>> localStatus() {
    return refusals(tasks.localStatus()).thenApplyAsync(this::describe, blocking);
  }

  @Override
  public CompletionStage<Set<String>> destinations() {
    return tasks.status().thenApply(all -> {
      Set<String> dests = new TreeSet<>();
      all.forEach(s -> dests.add(s.dest()));
      return dests;
    });
  }

  private List<SubtaskStatus> describe(List<io.offsync.sync.SubtaskStatus> all) {
    List<SubtaskStatus> out = new ArrayList<>(all.size());
    if (all.isEmpty()) {
      return out;
    }
    Map<String, String> collectorByHost = new HashMap<>();
    for (Collector c : metadata.collectors()) {
      collectorByHost.putIfAbsent(c.getHost(), c.getEndpoint());
    }
    Map<Integer, Optional<NS.TableInfo>> tables = new HashMap<>();
    for (io.offsync.sync.SubtaskStatus s : all) {
      Optional<NS.TableInfo> info = tables.computeIfAbsent(s.tid(), metadata::byTid);
      SubtaskStatus.Builder b = SubtaskStatus.newBuilder()
          .setDb(s.db()).setTable(s.table()).setTid(s.tid()).setPid(s.pid())
          .setMode(s.mode()).setStartTs(s.startTs()).setDest(s.dest())
          .setFormat(s.format() == null ? "" : s.format().toLowerCase(Locale.ROOT))
          .setPartitionBy(s.partitionBy() == null ? "" : s.partitionBy())
          .setState(s.state().name()).setPaused(s.state() == SubtaskState.PAUSED)
          .setRows(s.rows()).setBytes(s.bytes()).setFiles(s.files())
          .setStreamOpens(s.streamOpens()).setStreamFailures(s.streamFailures())
          .setReason(s.reason() == null ? "" : s.reason())
          .setLastUpdateMs(s.lastUpdate())
          .setLastCommitMs(s.lastCommit())
          .setPersistenceId(Subtask.persistenceId(s.db(), s.table(), s.incarnation(), s.pid()));
      String host = s.collectorHost() == null ? "" : s.collectorHost();
      b.setCollector(host.isEmpty() ? "" : collectorByHost.getOrDefault(host, host));
      info.ifPresent(t -> {
        try {
          b.setTabletEndpoint(TableMetadata.leaderEndpoint(t, s.pid()));
        } catch (RuntimeException e) {
          b.setTabletEndpoint("");
        }
      });
      position(b, s.position());
      out.add(b.build());
    }
    return out;
  }

  /** Phase, readable position and the original's sync point fields (pk and ts of the next snapshot row). */
  static void position(SubtaskStatus.Builder b, Position p) {
    if (p instanceof BinlogPosition bp) {
      b.setPhase("binlog").setBinlogOffset(bp.nextLogIndex()).setPosition("binlog " + bp.nextLogIndex()
          + (bp.inOverlap() ? " (overlap with snapshot " + bp.overlap().manifestName() + ")" : ""));
    } else if (p instanceof SnapshotPosition sp) {
      b.setPhase("snapshot");
      byte[] key = sp.nextKey();
      if (key == null || key.length < 8) {
        b.setPosition("snapshot " + (sp.manifestName() == null ? "" : sp.manifestName() + " ") + "start");
        return;
      }
      String pk = new String(key, 0, key.length - 8, StandardCharsets.UTF_8);
      long ts = ByteBuffer.wrap(key, key.length - 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      b.setSnapshotKeyPk(pk).setSnapshotKeyTs(ts)
          .setPosition("snapshot " + sp.manifestName() + " key " + pk + "@" + Long.toUnsignedString(ts));
    } else {
      b.setPhase("").setPosition("");
    }
  }

  private static <T> CompletionStage<T> refusals(CompletionStage<T> op) {
    return op.exceptionallyCompose(t -> CompletableFuture.failedFuture(translate(t)));
  }

  static AdminException translate(Throwable t) {
    Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (!(c instanceof SyncTaskException e)) {
      return AdminException.of(c);
    }
    String m = String.valueOf(e.getMessage());
    String lower = m.toLowerCase(Locale.ROOT);
    AdminException.Kind kind;
    if (lower.contains("already")) {
      kind = AdminException.Kind.ALREADY_EXISTS;
    } else if (lower.contains("does not exist") || lower.contains("no sync task") || lower.contains("no task")
        || lower.contains("not found")) {
      kind = AdminException.Kind.NOT_FOUND;
    } else if (lower.contains("permission")) {
      kind = AdminException.Kind.PERMISSION_DENIED;
    } else if (lower.contains("request failed") || lower.contains("timed out") || lower.contains("timeout")) {
      kind = AdminException.Kind.UNAVAILABLE;
    } else {
      kind = AdminException.Kind.PRECONDITION;
    }
    return new AdminException(kind, m);
  }
}
