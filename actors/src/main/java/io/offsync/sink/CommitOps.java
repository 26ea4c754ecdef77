package io.offsync.sink;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.apache.hadoop.security.AccessControlException;

/**
 * The file-system steps of the exactly-once commit protocol, each safe to repeat after a crash at any point.
 *
 * <p>{@link #commit} moves a durable tmp file to its final name. It decides from what it finds under the final
 * name, never from the tmp file alone: no final file and the tmp file there = rename it (a CSV file's sidecar
 * record is written first); a final file carrying this attempt's record (its mark, the same as in the tmp name)
 * = an earlier attempt of this very commit renamed it; a final file of another attempt, or without a record and
 * of another length = {@link FinalNameTakenException}, naming both files: the destination holds a commit the
 * journal does not know (a journal that lost its last events), and the caller decides whether to adopt it. It is
 * never confirmed over and nothing is deleted. Neither file = the file is lost, reported as an error naming both
 * paths (it never happens while the journal and the file system agree).
 */
public final class CommitOps {

  /** What {@link #commit} found and did. */
  public enum Outcome {
    /** The tmp file was renamed to its final name now. */
    RENAMED,
    /** The final file is this attempt's: an earlier try of the same commit finished the rename. */
    ALREADY_COMMITTED
  }

  private CommitOps() {}

  /**
   * Renames {@code file.tmp()} to {@code file.finalPath()}, idempotently (see the class description); a group
   * ({@link RolledFile#isGroup()}) by {@link #commitGroup}.
   */
  public static Outcome commit(FileSystem fs, RolledFile file) throws IOException {
    return commit(fs, file, member -> {});
  }

  /** {@link #commit(FileSystem, RolledFile)}, calling {@code afterMember} after each member of a group is renamed. */
  public static Outcome commit(FileSystem fs, RolledFile file, Consumer<RolledFile> afterMember) throws IOException {
    if (file.isGroup()) {
      return commitGroup(fs, file, afterMember);
    }
    Path tmp = file.tmp();
    Path fin = file.finalPath();
    Optional<CommittedFile> there = CommittedFile.read(fs, fin);
    boolean tmpExists = fs.exists(tmp);
    if (there.isPresent()) {
      if (isOf(there.get(), file)) {
        return Outcome.ALREADY_COMMITTED;
      }
      throw new FinalNameTakenException(file, there.get(), tmpExists);
    }
    if (!tmpExists) {
      throw new IOException("file " + file.seq() + " is lost: neither its tmp file " + tmp + " nor its final file "
          + fin + " exists; something outside offsync removed it, so the rows it held must be synced again");
    }
    if (CommittedFile.isCsv(fin)) {
      CommittedFile.writeSidecar(fs, fin, file.record());
    }
    if (fs.rename(tmp, fin)) {
      return Outcome.RENAMED;
    }
    Optional<CommittedFile> after = CommittedFile.read(fs, fin);
    if (after.isPresent() && !fs.exists(tmp)) {
      if (isOf(after.get(), file)) {
        return Outcome.ALREADY_COMMITTED;
      }
      throw new FinalNameTakenException(file, after.get(), false);
    }
    throw new IOException("renaming " + tmp + " to " + fin + " failed (is " + fin.getParent() + " still a writable"
        + " directory?)");
  }

  /**
   * Commits a group of time-partitioned files ({@link PartitionedFiles}): writes its marker unless this attempt's is
   * there, then commits every member as a single file. A marker of another attempt is a
   * {@link FinalNameTakenException} (the journal lost a group commit): when it is the same subtask's, its group is
   * rolled forward first, so that the marker found can be adopted as a complete group.
   */
  static Outcome commitGroup(FileSystem fs, RolledFile group, Consumer<RolledFile> afterMember)
      throws IOException {
    Optional<CommittedFile> there = CommittedFile.read(fs, group.finalPath());
    if (there.isPresent() && !isOf(there.get(), group)) {
      CommitRecord found = there.get().record();
      if (found != null && found.owner().equals(group.record().owner()) && found.seq() == group.seq()
          && !found.group().isEmpty()) {
        commitGroup(fs, PartitionedFiles.group(PartitionedFiles.groupTmp(group.tmp().getParent(),
            group.finalPath(), found.attempt()), group.finalPath(), found), afterMember);
      }
      throw new FinalNameTakenException(group, there.get(), false);
    }
    if (there.isEmpty()) {
      fs.mkdirs(group.finalPath().getParent());
      CommittedFile.writeGroup(fs, group.finalPath(), group.record());
    }
    Outcome outcome = Outcome.ALREADY_COMMITTED;
    for (RolledFile member : group.members()) {
      if (!fs.exists(member.finalPath().getParent())) {
        fs.mkdirs(member.finalPath().getParent());
      }
      if (commit(fs, member) == Outcome.RENAMED) {
        outcome = Outcome.RENAMED;
        afterMember.accept(member);
      }
    }
    return outcome;
  }

  /**
   * Whether final file {@code f} is {@code file} renamed: it carries the same attempt mark, or, for a file without
   * a record (written before offsync recorded them), has the same length.
   */
  static boolean isOf(CommittedFile f, RolledFile file) {
    CommitRecord r = f.record();
    return r == null ? f.length() == file.bytes() : r.seq() == file.seq() && r.attempt().equals(file.attempt());
  }

