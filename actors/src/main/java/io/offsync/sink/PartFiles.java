package io.offsync.sink;

import java.io.IOException;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** The file-level ends shared by every part writer: making a part file durable, or discarding it. */
public final class PartFiles {

  private PartFiles() {}

  /**
   * Creates {@code path} (replacing a file of that name if {@code overwrite}) for a writer library that closes
   * the stream itself: closing it {@linkplain #seal seals} the file, so the file is durable once the library's
   * close returns.
   */
  public static FSDataOutputStream createSealedOnClose(FileSystem fs, Path path, boolean overwrite)
      throws IOException {
    return new SealedOnClose(fs.create(path, overwrite));
  }

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
      (out instanceof SealedOnClose sealed ? sealed.file : out).close();
    } catch (IOException | RuntimeException ignored) {
      // the file is deleted next; a failed close changes nothing
    }
    try {
      fs.delete(path, false);
    } catch (IOException | RuntimeException ignored) {
      // a tmp file left behind is unjournaled and removed by the next recovery's stray tmp cleanup
    }
  }

  private static final class SealedOnClose extends FSDataOutputStream {
    private final FSDataOutputStream file;
    private boolean closed;

    SealedOnClose(FSDataOutputStream file) {
      super(file, null);
      this.file = file;
    }

    @Override
    public void close() throws IOException {
      if (!closed) {
        closed = true;
        seal(file);
      }
    }
  }
}
