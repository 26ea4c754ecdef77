package io.offsync.collector;

import com.google.protobuf.InvalidProtocolBufferException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.partition.PartitionReader;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import io.offsync.protocol.position.SnapshotPosition;
import io.offsync.serialization.CborSerializable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.concurrent.ExecutionContextExecutor;

/**
 * The collector of one machine: a Cluster Sharding entity (entity id = the machine's host string as tablets write
 * it) that lives only on a collector node of that machine ({@link HostShardAllocation}); a second collector node
 * of the machine is a standby that gets the entity when the first leaves.
 *
 * <p>{@link OpenStream} answers with a {@link SourceRef} of {@link RowPack}s for one partition, from the
 * requested position: the snapshot (hard-linked, keyed by its identity, so a resumed read sees the same rows),
 * then the binlog (hard-linked file by file as it grows, so tablet-side purging cannot pull files away). Reading
 * is demand-driven: nothing is read beyond the pack being built, one pack at the stream's asynchronous boundary and
 * the stream ref's window ({@code pekko.stream.materializer.stream-ref.buffer-capacity} packs), whatever the
 * table's size. Mode 0 completes at the binlog end seen when the snapshot finished; modes 1 and 2 tail the binlog
 * forever.
 *
 * <p>Refusals are {@link StatusReply#error} with a message naming the problem and the fix (memory table,
 * partition not on this machine, root path not configured, snapshot no longer available, cross-device
 * collector_datadir). Failures while streaming (corrupt record with file and offset, purged binlog) fail the
 * stream with such a message. A new stream for a subtask ends that subtask's previous stream. Hard links that
 * no open stream and no resumable position need are removed: older snapshots and binlog files below the
 * position a stream opens at at once, everything of a partition {@code link-retention} after its last stream
 * closed.
 *
 * <p>Index 0's TTL is applied at the time a stream opens: a stream resumed later inside the same snapshot skips
 * rows that expired meanwhile (they would be gone from the table anyway); it never repeats a row.
 */
public final class Collector extends AbstractBehavior<Collector.Command> {

  private static final Logger LOG = LoggerFactory.getLogger(Collector.class);

