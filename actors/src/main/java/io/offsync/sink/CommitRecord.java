package io.offsync.sink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.offsync.protocol.position.Position;
import java.util.LinkedHashMap;
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
 * @param rows the number of rows in the file
 */
public record CommitRecord(String owner, int tid, int pid, long seq, String attempt, Position from, Position next,
    long rows) {

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
          Long.parseLong(required(metadata, "rows"))));
    } catch (JsonProcessingException | NumberFormatException e) {
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
