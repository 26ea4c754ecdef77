package io.offsync.sink;

import io.offsync.protocol.position.Position;
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
 */
public record RolledFile(long seq, Path tmp, Path finalPath, Position next, long rows, long bytes,
    CommitRecord record) {

  /** A file whose record knows neither its owner nor its first position (tid and pid from the final name). */
  public RolledFile(long seq, Path tmp, Path finalPath, Position next, long rows, long bytes) {
    this(seq, tmp, finalPath, next, rows, bytes, new CommitRecord("", -1, -1, seq,
        CommitRecord.attemptOf(tmp.getName()), null, next, rows));
  }

  /** The attempt mark of the tmp file: the commit confirms a final file only if it carries the same one. */
  public String attempt() {
    return record.attempt();
  }
}
