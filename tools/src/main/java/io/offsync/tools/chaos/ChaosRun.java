package io.offsync.tools.chaos;

import io.offsync.tools.ProcessCluster;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/chaos}: a randomized kill loop against real offsync processes ({@link ChaosTopology}) with rows appended
 * throughout. Each step kills (SIGKILL) or stops some nodes ({@link ChaosAction}), restarts each at once or after a
 * random delay of up to 15 s, and measures from the last process start until every live node sees one cluster of
 * exactly the live nodes ("members"), and until every row appended before that start is committed ("rows"). A step
 * that misses {@code --bound} (members) or {@code --rows-bound} fails the run. At the end the committed files must
 * hold every appended row exactly once, checked by id and content against the tablet, and
 * {@code bin/synctool-helper verify} must find the files consistent with the journal.
 *
 * <p>Prints the kill log as it goes, then per action the convergence times (min/median/max) and a last line
 * starting {@code chaos <topology>: PASSED} or {@code FAILED}, with the seed that replays the same choices.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true,
    description = "kill -9 / restart offsync processes at random while a tablet appends, then check every row")
public final class ChaosRun implements Callable<Integer> {

  @Option(names = "--kills", defaultValue = "10", description = "steps (kills or stops) (default ${DEFAULT-VALUE})")
  int kills;

  @Option(names = "--seed", description = "random seed (default: the time); printed for replay")
  Long seed;

  @Option(names = "--topology", defaultValue = "both",
      description = "h2 (one synctool), pg (two synctools on PostgreSQL) or both (default ${DEFAULT-VALUE})")
  String topology;

  @Option(names = "--kinds", defaultValue = "all",
      description = "which nodes are killed: all, synctool or collector (default ${DEFAULT-VALUE})")
  String kinds;

  @Option(names = "--actions", split = ",", description = "run these actions in this order instead of random ones: "
      + "KILL_SYNCTOOL, KILL_ALL_SYNCTOOLS, KILL_COLLECTOR, KILL_ALL_COLLECTORS, KILL_SYNCTOOL_AND_COLLECTOR, "
      + "UPGRADE_SYNCTOOLS")
  List<ChaosAction> actions;

  @Option(names = "--bound", defaultValue = "60",
      description = "seconds after the last process start within which the nodes must form one cluster "
          + "(default ${DEFAULT-VALUE})")
  int bound;

  @Option(names = "--rows-bound", defaultValue = "120",
      description = "seconds after the last process start within which every row appended before it must be "
          + "committed (default ${DEFAULT-VALUE})")
  int rowsBound;

  @Option(names = "--max-delay", defaultValue = "15", description = "longest restart delay, seconds (default "
      + "${DEFAULT-VALUE}); half the restarts are immediate")
  int maxDelay;

  @Option(names = "--max-pause", defaultValue = "8", description = "longest quiet time between two steps, seconds"
      + " (at least 1; default ${DEFAULT-VALUE})")
  int maxPause;

  @Option(names = "--kill-after-commit", defaultValue = "0", description = "percent of the kills that wait until a"
      + " new part file appears in the output and strike 50 ms later, in the commit protocol's busiest moment"
      + " (default ${DEFAULT-VALUE})")
  int killAfterCommit;

  @Option(names = "--h2-write-delay", description = "WRITE_DELAY of the h2 topology's journal, ms (default:"
      + " offsync's, 0 = every commit written at once). A delay such as 500 makes H2 lose its last commits at each"
      + " kill -9, as before issue 8: the run then checks that committed files the journal lost are adopted")
  Integer h2WriteDelay;

  @Option(names = "--stable-after", description = "pekko.cluster.split-brain-resolver.stable-after of the nodes, "
      + "seconds (default: offsync's, 20 s)")
  Integer stableAfter;

  @Option(names = "--dir", defaultValue = "target/chaos", description = "work directory (default ${DEFAULT-VALUE})")
  Path dir;

