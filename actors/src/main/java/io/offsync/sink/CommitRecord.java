package io.offsync.sink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.offsync.protocol.position.Position;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a committed part file says about itself: whose it is, its sequence, which attempt wrote it, and the source
 * range its rows cover. It travels with the file (Parquet: key-value metadata of the footer; CSV: a sidecar, see
 * {@link CommittedFile}), so the destination alone tells what is committed, whatever the journal lost.
 *
 * @param owner the subtask that wrote the file ({@code db.table|incarnation|pid}); empty if unknown
 * @param tid table id
 * @param pid partition id
 * @param seq the file's sequence number within its partition
 * @param attempt the mark of the stream that wrote it (the same as in its tmp name)
 * @param from the source position of its first row; null if unknown
 * @param next the source position after its last row
 * @param rows the number of rows in the file (of a group's marker: of every file of the group)
 * @param group the files of a time-partitioned group ({@link PartitionedFiles}): every partition directory of
 *     the group with its rows (and, in the group's marker only, its bytes); empty for an unpartitioned file
 */
public record CommitRecord(String owner, int tid, int pid, long seq, String attempt, Position from, Position next,
    long rows, List<GroupPart> group) {

  /**
   * One file of a group: its partition directory ({@code ts_day=2026-12-04}), rows, and bytes (-1 where the file
   * cannot know it: in its own footer).
   */
  public record GroupPart(String partition, long rows, long bytes) {}

  public CommitRecord {
    group = group == null ? List.of() : List.copyOf(group);
  }

  /** The record of an unpartitioned file. */
  public CommitRecord(String owner, int tid, int pid, long seq, String attempt, Position from, Position next,
      long rows) {
    this(owner, tid, pid, seq, attempt, from, next, rows, List.of());
  }

  /** The same record with another row count and group (a group member's, from its group's). */
  public CommitRecord withRows(long count, List<GroupPart> parts) {
    return new CommitRecord(owner, tid, pid, seq, attempt, from, next, count, parts);
  }

  /** The prefix of every key offsync writes into a file's metadata. */
  public static final String PREFIX = "offsync.";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The record as string key-value pairs ({@code offsync.seq}, {@code offsync.next}, ...); positions as JSON. */
  public Map<String, String> toMetadata() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(PREFIX + "owner", owner);
    m.put(PREFIX + "tid", Integer.toString(tid));
    m.put(PREFIX + "pid", Integer.toString(pid));
    m.put(PREFIX + "seq", Long.toString(seq));
    m.put(PREFIX + "attempt", attempt);
    if (from != null) {
      m.put(PREFIX + "from", json(from));
    }
    m.put(PREFIX + "next", json(next));
    m.put(PREFIX + "rows", Long.toString(rows));
    if (!group.isEmpty()) {
      m.put(PREFIX + "group", String.join("/", group.stream().map(g -> g.partition() + ":" + g.rows()
          + (g.bytes() < 0 ? "" : ":" + g.bytes())).toList()));
    }
    return m;
  }

  /**
   * The record in {@code metadata}; empty when it holds none (a file written before offsync recorded it).
   *
   * @throws IllegalArgumentException naming the key when a record is there but malformed
   */
  public static Optional<CommitRecord> fromMetadata(Map<String, String> metadata) {
    if (!metadata.containsKey(PREFIX + "seq")) {
      return Optional.empty();
    }
    try {
      String from = metadata.get(PREFIX + "from");
      return Optional.of(new CommitRecord(
          metadata.getOrDefault(PREFIX + "owner", ""),
          Integer.parseInt(required(metadata, "tid")),
          Integer.parseInt(required(metadata, "pid")),
          Long.parseLong(required(metadata, "seq")),
          required(metadata, "attempt"),
          from == null ? null : JSON.readValue(from, Position.class),
          JSON.readValue(required(metadata, "next"), Position.class),
          Long.parseLong(required(metadata, "rows")),
          group(metadata.get(PREFIX + "group"))));
    } catch (JsonProcessingException | NumberFormatException | IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("malformed offsync commit record " + metadata + ": " + e.getMessage(), e);
    }
  }

  /** The attempt mark of a tmp file name ({@code <final name>.<attempt>.inprogress}); empty if it has none. */
  public static String attemptOf(String tmpName) {
    String name = tmpName.endsWith(FileNames.TMP_SUFFIX)
        ? tmpName.substring(0, tmpName.length() - FileNames.TMP_SUFFIX.length()) : tmpName;
    int dot = name.lastIndexOf('.');
    String tail = dot < 0 ? "" : name.substring(dot + 1);
    return tail.equals("parquet") || tail.equals("csv") ? "" : tail;
  }

  /** {@code dir:rows[:bytes]/…}: directories never hold a {@code /}, and escape {@code :} ({@link PartitionBy}). */
  private static List<GroupPart> group(String text) {
    if (text == null || text.isEmpty()) {
      return List.of();
    }
    List<GroupPart> parts = new ArrayList<>();
    for (String part : text.split("/")) {
      String[] f = part.split(":");
      parts.add(new GroupPart(f[0], Long.parseLong(f[1]), f.length > 2 ? Long.parseLong(f[2]) : -1));
    }
    return parts;
  }

  private static String required(Map<String, String> metadata, String key) {
    String v = metadata.get(PREFIX + key);
    if (v == null) {
      throw new IllegalArgumentException("offsync commit record without " + PREFIX + key + ": " + metadata);
    }
    return v;
  }

  private static String json(Position p) {
    try {
      return JSON.writerFor(Position.class).writeValueAsString(p);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write position " + p + " as JSON", e);
    }
  }
}
