package io.offsync.synctool;

import io.offsync.protocol.admin.SubtaskStatus;
import io.offsync.synctool.admin.TaskAdmin;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One small text file per subtask running on this node, at the original SyncTool's place for it:
 * {@code <sync_task.progress_path>/<tid>/<pid>.progress}. OpenMLDB's {@code synctool_helper.py tool-status} lists
 * the files under {@code sync_task.progress_path}, so it lists one file per partition as with the original (next
 * to the default H2 journal, {@code journal.mv.db}).
 *
 * <p>Guarantees. A file is a view, never read back: the journal is the truth and offsync recovers from it alone.
 * Every {@code sync_task.check_period} the node writes the file of each subtask of the tasks it runs (atomically:
 * temp file, then rename), when its content changed; the content says what the subtask is doing (state,
 * position, rows, liveness and commit times), where its truth is (journal persistence id and journal location),
 * which node wrote it and when. A file whose subtask no longer runs here (task deleted, finished, moved to another
 * node) is removed at the next period, and so are, at start, the files this node left behind when it stopped.
 * Files written by other nodes sharing the directory are never touched.
 *
 * <p>Failure behaviour. A failed write or status query is logged at WARN once per kind of failure and retried at
 * the next period; it never affects a task.
 */
public final class ProgressFiles {

  /** The file of one subtask. */
  public static Path path(Path progressPath, int tid, int pid) {
    return progressPath.resolve(Integer.toString(tid)).resolve(pid + ".progress");
  }

  private static final Logger log = LoggerFactory.getLogger(ProgressFiles.class);

  private final Path root;
  private final String node;
  private final String journal;
  private final TaskAdmin tasks;
  private final Map<Path, String> written = new HashMap<>();
  private final AtomicBoolean running = new AtomicBoolean();
  private String lastProblem = "";

  private ProgressFiles(Path root, String node, String journal, TaskAdmin tasks) {
    this.root = root;
    this.node = node;
    this.journal = journal;
    this.tasks = tasks;
  }

  /** Removes this node's leftovers, then keeps the files up to date every {@code period} until the system stops. */
  public static ProgressFiles start(ActorSystem<?> system, SyncToolSettings settings, TaskAdmin tasks,
      Executor blocking) {
    ProgressFiles files = new ProgressFiles(settings.progressPath(),
        settings.clusterHost() + ":" + settings.clusterPort(), settings.journalLocation(), tasks);
    Duration period = settings.checkPeriod();
    system.scheduler().scheduleWithFixedDelay(Duration.ZERO, period, files::refresh, system.executionContext());
    blocking.execute(files::removeLeftovers);
    return files;
  }

  /** What the file of {@code s} holds: {@code key=value} lines. */
  String content(SubtaskStatus s) {
    StringBuilder b = new StringBuilder()
        .append("# offsync subtask progress: a view of the journal written by the synctool node running the\n")
        .append("# subtask every sync_task.check_period; offsync never reads it back\n");
    line(b, "table", s.getDb() + "." + s.getTable());
    line(b, "tid", s.getTid());
    line(b, "pid", s.getPid());
    line(b, "mode", s.getMode());
    line(b, "status", s.getState());
    line(b, "reason", s.getReason());
    line(b, "position", s.getPosition());
    line(b, "rows", s.getRows());
    line(b, "files", s.getFiles());
    line(b, "bytes", s.getBytes());
    line(b, "dest", s.getDest());
    line(b, "format", s.getFormat());
    line(b, "collector", s.getCollector());
    line(b, "tabletEndpoint", s.getTabletEndpoint());
    line(b, "lastUpdateTime", time(s.getLastUpdateMs()));
    line(b, "lastCommitTime", time(s.getLastCommitMs()));
    line(b, "persistenceId", s.getPersistenceId());
    line(b, "journal", journal);
    line(b, "node", node);
    return b.toString();
  }

  private static void line(StringBuilder b, String key, Object value) {
    b.append(key).append('=').append(value).append('\n');
  }

  private static String time(long epochMs) {
    return epochMs <= 0 ? "" : epochMs + " (" + Instant.ofEpochMilli(epochMs) + ")";
  }

  private void refresh() {
    if (!running.compareAndSet(false, true)) {
      return; // the previous round is still writing
    }
    tasks.localStatus().whenComplete((all, failure) -> {
      try {
        if (failure == null) {
          write(all);
        } else {
          problem("cannot read the status of this node's subtasks: " + failure.getMessage());
        }
      } finally {
        running.set(false);
      }
    });
  }

  private synchronized void write(List<SubtaskStatus> all) {
    Set<Path> current = new HashSet<>();
    for (SubtaskStatus s : all) {
      Path file = path(root, s.getTid(), s.getPid());
      current.add(file);
      String text = content(s);
      if (text.equals(written.get(file))) {
        continue;
      }
      try {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text + "written=" + Instant.now() + "\n", StandardCharsets.UTF_8);
        move(tmp, file);
        written.put(file, text);
      } catch (IOException e) {
        problem("cannot write " + file + ": " + e);
      }
    }
    for (Path gone : Set.copyOf(written.keySet())) {
      if (!current.contains(gone)) {
        remove(gone);
        written.remove(gone);
      }
    }
  }

  private static void move(Path tmp, Path file) throws IOException {
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Files naming this node, left by its previous run (not yet rewritten by this one). */
  private synchronized void removeLeftovers() {
    if (!Files.isDirectory(root)) {
      return;
    }
    try (DirectoryStream<Path> tids = Files.newDirectoryStream(root, p -> Files.isDirectory(p)
        && p.getFileName().toString().matches("\\d+"))) {
      for (Path tid : tids) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(tid, "*.progress")) {
          for (Path f : files) {
            if (!written.containsKey(f) && Files.readAllLines(f).contains("node=" + node)) {
              remove(f);
            }
          }
        }
      }
    } catch (IOException e) {
      problem("cannot clean up " + root + ": " + e);
    }
  }

  private void remove(Path file) {
    try {
      Files.deleteIfExists(file);
      Path dir = file.getParent();
      try (DirectoryStream<Path> rest = Files.newDirectoryStream(dir)) {
        if (!rest.iterator().hasNext()) {
          Files.deleteIfExists(dir);
        }
      }
    } catch (IOException e) {
      log.debug("cannot remove {}", file, e); // another node may be writing there; retried next period
    }
  }

  private synchronized void problem(String what) {
    String kind = what.replaceAll("[0-9]", "");
    if (!kind.equals(lastProblem)) {
      lastProblem = kind;
      log.warn("progress files under {}: {} (retried every period)", root, what);
    }
  }
}