  @Option(names = "--pg-url", defaultValue = "${env:OFFSYNC_TEST_PG_URL}",
      description = "PostgreSQL server for the pg topology (default $OFFSYNC_TEST_PG_URL)")
  String pgUrl;

  @Option(names = "--pg-user", defaultValue = "${env:OFFSYNC_TEST_PG_USER:-offsync}")
  String pgUser;

  @Option(names = "--pg-password", defaultValue = "${env:OFFSYNC_TEST_PG_PASSWORD:-}")
  String pgPassword;

  PrintStream out = System.out;

  /** Convergence times of one step, seconds; {@code rows} is NaN when members never converged. */
  record Step(ChaosAction action, double members, double rows) {}

  /** What a run of one topology found; {@code failure} is null when it passed. */
  record Result(String topology, long seed, List<Step> steps, long rows, String failure) {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new ChaosRun()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    long s = seed == null ? System.currentTimeMillis() : seed;
    List<String> topologies = switch (topology) {
      case "both" -> List.of("h2", "pg");
      case "h2", "pg" -> List.of(topology);
      default -> throw new CommandLine.ParameterException(new CommandLine(this),
          "--topology must be h2, pg or both, not " + topology);
    };
    if (topologies.contains("pg") && (pgUrl == null || pgUrl.isBlank())) {
      throw new CommandLine.ParameterException(new CommandLine(this), "the pg topology needs PostgreSQL: give"
          + " --pg-url (or OFFSYNC_TEST_PG_URL; bin/chaos starts bin/postgres-dev.sh itself when unset)");
    }
    boolean passed = true;
    List<Result> results = new ArrayList<>();
    for (String t : topologies) {
      Result r = run(t, s);
      results.add(r);
      passed &= r.failure() == null;
    }
    for (Result r : results) {
      out.println(lastLine(r));
    }
    return passed ? 0 : 1;
  }

