package io.offsync.sink;

import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.Path;

/**
 * Part file names. Final files are {@code <dest>/part-<tid>-<pid>-<seq %010d>.<parquet|csv>}; a file being
 * written is {@code <dest>/_tmp/<final name>[.<attempt>].inprogress}. Final names are a pure function of (tid,
 * pid, seq, format), so a replayed commit always targets the same path and two partitions never collide; the
 * attempt in a tmp name keeps the files of two attempts at the same sequence apart.
 */
public final class FileNames {

  /** The directory under dest that holds files still being written. */
  public static final String TMP_DIR = "_tmp";
  /** The suffix of files still being written. */
  public static final String TMP_SUFFIX = ".inprogress";
  /** The directory under dest that holds the markers of time-partitioned file groups ({@link PartitionedFiles}). */
  public static final String GROUPS_DIR = "_groups";
  /** The suffix of a group's marker: {@code <dest>/_groups/<final name>.group}. */
  public static final String GROUP_SUFFIX = ".group";

  private static final Pattern PART = Pattern.compile("part-(\\d+)-(\\d+)-(\\d{10,})\\.(parquet|csv)");
  private static final Pattern ATTEMPT = Pattern.compile("[0-9a-z]+");
  private static final Pattern TMP_OF_ATTEMPT = Pattern.compile("(.+\\.(?:parquet|csv))\\.[0-9a-z]+");

  private FileNames() {}

  /** {@code part-<tid>-<pid>-<seq %010d>.<ext>}. */
  public static String name(int tid, int pid, long seq, OutputFormat format) {
    if (seq < 0) {
      throw new IllegalArgumentException("file sequence must not be negative, got " + seq);
    }
    return String.format("part-%d-%d-%010d.%s", tid, pid, seq, format.extension());
  }

  public static Path finalPath(Path dest, int tid, int pid, long seq, OutputFormat format) {
    return new Path(dest, name(tid, pid, seq, format));
  }

  /** The marker of group {@code seq} of a time-partitioned partition: {@code <dest>/_groups/<final name>.group}. */
  public static Path groupPath(Path dest, int tid, int pid, long seq, OutputFormat format) {
    return new Path(new Path(dest, GROUPS_DIR), name(tid, pid, seq, format) + GROUP_SUFFIX);
  }

  public static Path tmpDir(Path dest) {
    return new Path(dest, TMP_DIR);
  }

  public static Path tmpPath(Path dest, int tid, int pid, long seq, OutputFormat format) {
    return new Path(tmpDir(dest), name(tid, pid, seq, format) + TMP_SUFFIX);
  }

  /**
   * The tmp path of one write attempt: {@code <dest>/_tmp/<final name>.<attempt>.inprogress}. A stream that gave
   * up on a hung call may still finish that call later; with its own name it can only ever touch its own file,
   * never the one a newer attempt writes for the same sequence (the journal records which tmp file is renamed).
   *
   * @param attempt letters and digits, unique per attempt
   */
  public static Path tmpPath(Path dest, int tid, int pid, long seq, OutputFormat format, String attempt) {
    if (!ATTEMPT.matcher(attempt).matches()) {
      throw new IllegalArgumentException("attempt must be lower-case letters and digits, got '" + attempt + "'");
    }
    return new Path(tmpDir(dest), name(tid, pid, seq, format) + "." + attempt + TMP_SUFFIX);
  }

  /**
   * The sequence number of a final, tmp or group marker file name of partition (tid, pid), in any format; empty
   * for files of other partitions and for other names.
   */
  public static OptionalLong seqOf(String fileName, int tid, int pid) {
    Matcher m = PART.matcher(partName(fileName));
    if (m.matches() && m.group(1).equals(Integer.toString(tid)) && m.group(2).equals(Integer.toString(pid))) {
      return OptionalLong.of(Long.parseLong(m.group(3)));
    }
    return OptionalLong.empty();
  }

  /**
   * The final name a final, tmp, group member tmp or group marker name stands for ({@code part-…} without
   * directory, attempt or suffix); other names as they are.
   */
  public static String partName(String fileName) {
    String name = fileName.endsWith(GROUP_SUFFIX)
        ? fileName.substring(0, fileName.length() - GROUP_SUFFIX.length()) : fileName;
    if (fileName.endsWith(TMP_SUFFIX)) {
      name = fileName.substring(0, fileName.length() - TMP_SUFFIX.length());
      Matcher attempt = TMP_OF_ATTEMPT.matcher(name);
      if (attempt.matches()) {
        name = attempt.group(1);
      }
      int part = name.lastIndexOf("part-");
      name = part > 0 && name.charAt(part - 1) == '.' ? name.substring(part) : name; // a group member's tmp file
    }
    return name;
  }

  /** Whether {@code tmpName} is the tmp file of a member of a time-partitioned group ({@link PartitionedFiles}). */
  public static boolean isMemberTmp(String tmpName) {
    return tmpName.endsWith(TMP_SUFFIX) && !tmpName.startsWith("part-");
  }
}
