package io.offsync.synctool.cli;

import io.offsync.protocol.admin.AdminReply;
import io.offsync.protocol.admin.Collector;
import io.offsync.protocol.admin.CreateTaskRequest;
import io.offsync.protocol.admin.Format;
import io.offsync.protocol.admin.ListCollectorsReply;
import io.offsync.protocol.admin.ListCollectorsRequest;
import io.offsync.protocol.admin.StatusReply;
import io.offsync.protocol.admin.StatusRequest;
import io.offsync.protocol.admin.SubtaskStatus;
import io.offsync.protocol.admin.SyncToolAdminClient;
import io.offsync.protocol.admin.TableRef;
import io.offsync.protocol.admin.VerifyReply;
import io.offsync.sink.PartitionBy;
import io.offsync.synctool.SyncToolSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The synctool helper: the verbs and flags of OpenMLDB's {@code tools/synctool_helper.py} ({@code create},
 * {@code delete}, {@code status}, {@code tool-status}) plus offsync's ({@code --format}, {@code collectors},
 * {@code pause}, {@code resume}, {@code status --watch}). It talks gRPC to a synctool node ({@code -s host:port},
 * default 127.0.0.1:8848).
 *
 * <p>Exit codes: 0 done; 1 the synctool refused (the message says why); 2 bad command line; 3 no synctool answers
 * at the address; 4 {@code verify} found a problem.
 */
@Command(name = "synctool_helper", mixinStandardHelpOptions = true, version = "offsync synctool helper",
    description = "Manage sync tasks of an offsync synctool node.",
    subcommands = {SyncToolHelper.Create.class, SyncToolHelper.Delete.class, SyncToolHelper.StatusCmd.class,
        SyncToolHelper.ToolStatus.class, SyncToolHelper.ListCollectors.class, SyncToolHelper.Pause.class,
        SyncToolHelper.Resume.class, SyncToolHelper.Verify.class})
public final class SyncToolHelper {

  /** The exit code of {@code verify} when it found a problem. */
  public static final int VERIFY_PROBLEMS = 4;

  static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS", Locale.ROOT)
      .withZone(ZoneId.systemDefault());

  @Option(names = {"-s", "--server"}, scope = ScopeType.INHERIT, defaultValue = "127.0.0.1:8848",
      description = "synctool host:port (default: ${DEFAULT-VALUE})")
  String server;

  @Option(names = "--timeout", scope = ScopeType.INHERIT, defaultValue = "10",
      description = "seconds to wait for an answer (default: ${DEFAULT-VALUE})")
  int timeoutSeconds;

  @Option(names = "--token-file", scope = ScopeType.INHERIT, defaultValue = "${env:OFFSYNC_TOKEN_FILE}",
      description = "file holding the synctool's bearer token (server.auth.token_file, or its read-only"
          + " server.auth.read_token_file); default: $OFFSYNC_TOKEN_FILE")
  Path tokenFile;

  @Option(names = "--cacert", scope = ScopeType.INHERIT, defaultValue = "${env:OFFSYNC_CACERT}",
      description = "PEM certificate (or its CA) of a synctool whose admin port has TLS (server.tls.keystore);"
          + " implies --tls; default: $OFFSYNC_CACERT")
  Path caFile;

  @Option(names = "--tls", scope = ScopeType.INHERIT,
      description = "connect with TLS, trusting the JVM's CAs (or --cacert)")
  boolean tls;

  AdminClient.Access access() {
    return new AdminClient.Access(tls, caFile, tokenFile);
  }

  public static void main(String[] args) {
    quietLogging();
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs one command line; output and errors go to the given writers. Returns the exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new SyncToolHelper());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler((e, line, parsed) -> {
      if (e instanceof AdminClient.CliError c) {
        err.println("error: " + c.getMessage());
        err.flush();
        return c.exitCode;
      }
      throw e;
    });
    int code = cl.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  private static void quietLogging() {
    if (System.getProperty("logback.configurationFile") == null) {
      org.slf4j.Logger root = org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
      if (root instanceof ch.qos.logback.classic.Logger l) {
        l.setLevel(ch.qos.logback.classic.Level.WARN);
      }
    }
  }

  /** What every verb shares: the server address, output, the table argument. */
  abstract static class Verb implements Callable<Integer> {
    @CommandLine.ParentCommand SyncToolHelper parent;
    @Spec CommandLine.Model.CommandSpec spec;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    AdminClient connect() {
      return new AdminClient(parent.server, Duration.ofSeconds(parent.timeoutSeconds), parent.access());
    }