  /** The sharded entity type. */
  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "Collector");

  /** The cluster role of collector nodes (they also carry {@code host:<H>}, see {@link CollectorDirectory}). */
  public static final String ROLE = "collector";

  public interface Command extends CborSerializable {}

  /**
   * Opens a stream of one partition.
   *
   * @param mode 0 full (snapshot, binlog to its end at snapshot end, complete), 1 incremental by timestamp
   *     (rows with ts &lt; startTs skipped, tail forever), 2 full and continuous (tail forever)
   * @param from where to start, inclusive (a subtask's journaled position; {@link Position#start()} at first)
   * @param tableInfo the table's {@code NS.TableInfo}, serialized
   * @param subtaskId the subtask asking; a new stream for the same subtask ends its previous one
   */
  public record OpenStream(
      int tid,
      int pid,
      int mode,
      long startTs,
      Position from,
      byte[] tableInfo,
      String subtaskId,
      ActorRef<StatusReply<SourceRef<RowPack>>> replyTo)
      implements Command {}

  /**
   * Tells the collector what a subtask can no longer need (fire and forget): it has journaled everything before
   * {@code upTo}, so links below it may go; {@code upTo == null} means the subtask is finished or deleted, so
   * the partition's links may go as soon as no stream of it is open. Without it, links are released when a
   * stream opens at a later position and {@code link-retention} after the last stream closed.
   */
  public record Release(int tid, int pid, String subtaskId, Position upTo) implements Command {}

  private record Prepared(OpenStream request, String streamId, Prepare result) implements Command {}

  private record PrepareFailed(OpenStream request, Throwable error) implements Command {}

  private record StreamClosed(String partition, String streamId) implements Command {}

  private record RetentionExpired(String partition) implements Command {}

  private enum LinkTick implements Command { INSTANCE }

  /** How often new binlog files of partitions with open streams are linked, whatever the consumers' demand. */
  static final Duration LINK_INTERVAL = Duration.ofSeconds(5);

  /** Initializes sharding of the entity with the settings under {@code offsync.collector} (any node). */
  public static ActorRef<ShardingEnvelope<Command>> init(ActorSystem<?> system) {
    return init(system, null);
  }

  /**
   * Initializes sharding of the entity. On nodes without role {@code collector} this starts a proxy only.
   *
   * @param settings the settings, or null to read them from the configuration when an entity starts
   */
  public static ActorRef<ShardingEnvelope<Command>> init(ActorSystem<?> system, CollectorSettings settings) {
    return ClusterSharding.get(system).init(
        Entity.of(TYPE_KEY, ctx -> create(ctx.getEntityId(),
                settings != null ? settings : CollectorSettings.fromConfig(system.settings().config())))
            .withRole(ROLE)
            .withSettings(shardingSettings(system))
            .withMessageExtractor(new HostExtractor())
            .withAllocationStrategy(new HostShardAllocation()));
  }

  /**
   * No passivation (one entity per machine, its streams live in it), and coordinator state written to a plain
   * majority of the collector nodes: with the default "majority + 3" a handful of collector nodes means all of
   * them, so a crashed (downed) active collector would block re-allocating its machine to the standby.
   */
  private static ClusterShardingSettings shardingSettings(ActorSystem<?> system) {
    Config sharding = ConfigFactory.parseString(
            "coordinator-state { write-majority-plus = 0, read-majority-plus = 0 }")
        .withFallback(system.settings().config().getConfig("pekko.cluster.sharding"));
    return ClusterShardingSettings.fromConfig(sharding).withNoPassivationStrategy();
  }

  public static Behavior<Command> create(String host, CollectorSettings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Collector(ctx, timers, host, settings)));
  }

  /** Shard id = entity id = host: each machine's shard is placed on its own. */
  private static final class HostExtractor extends ShardingMessageExtractor<ShardingEnvelope<Command>, Command> {
    @Override
    public String entityId(ShardingEnvelope<Command> envelope) {
      return envelope.entityId();
    }

    @Override
    public String shardId(String entityId) {
      return entityId;
    }

    @Override
    public Command unwrapMessage(ShardingEnvelope<Command> envelope) {
      return envelope.message();
    }
  }

  /** What preparing a stream produced (off the actor thread). */
  private record Prepare(PackReader reader, Path snapshotDir, long binlogNeededFrom, String description) {}

  /** One open stream of a partition. */
  private record Open(String subtaskId, Path snapshotDir, long binlogNeededFrom, UniqueKillSwitch killSwitch) {
    /** The subtask journaled everything before {@code upTo}; inside an overlap its checkpoint is still needed. */
    Open releasedUpTo(BinlogPosition upTo) {
      return new Open(subtaskId, upTo.inOverlap() ? snapshotDir : null,
          Math.max(binlogNeededFrom, upTo.nextLogIndex()), killSwitch);
    }
  }

  /** A partition this collector streams or keeps links of. */
  private static final class Partition {
    final PartitionLinks links;
    final Map<String, Open> streams = new HashMap<>();

    Partition(PartitionLinks links) {
      this.links = links;
    }
  }

  private final String host;
  private final CollectorSettings settings;
  private final TimerScheduler<Command> timers;
  private final ExecutionContextExecutor blocking;
  private final Materializer materializer;
  private final CollectorRegistry registry;
  private final Map<String, Partition> partitions = new HashMap<>();

  private Collector(ActorContext<Command> ctx, TimerScheduler<Command> timers, String host,
      CollectorSettings settings) {
    super(ctx);
    this.host = host;
    this.settings = settings;
    this.timers = timers;
    this.blocking = ctx.getSystem().dispatchers()
        .lookup(DispatcherSelector.fromConfig(CollectorSettings.CONFIG_PATH + ".blocking-dispatcher"));
    this.materializer = Materializer.createMaterializer(ctx);
    this.registry = CollectorRegistry.get(ctx.getSystem());
    registry.entityStarted(host);
    scheduleLeftovers();
    timers.startTimerWithFixedDelay(LinkTick.INSTANCE, LINK_INTERVAL);
    ctx.getLog().info("collector of machine {} started, collector_datadir {}", host, settings.datadir());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(OpenStream.class, this::onOpen)
        .onMessage(Prepared.class, this::onPrepared)
        .onMessage(PrepareFailed.class, this::onPrepareFailed)
        .onMessage(Release.class, this::onRelease)
        .onMessage(StreamClosed.class, this::onStreamClosed)
        .onMessage(RetentionExpired.class, this::onRetentionExpired)
        .onMessageEquals(LinkTick.INSTANCE, this::onLinkTick)
        .onSignal(PostStop.class, s -> {
          registry.entityStopped(host);
          return this;
        })
        .build();
  }

  private Behavior<Command> onOpen(OpenStream open) {
    NS.TableInfo table;
    Path tabletDir;
    try {
      if (open.mode() < 0 || open.mode() > 2) {
        throw new IllegalArgumentException("mode must be 0 (full), 1 (incremental by timestamp) or 2 (full and "
            + "continuous), got " + open.mode());
      }
      if (open.from() == null) {
        throw new IllegalArgumentException("OpenStream needs a position (Position.start() for a new subtask)");
      }
      table = NS.TableInfo.parseFrom(open.tableInfo());
      if (table.getTid() != open.tid()) {
        throw new IllegalArgumentException("tableInfo is of tid " + table.getTid() + ", stream asked for tid "
            + open.tid());
      }
      tabletDir = PartitionLocator.locate(settings, table, open.pid());
    } catch (InvalidProtocolBufferException e) {
      open.replyTo().tell(StatusReply.error("tableInfo is not a serialized NS.TableInfo: " + e.getMessage()));
      return this;
    } catch (IllegalArgumentException | IOException e) {
      open.replyTo().tell(StatusReply.error("collector " + host + " cannot stream partition " + open.tid() + "_"
          + open.pid() + ": " + e.getMessage()));
      return this;
    }
    String key = open.tid() + "-" + open.pid();
    Partition partition = partitions.get(key);
    if (partition == null || !partition.links.tabletDir().equals(tabletDir)) {
      partition = new Partition(new PartitionLinks(settings.datadir(), open.tid(), open.pid(), tabletDir,
          settings.linker()));
      partitions.put(key, partition);
    }
    timers.cancel(key);
    PartitionLinks links = partition.links;
    String streamId = key + "/" + UUID.randomUUID();
    CompletableFuture<Prepare> prepared = CompletableFuture.supplyAsync(() -> {
      try {
        return prepare(open, table, links);
      } catch (IOException | RuntimeException e) {
        throw new CompletionException(e);
      }
    }, blocking);
    getContext().pipeToSelf(prepared, (result, error) -> error == null
        ? new Prepared(open, streamId, result)
        : new PrepareFailed(open, error instanceof CompletionException ? error.getCause() : error));
    return this;
  }

  /** Links what the position needs and opens the reader; runs on the blocking dispatcher. */
  private Prepare prepare(OpenStream open, NS.TableInfo table, PartitionLinks links) throws IOException {
    Files.createDirectories(links.dir());
    Position from = open.from();
    Path snapshotDir = null;
    Position handOver = null;
    long binlogNeededFrom;
    if (from instanceof SnapshotPosition sp) {
      Optional<PartitionLinks.LinkedSnapshot> snapshot;
      if (sp.manifestName() == null) {
        snapshot = links.linkCurrentSnapshot();
      } else {
        snapshot = links.find(sp.manifestName(), sp.manifestOffset());
        if (snapshot.isEmpty()) {
          snapshot = links.linkCurrentSnapshot()
              .filter(s -> s.manifest().name().equals(sp.manifestName())
                  && s.manifest().offset() == sp.manifestOffset());
        }
        if (snapshot.isEmpty()) {
          throw new IllegalStateException("snapshot " + sp.manifestName() + " (offset " + sp.manifestOffset()
              + ") is no longer available: the tablet replaced it and this collector no longer keeps its links"
              + " (link-retention); the subtask cannot resume inside it and must start over from the beginning");
        }
      }
      if (snapshot.isPresent() && snapshot.get().dir() != null) {
        snapshotDir = snapshot.get().dir();
        binlogNeededFrom = snapshot.get().manifest().offset() + 1;
      } else {
        // no snapshot, or an empty one: the stream starts with the hand-over to the binlog after it
        binlogNeededFrom = snapshot.map(s -> s.manifest().offset() + 1).orElse(1L);
        from = new BinlogPosition(binlogNeededFrom);
        handOver = from;
      }
    } else {
      BinlogPosition bp = (BinlogPosition) from;
      binlogNeededFrom = bp.nextLogIndex();
      if (bp.inOverlap() && settings.overlapWindow() > 0) {
        snapshotDir = overlapSnapshot(links, bp.overlap()).dir();
      }
    }
    links.linkBinlogs();
    PartitionReader reader = PartitionReader.open(snapshotDir, links.binlogDir(), table, open.mode(),
        open.startTs(), from, System.currentTimeMillis(), settings.verifyCrc(), settings.overlapWindow());
    String description = PartitionStream.describe(open.tid(), open.pid(), open.from());
    return new Prepare(new PackReader(reader, links, settings.maxPackSize(), open.from(), handOver), snapshotDir,
        binlogNeededFrom, description);
  }

  /** The linked checkpoint a read resumed inside an overlap compares against (kept, or still the tablet's). */
  private static PartitionLinks.LinkedSnapshot overlapSnapshot(PartitionLinks links, BinlogPosition.Overlap o)
      throws IOException {
    Optional<PartitionLinks.LinkedSnapshot> snapshot = links.find(o.manifestName(), o.manifestOffset());
    if (snapshot.isEmpty()) {
      snapshot = links.linkCurrentSnapshot()
          .filter(s -> s.dir() != null && s.manifest().name().equals(o.manifestName())
              && s.manifest().offset() == o.manifestOffset());
    }
    return snapshot.orElseThrow(() -> new IllegalStateException("snapshot " + o.manifestName() + " (offset "
        + o.manifestOffset() + "), whose overlap with the binlog this read is inside, is no longer available: the "
        + "tablet replaced it and this collector no longer keeps its links (link-retention); the subtask cannot "
        + "tell which of the next binlog rows it already sent and must start over from the beginning"));
  }

  /**
   * Each asynchronous boundary of a stream holds at most one pack: with Pekko's default input buffer (16) the
   * collector read 16 packs (16 MiB) ahead of the stream ref's demand per partition.
   */
  private static final Attributes ONE_PACK_AHEAD = Attributes.inputBuffer(1, 1);

  private Behavior<Command> onPrepared(Prepared p) {
    OpenStream open = p.request();
    String key = open.tid() + "-" + open.pid();
    Partition partition = partitions.get(key);
    if (partition == null) {
      closeQuietly(p.result().reader());
      open.replyTo().tell(StatusReply.error("collector " + host + " released partition " + key
          + " while the stream was opening; ask again"));
      return this;
    }
    for (Open previous : partition.streams.values()) {
      if (previous.subtaskId().equals(open.subtaskId())) {
        getContext().getLog().info("subtask {} reopened partition {}: ending its previous stream", open.subtaskId(),
            key);
        // fail, never complete, the superseded stream: a mode-0 consumer takes completion for the end of the data
        previous.killSwitch().abort(new IllegalStateException("superseded: subtask " + open.subtaskId()
            + " reopened partition " + key));
      }
    }
    StreamStats stats = new StreamStats(p.streamId(), open.subtaskId(), open.tid(), open.pid(), open.mode(),
        partition.links.tabletDir().resolve("binlog"), open.from());
    ActorRef<Command> self = getContext().getSelf();
    var materialized = PartitionStream.source(p.result().reader(), p.result().description(), stats,
            settings.tailPollInterval(), settings.heartbeatInterval(), blocking, getContext().getSystem(),
            () -> self.tell(new StreamClosed(key, p.streamId())))
        .viaMat(KillSwitches.single(), Keep.right())
        .toMat(StreamRefs.sourceRef(), Keep.both())
        .addAttributes(ONE_PACK_AHEAD)
        .run(materializer);
    partition.streams.put(p.streamId(), new Open(open.subtaskId(), p.result().snapshotDir(),
        p.result().binlogNeededFrom(), materialized.first()));
    registry.streamOpened(stats);
    releaseUnneeded(key, partition, null);
    open.replyTo().tell(StatusReply.success(materialized.second()));
    return this;
  }

  private Behavior<Command> onPrepareFailed(PrepareFailed f) {
    OpenStream open = f.request();
    String key = open.tid() + "-" + open.pid();
    getContext().getLog().warn("collector {} cannot stream partition {} from {}: {}", host, key, open.from(),
        f.error().toString());
    open.replyTo().tell(StatusReply.error("collector " + host + " cannot stream partition " + open.tid() + "_"
        + open.pid() + " from " + open.from() + ": " + f.error().getMessage()));
    Partition partition = partitions.get(key);
    if (partition != null && partition.streams.isEmpty()) {
      timers.startSingleTimer(key, new RetentionExpired(key), settings.linkRetention());
    }
    return this;
  }

  private Behavior<Command> onRelease(Release r) {
    String key = r.tid() + "-" + r.pid();
    Partition partition = partitions.get(key);
    if (partition == null) {
      return this;
    }
    if (r.upTo() == null) {
      partition.streams.values().removeIf(o -> {
        if (o.subtaskId().equals(r.subtaskId())) {
          o.killSwitch().shutdown();
          return true;
        }
        return false;
      });
      if (partition.streams.isEmpty()) {
        timers.cancel(key);
        getContext().getSelf().tell(new RetentionExpired(key));
      }
    } else if (r.upTo() instanceof BinlogPosition b) {
      partition.streams.replaceAll((id, o) -> o.subtaskId().equals(r.subtaskId()) ? o.releasedUpTo(b) : o);
      // inside an overlap the subtask resumes against that checkpoint, whether or not a stream of it is open now
      releaseUnneeded(key, partition, b.inOverlap() ? partition.links.dir().resolve(
          PartitionLinks.snapshotDirName(b.overlap().manifestName(), b.overlap().manifestOffset())) : null);
    }
    return this;
  }

  private Behavior<Command> onStreamClosed(StreamClosed c) {
    registry.streamClosed(c.streamId());
    Partition partition = partitions.get(c.partition());
    if (partition != null) {
      partition.streams.remove(c.streamId());
      if (partition.streams.isEmpty()) {
        timers.startSingleTimer(c.partition(), new RetentionExpired(c.partition()), settings.linkRetention());
      }
    }
    return this;
  }

  /**
   * Links new binlog files of every partition with an open stream, off the actor thread: a stream whose consumer
   * is slow (or still in the snapshot phase) must not miss a file the tablet creates and purges meanwhile.
   */
  private Behavior<Command> onLinkTick() {
    for (var e : partitions.entrySet()) {
      if (!e.getValue().streams.isEmpty()) {
        PartitionLinks links = e.getValue().links;
        blocking.execute(() -> {
          try {
            links.linkBinlogs();
          } catch (IOException ex) {
            LOG.warn("cannot link new binlog files of partition {}: {}", e.getKey(), ex.toString());
          }
        });
      }
    }
    return this;
  }

  private Behavior<Command> onRetentionExpired(RetentionExpired r) {
    Partition partition = partitions.get(r.partition());
    if (partition != null && !partition.streams.isEmpty()) {
      return this;
    }
    partitions.remove(r.partition());
    try {
      PartitionLinks.deleteRecursively(settings.datadir().resolve(r.partition()));
      getContext().getLog().info("released the links of partition {} (no stream for {})", r.partition(),
          settings.linkRetention());
    } catch (IOException e) {
      getContext().getLog().warn("cannot remove {}: {}", settings.datadir().resolve(r.partition()), e.toString());
    }
    return this;
  }

  private void closeQuietly(PackReader reader) {
    try {
      reader.close();
    } catch (IOException e) {
      getContext().getLog().warn("closing a partition reader failed: {}", e.toString());
    }
  }

  /**
   * Removes snapshots and binlog files that no open stream of the partition can still need.
   *
   * @param alsoKeep a linked snapshot directory to keep as well, or null
   */
  private void releaseUnneeded(String key, Partition partition, Path alsoKeep) {
    List<Path> keep = new ArrayList<>();
    if (alsoKeep != null) {
      keep.add(alsoKeep);
    }
    long binlogFloor = Long.MAX_VALUE;
    for (Open o : partition.streams.values()) {
      if (o.snapshotDir() != null) {
        keep.add(o.snapshotDir());
      }
      binlogFloor = Math.min(binlogFloor, o.binlogNeededFrom());
    }
    try {
      partition.links.releaseSnapshotsExcept(keep);
      if (binlogFloor != Long.MAX_VALUE) {
        partition.links.releaseBinlogsBelow(binlogFloor);
      }
    } catch (IOException e) {
      getContext().getLog().warn("cannot release old links of partition {}: {}", key, e.toString());
    }
  }

  /** Links left by a previous run are released after the retention unless a stream opens on them. */
  private void scheduleLeftovers() {
    if (!Files.isDirectory(settings.datadir())) {
      return;
    }
    try (Stream<Path> dirs = Files.list(settings.datadir())) {
      dirs.map(d -> d.getFileName().toString())
          .filter(n -> n.matches("\\d+-\\d+"))
          .forEach(n -> timers.startSingleTimer(n, new RetentionExpired(n), settings.linkRetention()));
    } catch (IOException e) {
      getContext().getLog().warn("cannot list collector_datadir {}: {}", settings.datadir(), e.toString());
    }
  }
}
