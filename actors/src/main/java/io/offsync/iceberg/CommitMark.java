package io.offsync.iceberg;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.offsync.protocol.position.Position;
import io.offsync.sink.CommitRecord;
import io.offsync.sink.CommittedFile;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.Path;

/**
 * What one Iceberg commit of offsync records about itself, in the snapshot summary ({@code offsync.*} keys) and,
 * in the same atomic commit, as the table property {@code offsync.committed.<subtask>} (the latest commit of each
 * subtask, which survives snapshot expiry).
 *
 * @param subtask the subtask id ({@code db.table|incarnation|pid}); a recreated task has a new one
 * @param tid table id
 * @param pid partition id
 * @param seq the part file's sequence number within the subtask
 * @param from the source position of the file's first row (null if unknown): recovery adopts a commit the journal
 *     lost only when it starts where the journal stands
 * @param next the source position after the file's last row: where reading resumes once this commit is known
 * @param rows rows in the data file
 * @param bytes the data file's length
 * @param file the data file's location
 */
public record CommitMark(String subtask, int tid, int pid, long seq, Position from, Position next, long rows,
    long bytes, String file) {

  /** Prefix of every key offsync puts in a snapshot summary. */
  public static final String PREFIX = "offsync.";
  /** Prefix of the table properties holding each subtask's latest commit. */
  public static final String PROPERTY_PREFIX = PREFIX + "committed.";

  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** The snapshot summary entries. */
  public Map<String, String> summary() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(PREFIX + "subtask", subtask);
    m.put(PREFIX + "tid", Integer.toString(tid));
    m.put(PREFIX + "pid", Integer.toString(pid));
    m.put(PREFIX + "seq", Long.toString(seq));
    if (from != null) {
      m.put(PREFIX + "from", json(from));
    }
    m.put(PREFIX + "next", json(next));
    m.put(PREFIX + "rows", Long.toString(rows));
    m.put(PREFIX + "bytes", Long.toString(bytes));
    m.put(PREFIX + "file", file);
    return m;
  }

  /** The mark in a snapshot summary, if the snapshot is an offsync commit. */
  public static Optional<CommitMark> fromSummary(Map<String, String> summary) {
    String subtask = summary.get(PREFIX + "subtask");
    if (subtask == null) {
      return Optional.empty();
    }
    try {
      String from = summary.get(PREFIX + "from");
      return Optional.of(new CommitMark(subtask, Integer.parseInt(summary.get(PREFIX + "tid")),
          Integer.parseInt(summary.get(PREFIX + "pid")), Long.parseLong(summary.get(PREFIX + "seq")),
          from == null ? null : JSON.readValue(from, Position.class),
          JSON.readValue(summary.get(PREFIX + "next"), Position.class),
          Long.parseLong(summary.get(PREFIX + "rows")), Long.parseLong(summary.getOrDefault(PREFIX + "bytes", "0")),
          summary.get(PREFIX + "file")));
    } catch (JsonProcessingException | RuntimeException e) {
      throw new IllegalStateException("snapshot summary with a malformed offsync mark: " + summary, e);
    }
  }

  /** The table property key of a subtask's latest commit. */
  public static String propertyKey(String subtask) {
    return PROPERTY_PREFIX + subtask;
  }

  /** This mark as a table property value. */
  public String propertyValue() {
    return json(this);
  }

  /** A mark from its table property value. */
  public static CommitMark fromProperty(String value) {
    try {
      return JSON.readValue(value, CommitMark.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("malformed offsync table property value: " + value, e);
    }
  }

  /** This commit as the commit protocol's record of a committed file (the file's attempt from its name). */
  public CommittedFile committedFile() {
    return new CommittedFile(new Path(file), bytes, new CommitRecord(subtask, tid, pid, seq,
        IcebergCommitter.attemptOf(new Path(file).getName()), from, next, rows));
  }

  private static String json(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
