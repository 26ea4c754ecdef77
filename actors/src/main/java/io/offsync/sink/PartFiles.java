package io.offsync.sink;

import java.io.IOException;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** The file-level ends shared by every {@link PartWriter}: making a part file durable, or discarding it. */
final class PartFiles {

  private PartFiles() {}

  /** Flushes, hsyncs and closes {@code out}; returns the file's length. */
  static long seal(FSDataOutputStream out) throws IOException {
    out.hflush();
    out.hsync();
    long length = out.getPos();
    out.close();
    return length;
  }

  /** Closes {@code out} without any guarantee and deletes {@code path}; never throws. */
  static void discard(FSDataOutputStream out, FileSystem fs, Path path) {
    try {
      out.close();
    } catch (IOException | RuntimeException ignored) {
      // the file is deleted next; a failed close changes nothing
    }
    try {
      fs.delete(path, false);
    } catch (IOException | RuntimeException ignored) {
      // a tmp file left behind is unjournaled and removed by the next recovery's stray tmp cleanup
    }
  }
}