    TableRef table(String dbTable) {
      String[] parts = dbTable == null ? new String[0] : dbTable.split("\\.", -1);
      if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "-t takes db.table (exactly one dot), got '" + dbTable + "'");
      }
      return TableRef.newBuilder().setDb(parts[0]).setTable(parts[1]).build();
    }
  }

  /** A verb on one table's task ({@code -t db.table}). */
  abstract static class TableVerb extends Verb {
    @Option(names = "-t", required = true, description = "db.table") String dbTable;
  }

  /** A verb on one table's task whose reply is a message: prints it. */
  abstract static class TaskCall extends TableVerb {
    abstract CompletionStage<AdminReply> send(SyncToolAdminClient api, TableRef t);

    @Override
    public Integer call() {
      TableRef t = table(dbTable);
      try (AdminClient c = connect()) {
        out().println(c.call(send(c.api(), t)).getMessage());
      }
      return 0;
    }
  }

  @Command(name = "create", description = "Create a sync task for a table (one subtask per partition).")
  static final class Create extends TableVerb {
    @Option(names = {"-m", "--mode"}, required = true,
        description = "0 = full (snapshot + binlog, then stop), 1 = from -ts on, continuous, 2 = full, continuous")
    int mode;
    @Option(names = "-ts", defaultValue = "0", description = "start ts in epoch ms (mode 1 only)") long startTs;
    @Option(names = {"-d", "--dest"}, required = true,
        description = "destination directory (path on the default FS, or a URI such as hdfs://nn:8020/dir)")
    String dest;
    @Option(names = "--format", description = "parquet, csv or iceberg (an Iceberg table <dest>/<db>/<table>;"
        + " default: the synctool's sync_task.default_format)")
    String format;
    @Option(names = "--partition-by", description = "COLUMN[:hour|day|month]: time partitions <dest>/<column>_<unit>"
        + "=<value>/ (an Iceberg partition spec for --format iceberg); none = unpartitioned; default: the"
        + " synctool's sync_task.partition_by") String partitionBy;
    @Option(names = "--roll-size", description = "roll output files at this many bytes") long rollSize;
    @Option(names = "--roll-time", description = "roll output files after this many seconds") int rollTime;
    @Option(names = "--roll-idle", description = "roll output files after this many idle seconds") int rollIdle;

    @Override
    public Integer call() {
      TableRef t = table(dbTable);
      if (mode < 0 || mode > 2) {
        throw new CommandLine.ParameterException(spec.commandLine(), "mode must be 0 (full), 1 (incremental"
            + " from -ts) or 2 (full and continuous), got " + mode);
      }
      if (dest.isBlank()) {
        throw new CommandLine.ParameterException(spec.commandLine(), "-d: the destination must not be empty");
      }
      Format f = Format.FORMAT_DEFAULT;
      if (format != null) {
        f = switch (format.toLowerCase(Locale.ROOT)) {
          case "parquet" -> Format.PARQUET;
          case "csv" -> Format.CSV;
          case "iceberg" -> Format.ICEBERG;
          default -> throw new CommandLine.ParameterException(spec.commandLine(),
              "--format takes parquet, csv or iceberg, got '" + format + "'");
        };
      }
      if (partitionBy != null && !partitionBy.equalsIgnoreCase("none")) {
        try {
          PartitionBy.parse(partitionBy);
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--partition-by: " + e.getMessage());
        }
      }
      CreateTaskRequest req = CreateTaskRequest.newBuilder().setTable(t).setMode(mode)
          .setStartTs(mode == 1 ? startTs : 0).setDest(dest).setFormat(f).setRollSizeBytes(rollSize)
          .setPartitionBy(partitionBy == null ? "" : partitionBy)
          .setRollTimeSeconds(rollTime).setRollIdleSeconds(rollIdle).build();
      try (AdminClient c = connect()) {
        out().println(c.call(c.api().createTask(req)).getMessage());
      }
      return 0;
    }
  }

  @Command(name = "delete", description = "Delete a table's sync task (committed files are kept).")
  static final class Delete extends TaskCall {
    @Override
    CompletionStage<AdminReply> send(SyncToolAdminClient api, TableRef t) {
      return api.deleteTask(t);
    }
  }

  @Command(name = "pause", description = "Pause a table's sync task (streams stop; position is kept).")
  static final class Pause extends TaskCall {
    @Override
    CompletionStage<AdminReply> send(SyncToolAdminClient api, TableRef t) {
      return api.pauseTask(t);
    }
  }

  @Command(name = "resume", description = "Resume a paused sync task, or its FAILED subtasks, from their journaled positions.")
  static final class Resume extends TaskCall {
    @Override
    CompletionStage<AdminReply> send(SyncToolAdminClient api, TableRef t) {
      return api.resumeTask(t);
    }
  }

  @Command(name = "collectors", description = "List the collectors registered in ZooKeeper.")
  static final class ListCollectors extends Verb {
    @Override
    public Integer call() {
      try (AdminClient c = connect()) {
        ListCollectorsReply r = c.call(c.api().listCollectors(ListCollectorsRequest.getDefaultInstance()));
        out().println(r.getCollectorCount() + " collector(s) under " + r.getZookeeperPath());
        for (Collector col : r.getCollectorList()) {
          out().println(col.getEndpoint() + "  host=" + col.getHost());
        }
      }
      return 0;
    }
  }

  @Command(name = "verify", description = {"Check a task's committed files against its journal and the records in"
      + " the files: names, row counts, positions contiguous per partition (no gap, no overlap), no file unknown to"
      + " the journal. Changes nothing; safe while the task runs.", "Exit code 4 when a problem is found."})
  static final class Verify extends TableVerb {

    @Override
    public Integer call() {
      TableRef t = table(dbTable);
      try (AdminClient c = connect()) {
        VerifyReply r = c.call(c.api().verify(t));
        r.getLineList().forEach(out()::println);
        for (String p : r.getProblemList()) {
          out().println("PROBLEM " + p);
        }
        return r.getOk() ? 0 : VERIFY_PROBLEMS;
      }
    }
  }

  @Command(name = "status", description = "Show every subtask, then the table scope summary.")
  static final class StatusCmd extends Verb {
    @Option(names = "-t", description = "only this db.table") String dbTable;
    @Option(names = {"-w", "--watch"}, description = "refresh a live progress view until Ctrl-C") boolean watch;
    @Option(names = {"-i", "--interval"}, defaultValue = "2", description = "seconds between refreshes (--watch)")
    int interval;
    @Option(names = "--iterations", defaultValue = "0", hidden = true,
        description = "stop --watch after this many refreshes (0 = never)")
    int iterations;

    @Override
    public Integer call() throws InterruptedException {
      StatusRequest.Builder req = StatusRequest.newBuilder();
      if (dbTable != null) {
        req.setTable(table(dbTable));
      }
      try (AdminClient c = connect()) {
        if (!watch) {
          printStatus(out(), c.call(c.api().status(req.build())).getSubtaskList());
          return 0;
        }
        if (interval < 1) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--interval must be at least 1 second");
        }
        Map<String, long[]> previous = new HashMap<>();
        boolean terminal = System.console() != null;
        for (int n = 1; iterations == 0 || n <= iterations; n++) {
          StatusReply r = c.call(c.api().status(req.build()));
          if (terminal) {
            out().print("\033[H\033[2J");
          }
          printWatch(out(), r, previous, interval);
          out().flush();
          if (iterations == 0 || n < iterations) {
            Thread.sleep(interval * 1000L);
          }
        }
      }
      return 0;
    }
  }

  @Command(name = "tool-status",
      description = "Print the synctool's properties file, check it, and show the synctool's state.")
  static final class ToolStatus extends Verb {
    @Option(names = {"-f", "--synctool_conf"}, defaultValue = "conf/synctool.properties",
        description = "synctool properties file (default: ${DEFAULT-VALUE})")
    Path conf;

    @Override
    public Integer call() {
      PrintWriter out = out();
      Properties props = new Properties();
      try (Reader in = Files.newBufferedReader(conf, StandardCharsets.UTF_8)) {
        props.load(in);
      } catch (IOException e) {
        throw new AdminClient.CliError(2, "cannot read " + conf.toAbsolutePath() + ": " + e
            + " (give the file with -f)");
      }
      Map<String, String> shown = new TreeMap<>();
      props.stringPropertyNames().forEach(k -> shown.put(k, k.endsWith("password") && !props.getProperty(k)
          .isEmpty() ? "***" : props.getProperty(k)));
      out.println(pyDict(shown));
      SyncToolSettings settings = null;
      try {
        settings = SyncToolSettings.parse(props, System.getenv("HADOOP_CONF_DIR"));
        out.println("settings: ok" + (settings.ignoredKeys().isEmpty() ? ""
            : " (ignored, no effect in offsync: " + String.join(", ", settings.ignoredKeys()) + ")"));
      } catch (SyncToolSettings.SettingsException e) {
        out.println("settings: INVALID: " + e.getMessage());
      }
      if (settings != null) {
        out.println("sync task progress: journal " + settings.journalLocation());
        if (settings.journalIsH2()) {
          Path db = Path.of(settings.journalLocation() + ".mv.db");
          out.println("  " + db + (Files.exists(db) ? " (" + size(db) + " bytes)" : " (not created yet)"));
        }
        progressFiles(out, settings.progressPath());
      }
      boolean serverGiven = spec.commandLine().getParseResult().hasMatchedOption("-s");
      String target = serverGiven || settings == null ? parent.server : settings.advertisedEndpoint();
      out.println("synctool at " + target + ":");
      try (AdminClient c = new AdminClient(target, Duration.ofSeconds(parent.timeoutSeconds), parent.access())) {
        List<SubtaskStatus> all = c.call(c.api().status(StatusRequest.getDefaultInstance())).getSubtaskList();
        Map<String, Long> byState = all.stream().collect(Collectors.groupingBy(SubtaskStatus::getState,
            TreeMap::new, Collectors.counting()));
        long tables = all.stream().map(s -> s.getDb() + "." + s.getTable()).distinct().count();
        out.println("  running, " + tables + " task(s), " + all.size() + " subtask(s) " + byState);
        ListCollectorsReply cols = c.call(c.api().listCollectors(ListCollectorsRequest.getDefaultInstance()));
        out.println("  " + cols.getCollectorCount() + " collector(s): " + cols.getCollectorList().stream()
            .map(Collector::getEndpoint).collect(Collectors.joining(", ")));
      } catch (AdminClient.CliError e) {
        out.println("  " + e.getMessage());
      }
      return 0;
    }

    /** The subtask progress files of a synctool running on this machine (ProgressFiles), one line each. */
    private static void progressFiles(PrintWriter out, Path root) {
      List<Path> files;
      try (Stream<Path> walk = Files.walk(root, 2)) {
        files = walk.filter(p -> p.getFileName().toString().endsWith(".progress")).sorted().toList();
      } catch (IOException e) {
        out.println("subtask progress files: none under " + root + " (" + e.getMessage() + ")");
        return;
      }
      out.println("subtask progress files (written by the node running each subtask): " + files.size()
          + " under " + root);
      for (Path f : files) {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
          p.load(in);
        } catch (IOException e) {
          out.println("  " + f + " (unreadable: " + e.getMessage() + ")");
          continue;
        }
        out.println("  " + f + ": " + p.getProperty("table", "?") + " pid " + p.getProperty("pid", "?") + " "
            + p.getProperty("status", "?") + " at " + p.getProperty("position", "?") + ", written "
            + p.getProperty("written", "?") + " by " + p.getProperty("node", "?"));
      }
    }

    private static long size(Path p) {
      try {
        return Files.size(p);
      } catch (IOException e) {
        return -1;
      }
    }
  }

  /** The original helper's status text: per-subtask lines, then the table scope summary. */
  static void printStatus(PrintWriter out, List<SubtaskStatus> all) {
    if (all.isEmpty()) {
      out.println("no task");
      return;
    }
    out.println(all.size() + " tasks(tid-pid)");
    for (SubtaskStatus s : all) {
      out.println(line(s));
    }
    Map<Integer, List<SubtaskStatus>> byTid = new TreeMap<>();
    all.forEach(s -> byTid.computeIfAbsent(s.getTid(), k -> new ArrayList<>()).add(s));
    out.println("table scope");
    out.println("running tasks:");
    TreeSet<Integer> failed = new TreeSet<>();
    for (Map.Entry<Integer, List<SubtaskStatus>> e : byTid.entrySet()) {
      if (e.getValue().stream().anyMatch(s -> s.getState().equals("FAILED"))) {
        failed.add(e.getKey());
      } else {
        SubtaskStatus first = e.getValue().get(0);
        out.println("tid " + e.getKey() + " task is running (" + first.getDb() + "." + first.getTable()
            + "), pid parts: " + e.getValue().stream().map(s -> String.valueOf(s.getPid()))
            .collect(Collectors.joining(", ", "[", "]")));
      }
    }
    if (failed.isEmpty()) {
      out.println("all tasks are running");
      return;
    }
    out.println("tasks contains failed part: " + failed.stream().map(String::valueOf)
        .collect(Collectors.joining(", ", "{", "}")));
    for (int tid : failed) {
      out.println("tid: " + tid);
      for (SubtaskStatus s : byTid.get(tid)) {
        if (s.getState().equals("FAILED")) {
          out.println("failed part: " + line(s));
        }
      }
    }
  }

  static String line(SubtaskStatus s) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("table", s.getDb() + "." + s.getTable());
    f.put("tid", String.valueOf(s.getTid()));
    f.put("pid", String.valueOf(s.getPid()));
    f.put("status", s.getState() + (s.getPaused() ? " (paused)" : ""));
    f.put("mode", String.valueOf(s.getMode()));
    if (s.getMode() == 1) {
      f.put("startTs", String.valueOf(s.getStartTs()));
    }
    f.put("phase", s.getPhase());
    f.put("position", s.getPosition());
    f.put("rows", String.valueOf(s.getRows()));
    f.put("bytes", String.valueOf(s.getBytes()));
    f.put("files", String.valueOf(s.getFiles()));
    f.put("collector", s.getCollector());
    f.put("tablet", s.getTabletEndpoint());
    f.put("lastUpdateTime", s.getLastUpdateMs() > 0 ? TIME.format(Instant.ofEpochMilli(s.getLastUpdateMs())) : "");
    f.put("format", s.getFormat() + (s.getPartitionBy().isEmpty() ? "" : ", partitioned by " + s.getPartitionBy()));
    f.put("dest", s.getDest());
    if (!s.getReason().isEmpty()) {
      f.put("reason", s.getReason());
    }
    return f.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
  }

  /** The live view: one row per subtask with rows, bytes, rate since the last refresh and phase. */
  static void printWatch(PrintWriter out, StatusReply r, Map<String, long[]> previous, int interval) {
    out.println("offsync sync status at " + TIME.format(Instant.ofEpochMilli(r.getServerTimeMs()))
        + " (every " + interval + " s, Ctrl-C to stop)");
    if (r.getSubtaskCount() == 0) {
      out.println("no task");
      return;
    }
    String fmt = "%-24s %5s %4s %-12s %-8s %12s %12s %12s %12s %6s  %s%n";
    out.printf(Locale.ROOT, fmt, "TABLE", "TID", "PID", "STATE", "PHASE", "ROWS", "BYTES", "ROWS/S", "MB/S",
        "FILES", "POSITION");
    long totalRows = 0;
    long totalBytes = 0;
    double totalRate = 0;
    for (SubtaskStatus s : r.getSubtaskList()) {
      String key = s.getTid() + "-" + s.getPid();
      long[] prev = previous.put(key, new long[] {r.getServerTimeMs(), s.getRows(), s.getBytes()});
      String rowRate = "-";
      String byteRate = "-";
      if (prev != null && r.getServerTimeMs() > prev[0]) {
        double dt = (r.getServerTimeMs() - prev[0]) / 1000.0;
        double rr = Math.max(0, s.getRows() - prev[1]) / dt;
        totalRate += rr;
        rowRate = String.format(Locale.ROOT, "%.0f", rr);
        byteRate = String.format(Locale.ROOT, "%.2f", Math.max(0, s.getBytes() - prev[2]) / dt / 1e6);
      }
      totalRows += s.getRows();
      totalBytes += s.getBytes();
      out.printf(Locale.ROOT, fmt, s.getDb() + "." + s.getTable(), s.getTid(), s.getPid(),
          s.getState() + (s.getPaused() ? "(P)" : ""), s.getPhase(), s.getRows(), s.getBytes(), rowRate, byteRate,
          s.getFiles(), s.getPosition() + (s.getReason().isEmpty() ? "" : "  " + s.getReason()));
    }
    out.printf(Locale.ROOT, "total: %d rows, %d bytes, %.0f rows/s%n", totalRows, totalBytes, totalRate);
  }

  /** A Python-dict-like rendering, as the original helper printed the properties. */
  static String pyDict(Map<String, String> m) {
    return m.entrySet().stream().map(e -> "'" + e.getKey() + "': '" + e.getValue() + "'")
        .collect(Collectors.joining(", ", "{", "}"));
  }
}
