package io.offsync.sink;

import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.Path;

/**
 * Time-partitioned part files ({@link PartitionBy}) and their group commit.
 *
 * <p>Layout: file {@code seq} of partition (tid, pid) is one <em>group</em>: a file
 * {@code <dest>/<field>=<value>/part-<tid>-<pid>-<seq>.<ext>} per partition value its rows hold, all written by one
 * attempt, all covering the same source range (rows of different partition values interleave in the source, so
 * no file alone ends at a position). Being written they are {@code <dest>/_tmp/<field>=<value>.<final name>.<attempt>
 * .inprogress}. The group's marker {@code <dest>/_groups/<final name>.group} holds its {@link CommitRecord}
 * (owner, seq, attempt, from, next, rows) with every member's directory, rows and bytes.
 *
 * <p>Group commit: the sink closes (flush, hsync) every member, the subtask journals one FileCommitting naming the
 * group, then {@link CommitOps#commit} writes the marker (hsynced) before the first rename and renames the members
 * one by one, each idempotently; then one FileCommitted. The marker makes a group's commit atomic for recovery:
 * <ul>
 *   <li>no marker: no member was renamed; every member is still a tmp file, stray unless journaled;</li>
 *   <li>a marker: the commit has begun and is always rolled forward, never back: every member not yet under its
 *       final name is still in {@code _tmp} (tmp files are deleted only when no marker or journal names them), so
 *       the renames are finished, from the journaled FileCommitting or, when the journal lost its tail, from the
 *       marker alone, which names every member, its rows (each CSV member's sidecar record is rebuilt from them)
 *       and the position after the group (the group is then adopted).</li>
 * </ul>
 * Each member also carries the record in its footer (CSV: sidecar) with the group's directories and rows, so the
 * files alone prove a group complete ({@link io.offsync.sync.TaskVerifier}). Recovery probes one marker per
 * sequence from the journaled next one, as it probes one final name unpartitioned.
 */
public final class PartitionedFiles {

  private PartitionedFiles() {}

  /** Where member {@code partition} of the group whose tmp name is {@code groupTmp} is written. */
  public static Path memberTmp(Path groupTmp, String partition) {
    return new Path(groupTmp.getParent(), partition + "." + groupTmp.getName());
  }

  /** Where member {@code partition} of the group with marker {@code marker} is committed. */
  public static Path memberFinal(Path marker, String partition) {
    String name = marker.getName();
    return new Path(new Path(marker.getParent().getParent(), partition),
        name.substring(0, name.length() - FileNames.GROUP_SUFFIX.length()));
  }

  /** The tmp name of the group with marker {@code marker} written by {@code attempt} into {@code tmpDir}. */
  public static Path groupTmp(Path tmpDir, Path marker, String attempt) {
    String name = marker.getName();
    return new Path(tmpDir, name.substring(0, name.length() - FileNames.GROUP_SUFFIX.length()) + "." + attempt
        + FileNames.TMP_SUFFIX);
  }

  /**
   * The group of marker record {@code record} (members from its {@link CommitRecord#group()}) as the commit
   * renames it.
   *
   * @param tmp the group's tmp name (attempt included), naming no file
   * @param marker the group's marker
   */
  public static RolledFile group(Path tmp, Path marker, CommitRecord record) {
    List<CommitRecord.GroupPart> inFiles = inFiles(record.group());
    List<RolledFile> members = new ArrayList<>();
    long bytes = 0;
    for (CommitRecord.GroupPart p : record.group()) {
      members.add(new RolledFile(record.seq(), memberTmp(tmp, p.partition()), memberFinal(marker, p.partition()),
          record.next(), p.rows(), p.bytes(), record.withRows(p.rows(), inFiles)));
      bytes += p.bytes();
    }
    return new RolledFile(record.seq(), tmp, marker, record.next(), record.rows(), bytes, record, members);
  }

  /** The group as each member's own record lists it: directories and rows, no bytes (unknown to a footer). */
  public static List<CommitRecord.GroupPart> inFiles(List<CommitRecord.GroupPart> parts) {
    return parts.stream().map(p -> new CommitRecord.GroupPart(p.partition(), p.rows(), -1)).toList();
  }
}
