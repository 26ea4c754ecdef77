package io.offsync.tools.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU time of this JVM by kind of thread between two snapshots: JIT compilers (C1, C2) and garbage collection (G1's
 * workers, concurrent and refinement threads, the VM thread), read per thread from {@code /proc/self/task} (Linux;
 * these threads are invisible to {@code ThreadMXBean}), and the rest of the process's CPU time (the nodes'
 * dispatchers, streams, readers and writers). A compiler thread the JVM stops between the snapshots (more than one
 * per compiler, {@code UseDynamicNumberOfCompilerThreads}) is missed and its time counts as "other". Without
 * {@code /proc} only the process's total is known and {@link #describe} says nothing.
 */
final class ThreadCpu {

  private static final long NANOS_PER_TICK = 1_000_000_000L / 100; // USER_HZ is 100 on Linux
  private static final String[] KINDS = {"JIT C2", "C1", "GC"};

  private final long processNanos;
  private final Map<String, long[]> threads; // tid -> {kind, nanos}

  private ThreadCpu(long processNanos, Map<String, long[]> threads) {
    this.processNanos = processNanos;
    this.threads = threads;
  }

  static ThreadCpu now() {
    Map<String, long[]> threads = new HashMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      tasks.forEach(task -> {
        try {
          String stat = Files.readString(task.resolve("stat"));
          int close = stat.lastIndexOf(')');
          int kind = kind(stat.substring(stat.indexOf('(') + 1, close));
          if (kind >= 0) {
            String[] f = stat.substring(close + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
            threads.put(task.getFileName().toString(), new long[] {kind, ticks * NANOS_PER_TICK});
          }
        } catch (IOException | RuntimeException e) {
          // the thread ended meanwhile
        }
      });
    } catch (IOException e) {
      threads.clear();
    }
    return new ThreadCpu(Floors.cpuNanos(), threads);
  }

  private static int kind(String name) {
    if (name.startsWith("C2 Compiler")) {
      return 0;
    }
    if (name.startsWith("C1 Compiler")) {
      return 1;
    }
    if (name.startsWith("GC Thread") || name.startsWith("G1 ") || name.equals("VM Thread")) {
      return 2;
    }
    return -1;
  }

  /** CPU time of the whole process since {@code before}. */
  long totalNanos(ThreadCpu before) {
    return processNanos - before.processNanos;
  }

  /**
   * "JIT C2 1.2 s, C1 0.3 s, GC 0.4 s, other threads 5.1 s" since {@code before}, empty when no thread was read.
   */
  String describe(ThreadCpu before) {
    if (threads.isEmpty()) {
      return "";
    }
    long[] byKind = new long[KINDS.length];
    threads.forEach((tid, now) -> {
      long[] then = before.threads.get(tid);
      byKind[(int) now[0]] += now[1] - (then == null ? 0 : then[1]);
    });
    StringBuilder s = new StringBuilder();
    long other = totalNanos(before);
    for (int k = 0; k < KINDS.length; k++) {
      s.append(String.format("%s %.1f s, ", KINDS[k], byKind[k] / 1e9));
      other -= byKind[k];
    }
    return s.append(String.format("other threads %.1f s", other / 1e9)).toString();
  }
}
