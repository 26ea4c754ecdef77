package io.offsync.protocol.position;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A position in a partition's binlog.
 *
 * <p>Right after a snapshot the binlog is read against the snapshot's checkpoint for a while (the <em>overlap</em>,
 * see {@code io.offsync.protocol.partition.OverlapCheck}): a live tablet's checkpoint can hold puts with a log index
 * above {@code MANIFEST.offset}, and those are not sent again. While that comparison is going on the position names
 * the snapshot it compares against ({@link #overlap()}), so that a read resumed there compares against the very same
 * checkpoint; once the overlap is closed {@code overlap} is null, which is also what every position journaled before
 * overlaps existed deserializes to.
 *
 * @param nextLogIndex the next {@code log_index} to read, inclusive (log indexes start at 1)
 * @param overlap the snapshot the binlog is still compared against, or null (plain binlog read)
 */
public record BinlogPosition(long nextLogIndex, @JsonInclude(JsonInclude.Include.NON_NULL) Overlap overlap)
    implements Position {

  /**
   * The overlap of a snapshot that is still being compared.
   *
   * @param manifestName the checkpoint directory name from the snapshot's MANIFEST
   * @param manifestOffset the snapshot's MANIFEST.offset
   * @param misses puts read since the last one found in the checkpoint (or since the hand-over) that were not in
   *     it; the overlap closes when this reaches the reader's window
   */
  public record Overlap(String manifestName, long manifestOffset, int misses) {
    public Overlap {
      if (manifestName == null || misses < 0) {
        throw new IllegalArgumentException("an overlap names its snapshot and counts misses >= 0");
      }
    }

    /** This overlap after {@code n} more puts not found in the checkpoint. */
    public Overlap missed(int n) {
      return new Overlap(manifestName, manifestOffset, misses + n);
    }

    /** This overlap after a put found in the checkpoint. */
    public Overlap matched() {
      return misses == 0 ? this : new Overlap(manifestName, manifestOffset, 0);
    }
  }

  @JsonCreator
  public BinlogPosition(@JsonProperty("nextLogIndex") long nextLogIndex, @JsonProperty("overlap") Overlap overlap) {
    if (nextLogIndex < 1) {
      throw new IllegalArgumentException("binlog log_index starts at 1, got " + nextLogIndex);
    }
    if (overlap != null && nextLogIndex <= overlap.manifestOffset()) {
      throw new IllegalArgumentException("an overlap with snapshot " + overlap.manifestName() + " starts after its "
          + "offset " + overlap.manifestOffset() + ", got log index " + nextLogIndex);
    }
    this.nextLogIndex = nextLogIndex;
    this.overlap = overlap;
  }

  /** A plain binlog position (no overlap). */
  public BinlogPosition(long nextLogIndex) {
    this(nextLogIndex, null);
  }

  /** Whether the binlog is still compared against a snapshot's checkpoint here. */
  public boolean inOverlap() {
    return overlap != null;
  }

  @Override
  public String toString() {
    return overlap == null ? "binlog(" + nextLogIndex + ")"
        : "binlog(" + nextLogIndex + ", overlap with " + overlap.manifestName() + "@" + overlap.manifestOffset()
            + ", " + overlap.misses() + " misses)";
  }
}
