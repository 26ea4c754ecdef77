package io.offsync.synctool.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onComplete;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import io.offsync.protocol.admin.SubtaskStatus;
import io.offsync.synctool.admin.TaskAdmin;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /metrics} on the admin port: the synctool's subtasks in the Prometheus text exposition format
 * (0.0.4), one series per subtask (labels {@code db}, {@code table}, {@code tid}, {@code pid}, {@code state}):
 * rows, bytes and files committed (journaled: they survive restarts and moves of a subtask), streams opened and
 * stream failures (counted since the subtask started on its current node), and the number of subtasks. When the engine cannot answer
 * the page is HTTP 503 with the reason.
 */
public final class MetricsRoute {

  private final TaskAdmin tasks;

  public MetricsRoute(TaskAdmin tasks) {
    this.tasks = tasks;
  }

  public Route route() {
    return path("metrics", () -> get(() -> onComplete(tasks.status(), result -> result.isSuccess()
        ? complete(StatusCodes.OK, HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, render(result.get())))
        : complete(StatusCodes.SERVICE_UNAVAILABLE, HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8,
            "synctool status unavailable: " + result.failed().get().getMessage() + "\n")))));
  }

  static String render(List<SubtaskStatus> all) {
    StringBuilder rows = header("offsync_synctool_rows_committed_total", "counter", "Rows committed by a subtask.");
    StringBuilder bytes = header("offsync_synctool_bytes_committed_total", "counter",
        "Bytes of the files committed by a subtask.");
    StringBuilder files = header("offsync_synctool_files_committed_total", "counter",
        "Files committed by a subtask.");
    StringBuilder opens = header("offsync_synctool_stream_opens_total", "counter",
        "Streams a subtask opened since it started on this node (first open and reopens).");
    StringBuilder failures = header("offsync_synctool_stream_failures_total", "counter",
        "Stream or commit failures of a subtask since it started on this node (each reopens or fails it).");
    for (SubtaskStatus s : all) {
      String labels = "{db=\"" + escape(s.getDb()) + "\",table=\"" + escape(s.getTable()) + "\",tid=\""
          + s.getTid() + "\",pid=\"" + s.getPid() + "\",state=\"" + escape(s.getState()) + "\"}";
      rows.append("offsync_synctool_rows_committed_total").append(labels).append(' ')
          .append(Long.toUnsignedString(s.getRows())).append('\n');
      bytes.append("offsync_synctool_bytes_committed_total").append(labels).append(' ')
          .append(Long.toUnsignedString(s.getBytes())).append('\n');
      files.append("offsync_synctool_files_committed_total").append(labels).append(' ')
          .append(Long.toUnsignedString(s.getFiles())).append('\n');
      opens.append("offsync_synctool_stream_opens_total").append(labels).append(' ')
          .append(Long.toUnsignedString(s.getStreamOpens())).append('\n');
      failures.append("offsync_synctool_stream_failures_total").append(labels).append(' ')
          .append(Long.toUnsignedString(s.getStreamFailures())).append('\n');
    }
    StringBuilder count = header("offsync_synctool_subtasks", "gauge", "Subtasks of every task.");
    count.append("offsync_synctool_subtasks ").append(all.size()).append('\n');
    return count.append(rows).append(bytes).append(files).append(opens).append(failures).toString();
  }

  private static StringBuilder header(String name, String type, String help) {
    return new StringBuilder("# HELP ").append(name).append(' ').append(help).append('\n')
        .append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static String escape(String label) {
    return label.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