  /** One run of topology {@code h2} or {@code pg}. */
  Result run(String topo, long s) throws Exception {
    Random random = new Random(s);
    String javaOpts = "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
        + (stableAfter == null ? "" : " -Dpekko.cluster.split-brain-resolver.stable-after=" + stableAfter + "s");
    Path base = dir.toAbsolutePath().resolve(topo + "-" + System.currentTimeMillis());
    List<Step> steps = new ArrayList<>();
    out.printf(Locale.ROOT, "chaos %s: seed %d, %d steps, kinds %s, work dir %s%n", topo, s, kills, kinds, base);
    String failure = null;
    long rows = 0;
    try (ChaosTopology t = new ChaosTopology(base, javaOpts, topo.equals("pg") ? pgUrl : null, pgUser,
        pgPassword, topo.equals("h2") ? h2WriteDelay : null)) {
      long t0 = System.nanoTime();
      t.start();
      failure = awaitHealed(t, System.nanoTime(), null, 0);
      List<ChaosAction> allowed = new ArrayList<>();
      for (ChaosAction a : ChaosAction.values()) {
        if (a.allowedBy(kinds)) {
          allowed.add(a);
        }
      }
      for (int k = 1; k <= kills && failure == null; k++) {
        Thread.sleep(1000 + random.nextInt(Math.max(1, maxPause * 1000 - 1000)));
        ChaosAction action = actions != null ? actions.get((k - 1) % actions.size())
            : allowed.get(random.nextInt(allowed.size()));
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "#%d +%ds %s:", k,
            TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0), action.description));
        long lastStart = act(t, action, random, line);
        failure = awaitHealed(t, lastStart, line, k);
        steps.add(stepOf(action, line));
        out.println(line);
      }
      t.stopAppending();
      rows = t.appended();
      if (failure == null) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(rowsBound);
        while (t.committed() < rows && System.nanoTime() < deadline) {
          Thread.sleep(500);
        }
        Thread.sleep(3000); // a duplicate would show up as more rows than written
        failure = t.verify();
        out.println(t.counts());
        ChaosTopology.Verified v = t.verifyCommand();
        v.output().lines().forEach(l -> out.println("  " + l));
        if (failure == null && v.exitCode() != 0) {
          failure = "synctool-helper verify exited " + v.exitCode();
        }
      }
      out.printf(Locale.ROOT, "chaos %s: %d kills, %d of them 50 ms after a new part file; %d committed file(s)"
          + " adopted from the destination by the synctool%n", topo, steps.size(), afterCommit, t.adoptions());
      if (failure != null) {
        out.println(t.cluster().logs());
      }
    } catch (Exception e) {
      failure = "run aborted: " + e;
      e.printStackTrace(out);
    }
    Result r = new Result(topo, s, steps, rows, failure);
    printFigures(r);
    return r;
  }

  /** Kills that struck right after a new part file appeared. */
  private int afterCommit;

  /**
   * Does {@code action} and restarts what it took down (each at once or after a delay); returns when every
   * restart returned, with the time of the last process start.
   */
  private long act(ChaosTopology t, ChaosAction action, Random random, StringBuilder line) throws Exception {
    ProcessCluster cluster = t.cluster();
    List<ProcessCluster.Node> synctools = t.synctools();
    List<ProcessCluster.Node> collectors = t.collectors();
    List<ProcessCluster.Node> victims = new ArrayList<>();
    switch (action) {
      case KILL_SYNCTOOL -> victims.add(synctools.get(random.nextInt(synctools.size())));
      case KILL_ALL_SYNCTOOLS, UPGRADE_SYNCTOOLS -> victims.addAll(synctools);
      case KILL_COLLECTOR -> victims.add(collectors.get(random.nextInt(collectors.size())));
      case KILL_ALL_COLLECTORS -> victims.addAll(collectors);
      case KILL_SYNCTOOL_AND_COLLECTOR -> {
        victims.add(synctools.get(random.nextInt(synctools.size())));
        victims.add(collectors.get(random.nextInt(collectors.size())));
      }
      default -> throw new IllegalStateException(action.name());
    }
    long[] delays = new long[victims.size()];
    for (int i = 0; i < victims.size(); i++) {
      delays[i] = action == ChaosAction.UPGRADE_SYNCTOOLS || random.nextBoolean() ? 0
          : 1000L + random.nextInt(Math.max(1, maxDelay * 1000 - 1000));
    }
    if (action != ChaosAction.UPGRADE_SYNCTOOLS && killAfterCommit > 0 && random.nextInt(100) < killAfterCommit) {
      String file = t.awaitNewPartFile(TimeUnit.SECONDS.toNanos(15));
      if (file != null) {
        Thread.sleep(50);
        afterCommit++;
        line.append(" 50 ms after ").append(file).append(" appeared;");
      }
    }
    for (ProcessCluster.Node v : victims) {
      if (action == ChaosAction.UPGRADE_SYNCTOOLS) {
        cluster.script(v, "stop");
      } else if (cluster.running(v)) {
        cluster.kill9(v);
      }
    }
    long[] started = new long[victims.size()];
    List<Thread> restarts = new ArrayList<>();
    List<String> errors = Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < victims.size(); i++) {
      ProcessCluster.Node v = victims.get(i);
      int index = i;
      line.append(' ').append(v.name()).append(delays[i] == 0 ? " restart at once;"
          : String.format(Locale.ROOT, " restart after %.1f s;", delays[i] / 1000.0));
      Thread th = new Thread(() -> {
        try {
          Thread.sleep(delays[index]);
          started[index] = System.nanoTime();
          int code = cluster.script(v, "start");
          if (code != 0) {
            errors.add(v.name() + ": bin/start.sh start exited " + code);
          }
        } catch (Exception e) {
          errors.add(v.name() + ": " + e);
        }
      }, "restart-" + v.name());
      th.start();
      restarts.add(th);
    }
    for (Thread th : restarts) {
      th.join();
    }
    if (!errors.isEmpty()) {
      line.append(" start problems ").append(errors).append(';');
    }
    long last = 0;
    for (long st : started) {
      last = Math.max(last, st);
    }
    return last;
  }

  /**
   * Waits until the nodes form one cluster (within {@code bound}) and every row appended before {@code since} is
   * committed (within {@code rowsBound}); appends the figures to {@code line}. Returns the failure, or null.
   */
  private String awaitHealed(ChaosTopology t, long since, StringBuilder line, int k) throws Exception {
    long target = t.appended();
    String why = "";
    double members = Double.NaN;
    while (System.nanoTime() - since < TimeUnit.SECONDS.toNanos(bound)) {
      why = t.converged();
      if (why == null) {
        members = (System.nanoTime() - since) / 1e9;
        break;
      }
      Thread.sleep(250);
    }
    if (Double.isNaN(members)) {
      append(line, " members NOT converged within " + bound + " s (" + why + ")");
      return "step " + k + ": no single cluster of the live nodes within " + bound + " s after the last start: "
          + why;
    }
    double rowsAt = Double.NaN;
    long committed = 0;
    while (System.nanoTime() - since < TimeUnit.SECONDS.toNanos(rowsBound)) {
      committed = t.committed();
      if (committed >= target) {
        rowsAt = (System.nanoTime() - since) / 1e9;
        break;
      }
      Thread.sleep(500);
    }
    append(line, String.format(Locale.ROOT, " members %.1f s, rows %s", members,
        Double.isNaN(rowsAt) ? "NOT within " + rowsBound + " s" : String.format(Locale.ROOT, "%.1f s", rowsAt)));
    if (Double.isNaN(rowsAt)) {
      return "step " + k + ": only " + committed + " of the " + target + " rows appended before the last start"
          + " committed within " + rowsBound + " s";
    }
    return null;
  }

  private static void append(StringBuilder line, String s) {
    if (line != null) {
      line.append(s);
    }
  }

  private static Step stepOf(ChaosAction action, StringBuilder line) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("members ([\\d.]+) s, rows ([\\d.]+) s")
        .matcher(line);
    return m.find() ? new Step(action, Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)))
        : new Step(action, Double.NaN, Double.NaN);
  }

  private void printFigures(Result r) {
    Map<ChaosAction, List<Step>> by = new EnumMap<>(ChaosAction.class);
    for (Step st : r.steps()) {
      by.computeIfAbsent(st.action(), a -> new ArrayList<>()).add(st);
    }
    out.printf(Locale.ROOT, "chaos %s: convergence after the last process start, seconds (min/median/max)%n",
        r.topology());
    for (Map.Entry<ChaosAction, List<Step>> e : by.entrySet()) {
      out.printf(Locale.ROOT, "  %-28s n=%-3d members %s   rows %s%n", e.getKey(), e.getValue().size(),
          stats(e.getValue().stream().mapToDouble(Step::members).toArray()),
          stats(e.getValue().stream().mapToDouble(Step::rows).toArray()));
    }
  }

  static String stats(double[] values) {
    double[] v = java.util.Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
    if (v.length == 0) {
      return "-";
    }
    double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    return String.format(Locale.ROOT, "%.1f/%.1f/%.1f", v[0], median, v[v.length - 1]);
  }

  private static String abbreviate(String s) {
    return s.length() <= 400 ? s : s.substring(0, 400) + "...";
  }

  static String lastLine(Result r) {
    List<Step> steps = r.steps();
    return String.format(Locale.ROOT, "chaos %s: %s %d steps, seed %d, %d rows appended%s; members %s s, rows %s s",
        r.topology(), r.failure() == null ? "PASSED" : "FAILED", steps.size(), r.seed(), r.rows(),
        r.failure() == null ? ", every row committed exactly once (checked by id and content)"
            : " (" + abbreviate(r.failure().replace('\n', ' ')) + ")",
        stats(steps.stream().mapToDouble(Step::members).toArray()),
        stats(steps.stream().mapToDouble(Step::rows).toArray()));
  }
}
