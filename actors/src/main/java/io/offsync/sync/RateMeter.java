package io.offsync.sync;

import java.util.ArrayDeque;
import java.util.Deque;

/** Rows per second over the last minute of commits, from (time, running row count) samples. Not thread-safe. */
final class RateMeter {

  private static final long WINDOW_MS = 60_000;

  private final Deque<long[]> samples = new ArrayDeque<>();

  /** Records that {@code rows} rows in total were committed at epoch ms {@code at}. */
  void sample(long at, long rows) {
    samples.addLast(new long[] {at, rows});
    while (samples.size() > 2 && samples.peekFirst()[0] < at - WINDOW_MS) {
      samples.removeFirst();
    }
  }

  /** Rows per second between the oldest and newest sample in the window; 0 before two samples. */
  double rate() {
    if (samples.size() < 2) {
      return 0;
    }
    long[] a = samples.peekFirst();
    long[] b = samples.peekLast();
    long dt = Math.max(1, b[0] - a[0]);
    return (b[1] - a[1]) * 1000.0 / dt;
  }
}
