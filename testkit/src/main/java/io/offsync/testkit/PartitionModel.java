package io.offsync.testkit;

import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.snapshot.DiskTableLayout;
import io.offsync.protocol.snapshot.Manifest;
import io.offsync.protocol.snapshot.Ttl;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The fixture's truth about one partition, kept in memory independently of the files: what each index of the live
 * DB holds (one value per (key, ts), deletes applied as a DiskTable applies them), index 0 as of the latest snapshot,
 * and the binlog's index-0 puts. {@link #expectedRows} derives what a sync of the partition must produce from it.
 * Not thread-safe.
 */
final class PartitionModel {

  /** A binlog put that carries index 0's dimension: log index, {@code LogEntry.ts}, values. */
  private record LoggedPut(long logIndex, long ts, Object[] values) {}

  private DiskTableLayout layout;
  /** index id → pk → ts (newest first) → values. */
  private final Map<Integer, Map<String, TreeMap<Long, Object[]>>> live = new HashMap<>();
  private Map<String, TreeMap<Long, Object[]>> snapshotIndex0;
  /** The last log index applied to the latest snapshot's checkpoint (MANIFEST.offset + its overlap). */
  private long checkpointIndex;
  private final List<LoggedPut> binlogPuts = new ArrayList<>();

  PartitionModel(DiskTableLayout layout) {
    this.layout = layout;
  }

  /** The table got an index ({@code CREATE INDEX}). */
  void relayout(DiskTableLayout newLayout) {
    this.layout = newLayout;
  }

  /** Index 0's rows now: (ts, values). */
  List<Map.Entry<Long, Object[]>> index0Rows() {
    return index(0).values().stream().flatMap(byTs -> byTs.entrySet().stream()).toList();
  }

  /** A put of {@code values} at put time {@code time} with these dimensions, logged at {@code logIndex}. */
  void put(long logIndex, long time, List<DiskTableLayout.Dimension> dimensions, Object[] values) {
    boolean index0 = false;
    for (DiskTableLayout.Dimension d : dimensions) {
      long ts = layout.ts(layout.index(d.index()), values, time);
      index(d.index()).computeIfAbsent(d.key(), k -> new TreeMap<>(Comparator.reverseOrder())).put(ts, values);
      index0 |= d.index() == 0;
    }
    if (index0) {
      binlogPuts.add(new LoggedPut(logIndex, time, values));
    }
  }

  /** A DiskTable delete of {@code key} in {@code index}: the rows with {@code endTs < ts <= startTs} (unsigned). */
  void delete(int index, String key, long startTs, long endTs) {
    Map<String, TreeMap<Long, Object[]>> rows = index(index);
    TreeMap<Long, Object[]> byTs = rows.get(key);
    if (byTs == null) {
      return;
    }
    byTs.keySet().removeIf(ts -> Long.compareUnsigned(ts, endTs) > 0 && Long.compareUnsigned(ts, startTs) <= 0);
    if (byTs.isEmpty()) {
      rows.remove(key);
    }
  }

  /** The rows {@code index} holds for {@code key}: (ts, values), newest first; a copy. */
  List<Map.Entry<Long, Object[]>> rows(int index, String key) {
    TreeMap<Long, Object[]> byTs = index(index).get(key);
    return byTs == null ? List.of() : List.copyOf(byTs.entrySet());
  }

  /** How many (key, ts) entries index 0 holds now (what a tablet counts into MANIFEST). */
  long index0Count() {
    return index(0).values().stream().mapToLong(Map::size).sum();
  }

  /** A snapshot whose checkpoint holds everything applied up to {@code lastLogIndex}. */
  void snapshotTaken(long lastLogIndex) {
    Map<String, TreeMap<Long, Object[]>> copy = new HashMap<>();
    index(0).forEach((k, v) -> copy.put(k, new TreeMap<>(v)));
    snapshotIndex0 = copy;
    checkpointIndex = lastLogIndex;
  }

  /**
   * The rows a sync of this partition must produce (see {@link TabletFixture#expectedRows(int, int, long, long)}).
   *
   * @param manifest the latest snapshot's MANIFEST, or null
   * @param ttl0 index 0's TTL as the nameserver describes it
   */
  List<List<Object>> expectedRows(Manifest manifest, Common.TTLSt ttl0, int mode, long startTs, long nowMillis) {
    List<List<Object>> out = new ArrayList<>();
    long offset = 0;
    Set<Object[]> sentBySnapshot = Collections.newSetFromMap(new IdentityHashMap<>());
    if (manifest != null && snapshotIndex0 != null) {
      offset = manifest.offset();
      for (TreeMap<Long, Object[]> byTs : snapshotIndex0.values()) {
        long rank = 0;
        for (Map.Entry<Long, Object[]> e : byTs.entrySet()) {
          rank++;
          if (expired(ttl0, e.getKey(), rank, nowMillis)) {
            break;
          }
          if (mode == 1 && Long.compareUnsigned(e.getKey(), startTs) < 0) {
            continue;
          }
          out.add(Arrays.asList(e.getValue()));
          sentBySnapshot.add(e.getValue());
        }
      }
    }
    for (LoggedPut put : binlogPuts) {
      boolean sent = put.logIndex() <= checkpointIndex && sentBySnapshot.contains(put.values());
      if (put.logIndex() > offset && !sent && (mode != 1 || Long.compareUnsigned(put.ts(), startTs) >= 0)) {
        out.add(Arrays.asList(put.values()));
      }
    }
    return out;
  }

  private boolean expired(Common.TTLSt t, long ts, long rank, long now) {
    if (layout.index(0).ttl().equals(Ttl.NONE)) {
      return false;
    }
    boolean hasAbs = t.getAbsTtl() > 0;
    boolean hasLat = t.getLatTtl() > 0;
    boolean absGone = hasAbs && Long.compareUnsigned(ts, now - t.getAbsTtl() * 60_000L) <= 0;
    boolean latGone = hasLat && rank > t.getLatTtl();
    return switch (t.getTtlType()) {
      case kLatestTime -> latGone;
      case kAbsAndLat -> hasAbs && hasLat && absGone && latGone;
      case kAbsOrLat -> absGone || latGone;
      default -> absGone;
    };
  }

  private Map<String, TreeMap<Long, Object[]>> index(int id) {
    return live.computeIfAbsent(id, i -> new HashMap<>());
  }
}