  /**
   * Deletes the tmp files of partition (tid, pid) under {@code <dest>/_tmp} whose sequence is not in
   * {@code keepSeqs}: files of work that was never journaled. Files of other partitions are left alone.
   *
   * @param keepSeqs sequences of journaled FileCommitting files still to be committed; empty to delete every one
   * @return the deleted paths
   */
  public static List<Path> deleteStrayTmp(FileSystem fs, Path dest, int tid, int pid, Set<Long> keepSeqs)
      throws IOException {
    FileStatus[] entries;
    try {
      entries = fs.listStatus(FileNames.tmpDir(dest));
    } catch (FileNotFoundException e) {
      return List.of();
    }
    List<Path> deleted = new ArrayList<>();
    for (FileStatus st : entries) {
      String name = st.getPath().getName();
      if (!st.isFile() || !name.endsWith(FileNames.TMP_SUFFIX)) {
        continue;
      }
      OptionalLong seq = FileNames.seqOf(name, tid, pid);
      if (Thread.currentThread().isInterrupted()) {
        // given up by its caller (IoTimeout): a late delete could hit the file of a newer attempt
        throw new InterruptedIOException("deleting the stray tmp files of partition " + pid + " in " + dest
            + " was interrupted");
      }
      if (seq.isPresent() && !keepSeqs.contains(seq.getAsLong()) && !inBegunGroup(fs, dest, name)) {
        if (fs.delete(st.getPath(), false)) {
          deleted.add(st.getPath());
        }
      }
    }
    return deleted;
  }

  /**
   * Whether tmp file {@code name} is a member of a group whose commit has begun (its marker names the tmp file's
   * attempt): it must be renamed, never deleted ({@link PartitionedFiles}).
   */
  private static boolean inBegunGroup(FileSystem fs, Path dest, String name) throws IOException {
    if (!FileNames.isMemberTmp(name)) {
      return false;
    }
    Path marker = new Path(new Path(dest, FileNames.GROUPS_DIR), FileNames.partName(name) + FileNames.GROUP_SUFFIX);
    Optional<CommittedFile> m = CommittedFile.read(fs, marker);
    return m.isPresent() && m.get().record() != null && m.get().record().attempt().equals(CommitRecord.attemptOf(name));
  }

  /**
   * The file system of a destination URI such as {@code hdfs://nn:8020/warehouse/t1} or {@code file:///data/t1},
   * with a clear error for an unknown scheme.
   */
  public static FileSystem fileSystem(String dest, Configuration conf) throws DestinationException {
    URI uri;
    try {
      uri = new Path(dest).toUri();
    } catch (IllegalArgumentException e) {
      throw new DestinationException("destination '" + dest + "' is not a valid path or URI: " + e.getMessage(), e);
    }
    try {
      return FileSystem.get(uri, conf);
    } catch (UnsupportedFileSystemException e) {
      throw new DestinationException("destination '" + dest + "': no file system for scheme '" + uri.getScheme()
          + "'; use hdfs://namenode:port/path, file:///path or another scheme configured in the Hadoop"
          + " configuration (hadoop.conf.dir)", e);
    } catch (IOException e) {
      throw new DestinationException("destination '" + dest + "' cannot be opened: " + e.getMessage(), e);
    }
  }

  /**
   * Proves that part files can be written under {@code dest}: creates dest and its {@code _tmp} directory if
   * needed, then writes, renames and deletes a probe file. Throws a {@link DestinationException} naming the path
   * and the fix for a missing permission, a path that is a file, or any other failure.
   */
  public static void checkWritable(FileSystem fs, Path dest) throws DestinationException {
    Path qualified = fs.makeQualified(dest);
    try {
      FileStatus st = statusOrNull(fs, qualified);
      if (st != null && !st.isDirectory()) {
        throw new DestinationException("destination " + qualified + " is a file, not a directory; choose a"
            + " directory path (it is created if missing)");
      }
      Path tmpDir = FileNames.tmpDir(qualified);
      FileStatus tmpSt = statusOrNull(fs, tmpDir);
      if (tmpSt != null && !tmpSt.isDirectory()) {
        throw new DestinationException("destination " + qualified + " has a file named " + FileNames.TMP_DIR
            + " where offsync keeps files being written; remove or rename it");
      }
      if (!fs.mkdirs(tmpDir)) {
        throw new DestinationException("cannot create directory " + tmpDir + "; check that " + qualified
            + " is a writable directory");
      }
      Path probe = new Path(tmpDir, ".probe-" + UUID.randomUUID());
      Path probeMoved = new Path(qualified, "._probe-" + UUID.randomUUID());
      try (FSDataOutputStream out = fs.create(probe, false)) {
        out.write('x');
      }
      boolean moved = fs.rename(probe, probeMoved);
      fs.delete(moved ? probeMoved : probe, false);
      if (!moved) {
        throw new DestinationException("cannot rename files from " + tmpDir + " into " + qualified
            + "; offsync commits part files by rename, so both must be on one writable file system");
      }
    } catch (DestinationException e) {
      throw e;
    } catch (IOException e) {
      Optional<String> kerberos = DestinationUser.kerberosHint(e);
      if (kerberos.isPresent()) {
        throw new DestinationException("destination " + qualified + " is not writable: " + kerberos.get(), e);
      }
      throw writeFailure(qualified, e);
    }
  }

  private static DestinationException writeFailure(Path qualified, IOException e) {
    if (e instanceof AccessControlException) {
      return new DestinationException("no permission to write to destination " + qualified + ": "
          + firstLine(e.getMessage()) + "; grant the synctool user write access to it (and its _tmp directory)"
          + " or choose another destination", e);
    }
    return new DestinationException("destination " + qualified + " is not writable: " + firstLine(e.getMessage()),
        e);
  }

  private static FileStatus statusOrNull(FileSystem fs, Path p) throws IOException {
    try {
      return fs.getFileStatus(p);
    } catch (FileNotFoundException e) {
      return null;
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
