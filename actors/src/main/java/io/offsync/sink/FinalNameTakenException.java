package io.offsync.sink;

import java.io.IOException;

/**
 * The final name of a file being committed is taken by a different file: another attempt's commit of the same
 * sequence that the journal does not know (its last events were lost), or a file offsync did not write. The commit
 * neither renames over it nor confirms it; the caller may adopt {@link #found()} when its record proves it is the
 * partition's next file.
 */
public final class FinalNameTakenException extends IOException {

  private final transient CommittedFile found;

  public FinalNameTakenException(RolledFile file, CommittedFile found, boolean tmpStillThere) {
    super("part file " + found.path() + " already exists but is not the file journaled for this commit ("
        + file.tmp().getName() + ", " + file.rows() + " rows, " + file.bytes() + " bytes, up to " + file.next() + "): "
        + describe(found) + (tmpStillThere ? "; the journaled tmp file is still there" : "")
        + "; offsync neither renames over it nor confirms it");
    this.found = found;
  }

  /** The file under the final name. */
  public CommittedFile found() {
    return found;
  }

  static String describe(CommittedFile f) {
    CommitRecord r = f.record();
    if (r == null) {
      return "it carries no offsync commit record and has " + f.length() + " bytes";
    }
    return "it was written by attempt " + r.attempt() + " of " + (r.owner().isEmpty() ? "an unknown subtask"
        : "subtask " + r.owner()) + " (" + r.rows() + " rows, " + r.from() + " up to " + r.next() + ")";
  }
}
