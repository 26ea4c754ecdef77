package io.offsync.sink;

import io.offsync.protocol.codec.Column;
import java.io.IOException;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Where the commit sink writes each part file, where the commit puts it, and which writer writes it. The files
 * layout ({@link #files}) writes {@code <dest>/_tmp/…inprogress} and renames to {@code <dest>/part-…}; a table
 * layout (Iceberg) writes the data file where it stays and commits it into the table's metadata.
 */
public interface PartLayout {

  /** Where attempt {@code attempt} writes file {@code seq}. */
  Path tmpPath(long seq, String attempt);

  /** Where file {@code seq} is once committed. */
  Path finalPath(long seq, String attempt);

  /** The marker of group {@code seq} of time-partitioned files ({@link PartitionedFiles}). */
  default Path groupPath(long seq) {
    throw new UnsupportedOperationException("this layout writes no time-partitioned file groups");
  }

  /** A writer of {@code path} with the table's latest columns. */
  PartWriter open(Path path, List<Column> columns) throws IOException;

  /** Part files of partition (tid, pid) in {@code dest}, as the commit protocol renames them. */
  static PartLayout files(FileSystem fs, Path dest, int tid, int pid, OutputFormat format) {
    if (format == OutputFormat.ICEBERG) {
      throw new IllegalArgumentException("format iceberg writes through a table layout, not into files of " + dest);
    }
    return new PartLayout() {
      @Override
      public Path tmpPath(long seq, String attempt) {
        return FileNames.tmpPath(dest, tid, pid, seq, format, attempt);
      }

      @Override
      public Path finalPath(long seq, String attempt) {
        return FileNames.finalPath(dest, tid, pid, seq, format);
      }

      @Override
      public Path groupPath(long seq) {
        return FileNames.groupPath(dest, tid, pid, seq, format);
      }

      @Override
      public PartWriter open(Path path, List<Column> columns) throws IOException {
        return PartWriter.open(fs, path, columns, format);
      }
    };
  }
}
