package io.offsync.collector.node;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.offsync.collector.CollectorRegistry;
import io.offsync.collector.StreamStats;
import io.offsync.metrics.MeterSet;
import io.offsync.metrics.NodeMetrics;
import io.offsync.protocol.binlog.BinlogFile;
import io.offsync.protocol.binlog.BinlogFiles;
import io.offsync.protocol.partition.PartitionReader;
import io.offsync.protocol.position.BinlogPosition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The collector's domain meters on the node's {@link NodeMetrics} ({@code /metrics}): per open stream (tags
 * {@code tid}, {@code pid}, {@code subtask}) rows and bytes sent, stream opens of the subtask on the partition, and
 * the lag in binlog entries of a stream in its binlog phase; per partition with an open stream (tags {@code tid},
 * {@code pid}) the last {@code log_index} of the tablet's binlog; and the number of open streams. The series of a
 * stream go when it closes.
 *
 * <p>The lag is the last {@code log_index} of the partition's tablet binlog + 1 minus the stream's next position,
 * never below 0. A scrape reads each partition's newest binlog file at most once, and not at all when that file has
 * not changed since the previous scrape (on the blocking-I/O dispatcher). A binlog that cannot be read leaves the
 * partition's binlog series out of the page; the other metrics are still served.
 */
final class CollectorMetrics {

  private record LastEntry(Path file, long size, long modified, long logIndex) {}

  private record Lag(StreamStats stream, long entries) {}

  private record Binlog(int tid, int pid, long lastLogIndex) {}

  private final ActorSystem<?> system;
  private final CollectorRegistry collectors;
  private final MeterSet<StreamStats> streams;
  private final MeterSet<Lag> lags;
  private final MeterSet<Binlog> binlogs;
  private final Map<Path, LastEntry> lastEntries = new ConcurrentHashMap<>();

  CollectorMetrics(ActorSystem<?> system) {
    this.system = system;
    this.collectors = CollectorRegistry.get(system);
    MeterRegistry registry = NodeMetrics.get(system).registry();
    streams = MeterSet.<StreamStats>builder(CollectorMetrics::tags)
        .counter("offsync.collector.rows.sent", "Rows sent by the open stream of a subtask on a partition.",
            StreamStats::rows)
        .counter("offsync.collector.bytes.sent", "Row bytes sent by the open stream of a subtask on a partition.",
            StreamStats::bytes)
        .counter("offsync.collector.stream.opens",
            "Streams the subtask opened on the partition on this node (first open and reopens).",
            s -> collectors.opens(s.subtaskId(), s.tid(), s.pid()))
        .register(registry);
    lags = MeterSet.<Lag>builder(l -> tags(l.stream()))
        .gauge("offsync.collector.binlog.lag.entries",
            "Binlog entries of the partition not yet sent by a stream in its binlog phase.", Lag::entries)
        .register(registry);
    binlogs = MeterSet.<Binlog>builder(b -> Tags.of("tid", Integer.toString(b.tid()), "pid",
            Integer.toString(b.pid())))
        .gauge("offsync.collector.binlog.last.index",
            "Last log_index in the tablet's binlog of a partition with an open stream.", Binlog::lastLogIndex)
        .register(registry);
    Gauge.builder("offsync.collector.open.streams", streams, MeterSet::size)
        .description("Streams open on this node.").register(registry);
  }

  /** {@code GET /metrics}. */
  Route route() {
    return NodeMetrics.get(system).route(() -> CompletableFuture.runAsync(this::refresh,
        system.dispatchers().lookup(DispatcherSelector.blocking())));
  }

  private synchronized void refresh() {
    List<StreamStats> open = collectors.streams();
    List<Lag> lag = new ArrayList<>();
    Map<Path, Binlog> lastIndex = new HashMap<>();
    for (StreamStats s : open) {
      Binlog binlog = lastIndex.computeIfAbsent(s.binlogDir(),
          dir -> new Binlog(s.tid(), s.pid(), lastLogIndex(dir)));
      if (s.position() instanceof BinlogPosition bp && binlog.lastLogIndex() >= 0) {
        lag.add(new Lag(s, Math.max(0, binlog.lastLogIndex() + 1 - bp.nextLogIndex())));
      }
    }
    lastEntries.keySet().retainAll(lastIndex.keySet());
    streams.update(open);
    lags.update(lag);
    binlogs.update(lastIndex.values().stream().filter(b -> b.lastLogIndex() >= 0).toList());
  }

  private static Tags tags(StreamStats s) {
    return Tags.of("tid", Integer.toString(s.tid()), "pid", Integer.toString(s.pid()), "subtask", s.subtaskId());
  }

  /** Last {@code log_index} in {@code binlogDir} (0 when empty), -1 when it cannot be read. */
  private long lastLogIndex(Path binlogDir) {
    try {
      List<BinlogFile> files = BinlogFiles.scan(binlogDir);
      if (files.isEmpty()) {
        return 0;
      }
      Path newest = files.get(files.size() - 1).path();
      long size = Files.size(newest);
      long modified = Files.getLastModifiedTime(newest).toMillis();
      LastEntry cached = lastEntries.get(binlogDir);
      if (cached != null && cached.file().equals(newest) && cached.size() == size
          && cached.modified() == modified) {
        return cached.logIndex();
      }
      long index = PartitionReader.lastLogIndex(binlogDir, false);
      lastEntries.put(binlogDir, new LastEntry(newest, size, modified, index));
      return index;
    } catch (IOException | RuntimeException e) {
      lastEntries.remove(binlogDir);
      return -1;
    }
  }
}
