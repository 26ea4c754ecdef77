package io.offsync.collector.node;

import io.offsync.collector.CollectorRegistry;
import io.offsync.collector.StreamStats;
import io.offsync.protocol.binlog.BinlogFile;
import io.offsync.protocol.binlog.BinlogFiles;
import io.offsync.protocol.partition.PartitionReader;
import io.offsync.protocol.position.BinlogPosition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The collector's {@code /metrics} page in the Prometheus text exposition format (0.0.4): per open stream
 * (labels {@code tid}, {@code pid}, {@code subtask}) rows and bytes sent, stream opens of the subtask on the
 * partition, and the lag in binlog entries of a stream in its binlog phase.
 *
 * <p>The lag is the {@code log_index} of the last entry in the partition's tablet binlog minus the stream's next
 * position, never below 0. A scrape reads each partition's newest binlog file at most once, and not at all when
 * that file has not changed since the previous scrape. A binlog that cannot be read leaves the stream's lag out
 * of the page (the other metrics are still served).
 */
final class CollectorMetrics {

  private record LastEntry(Path file, long size, long modified, long logIndex) {}

  private final ActorSystem<?> system;
  private final Map<Path, LastEntry> lastEntries = new ConcurrentHashMap<>();

  CollectorMetrics(ActorSystem<?> system) {
    this.system = system;
  }

  String render() {
    CollectorRegistry registry = CollectorRegistry.get(system);
    List<StreamStats> streams = registry.streams();
    StringBuilder rows = header("offsync_collector_rows_sent_total", "counter",
        "Rows sent by the open stream of a subtask on a partition.");
    StringBuilder bytes = header("offsync_collector_bytes_sent_total", "counter",
        "Row bytes sent by the open stream of a subtask on a partition.");
    StringBuilder opens = header("offsync_collector_stream_opens_total", "counter",
        "Streams the subtask opened on the partition on this node (first open and reopens).");
    StringBuilder lag = header("offsync_collector_binlog_lag_entries", "gauge",
        "Binlog entries of the partition not yet sent by a stream in its binlog phase.");
    Map<Path, Long> lastIndexThisScrape = new HashMap<>();
    for (StreamStats s : streams) {
      String labels = "{tid=\"" + s.tid() + "\",pid=\"" + s.pid() + "\",subtask=\"" + escape(s.subtaskId()) + "\"}";
      rows.append("offsync_collector_rows_sent_total").append(labels).append(' ').append(s.rows()).append('\n');
      bytes.append("offsync_collector_bytes_sent_total").append(labels).append(' ').append(s.bytes()).append('\n');
      opens.append("offsync_collector_stream_opens_total").append(labels).append(' ')
          .append(registry.opens(s.subtaskId(), s.tid(), s.pid())).append('\n');
      if (s.position() instanceof BinlogPosition bp) {
        Long last = lastIndexThisScrape.computeIfAbsent(s.binlogDir(), this::lastLogIndex);
        if (last >= 0) {
          lag.append("offsync_collector_binlog_lag_entries").append(labels).append(' ')
              .append(Math.max(0, last + 1 - bp.nextLogIndex())).append('\n');
        }
      }
    }
    StringBuilder open = header("offsync_collector_open_streams", "gauge", "Streams open on this node.");
    open.append("offsync_collector_open_streams ").append(streams.size()).append('\n');
    return open.append(rows).append(bytes).append(opens).append(lag).toString();
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

  private static StringBuilder header(String name, String type, String help) {
    return new StringBuilder("# HELP ").append(name).append(' ').append(help).append('\n')
        .append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static String escape(String label) {
    return label.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
