package io.offsync.sink;

import io.offsync.protocol.position.Position;
import java.util.List;
import org.apache.hadoop.fs.Path;

/**
 * A part file the commit sink has finished: flushed, hsynced and closed at {@link #tmp}, ready for the commit
 * protocol (journal FileCommitting, {@link CommitOps#commit}, journal FileCommitted).
 *
 * @param seq the file's sequence number within its partition
 * @param tmp where the durable file is now
 * @param finalPath where the commit renames it to
 * @param next the source position after the file's last row; reading resumes here once the file is committed
 * @param rows the number of rows in the file
 * @param bytes the file's length in bytes
 * @param record what the committed file says about itself (Parquet: already in its footer; CSV: written as its
 *     sidecar by the commit)
 * @param members the files of a time-partitioned group, each with its own paths, rows, bytes and record; then
 *     {@code finalPath} is the group's marker and {@code tmp} names no file (see {@link PartitionedFiles}); empty
 *     for a single file
 */
public record RolledFile(long seq, Path tmp, Path finalPath, Position next, long rows, long bytes,
    CommitRecord record, List<RolledFile> members) {

  public RolledFile {
    members = members == null ? List.of() : List.copyOf(members);
  }

  /** A single file (unpartitioned output). */
  public RolledFile(long seq, Path tmp, Path finalPath, Position next, long rows, long bytes, CommitRecord record) {
    this(seq, tmp, finalPath, next, rows, bytes, record, List.of());
  }

  /** A file whose record knows neither its owner nor its first position (tid and pid from the final name). */
  public RolledFile(long seq, Path tmp, Path finalPath, Position next, long rows, long bytes) {
    this(seq, tmp, finalPath, next, rows, bytes, new CommitRecord("", -1, -1, seq,
        CommitRecord.attemptOf(tmp.getName()), null, next, rows));
  }

  /** Whether this is a group of time-partitioned files committed together. */
  public boolean isGroup() {
    return !members.isEmpty();
  }

  /** The attempt mark of the tmp file: the commit confirms a final file only if it carries the same one. */
  public String attempt() {
    return record.attempt();
  }
}
