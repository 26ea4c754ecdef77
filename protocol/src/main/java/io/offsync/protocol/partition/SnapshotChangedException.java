package io.offsync.protocol.partition;

import java.io.IOException;

/**
 * A read was asked to resume inside a snapshot that is no longer the one present (the tablet took a newer snapshot,
 * or the snapshot is gone). Keys of one checkpoint mean nothing in another, so the read cannot resume there; the
 * caller must keep the old checkpoint (hard links) or restart the partition from the beginning.
 */
public final class SnapshotChangedException extends IOException {

  private final String expected;
  private final String present;

  public SnapshotChangedException(String expected, long expectedOffset, String present, Long presentOffset,
                                  String snapshotDir) {
    super("cannot resume in snapshot " + expected + " (offset " + expectedOffset + "): " + snapshotDir + " now holds "
        + (present == null ? "no snapshot" : "snapshot " + present + " (offset " + presentOffset + ")")
        + "; keep the old checkpoint hard-linked to resume, or restart this partition's sync from the start");
    this.expected = expected;
    this.present = present;
  }

  /** The snapshot (MANIFEST name) the position belongs to. */
  public String expected() {
    return expected;
  }

  /** The snapshot present now, or null if there is none. */
  public String present() {
    return present;
  }
}
