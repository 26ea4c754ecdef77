package io.offsync.synctool.http;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.offsync.metrics.MeterSet;
import io.offsync.metrics.NodeMetrics;
import io.offsync.protocol.admin.SubtaskStatus;
import io.offsync.synctool.admin.TaskAdmin;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The synctool's domain meters on the node's {@link NodeMetrics} ({@code GET /metrics} on the admin port), read
 * from {@link TaskAdmin#localStatus()} at each scrape: per subtask of the tasks running on this node (tags
 * {@code db}, {@code table}, {@code tid}, {@code pid}) rows, bytes and files committed (journaled: they survive
 * restarts and moves of a subtask), streams opened and stream failures (counted since the subtask started on its
 * current node), the next binlog {@code log_index} committed (0 in the snapshot phase), and its state (one series
 * with tag {@code state}, value 1); and the number of those subtasks.
 *
 * <p>Each subtask is exported by the one node that runs its task, so scraping every synctool node and summing
 * (e.g. {@code sum(offsync_synctool_rows_committed_total)}) counts each subtask once. When a task moves to
 * another node (failover, rebalance) its series leave this node's page at the next scrape and appear on the new
 * node's with the journaled totals, so the committed counters continue there rather than reset; a task that is
 * between nodes is on no page for that while. The series of a deleted task go at the next scrape. When the
 * engine cannot answer the page is HTTP 503 with the reason.
 */
public final class SyncToolMetrics {

  private final ActorSystem<?> system;
  private final TaskAdmin tasks;
  private final MeterSet<SubtaskStatus> subtasks;
  private final MeterSet<SubtaskStatus> states;

  public SyncToolMetrics(ActorSystem<?> system, TaskAdmin tasks) {
    this.system = system;
    this.tasks = tasks;
    MeterRegistry registry = NodeMetrics.get(system).registry();
    subtasks = MeterSet.builder(SyncToolMetrics::tags)
        .counter("offsync.synctool.rows.committed", "Rows committed by a subtask.", SubtaskStatus::getRows)
        .counter("offsync.synctool.bytes.committed", "Bytes of the files committed by a subtask.",
            SubtaskStatus::getBytes)
        .counter("offsync.synctool.files.committed", "Files committed by a subtask.", SubtaskStatus::getFiles)
        .counter("offsync.synctool.stream.opens",
            "Streams a subtask opened since it started on its node (first open and reopens).",
            SubtaskStatus::getStreamOpens)
        .counter("offsync.synctool.stream.failures",
            "Stream or commit failures of a subtask since it started on its node (each reopens or fails it).",
            SubtaskStatus::getStreamFailures)
        .gauge("offsync.synctool.binlog.offset",
            "Next binlog log_index of the partition a subtask has committed up to; 0 in the snapshot phase.",
            SubtaskStatus::getBinlogOffset)
        .register(registry);
    states = MeterSet.<SubtaskStatus>builder(s -> tags(s).and("state", s.getState()))
        .gauge("offsync.synctool.subtask.state", "1 for the current state of a subtask.", s -> 1)
        .register(registry);
    Gauge.builder("offsync.synctool.subtasks", subtasks, MeterSet::size).description("Subtasks of the tasks running on this node.")
        .register(registry);
  }

  public Route route() {
    return NodeMetrics.get(system).route(() -> tasks.localStatus().thenAccept(this::refresh));
  }

  private void refresh(List<SubtaskStatus> local) {
    subtasks.update(local);
    states.update(local);
  }

  private static Tags tags(SubtaskStatus s) {
    return Tags.of("db", s.getDb(), "table", s.getTable(), "tid", Integer.toString(s.getTid()), "pid",
        Integer.toString(s.getPid()));
  }
}
