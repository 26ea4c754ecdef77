package io.offsync.sink;

import io.offsync.protocol.codec.Column;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A CSV part file in the original SyncTool's line format ({@link CsvLines}). Its {@link CommitRecord} goes into a
 * sidecar the commit writes ({@link CommittedFile}), so the lines stay the original's.
 */
final class CsvPartWriter implements PartWriter {

  private static final int FLUSH_AT = 64 * 1024;

  private final FileSystem fs;
  private final Path path;
  private final List<Column> columns;
  private final FSDataOutputStream out;
  private final StringBuilder buf = new StringBuilder(FLUSH_AT + 1024);
  private long rows;
  private long bytes;

  CsvPartWriter(FileSystem fs, Path path, List<Column> columns) throws IOException {
    this.fs = fs;
    this.path = path;
    this.columns = columns;
    this.out = fs.create(path, true);
  }

  @Override
  public void write(Object[] values) throws IOException {
    int before = buf.length();
    CsvLines.appendLine(buf, columns, values);
    bytes += buf.length() - before; // the text is pure ASCII: one byte per char
    rows++;
    if (buf.length() >= FLUSH_AT) {
      drain();
    }
  }

  private void drain() throws IOException {
    out.write(buf.toString().getBytes(StandardCharsets.US_ASCII));
    buf.setLength(0);
  }

  @Override
  public long rows() {
    return rows;
  }

  @Override
  public long bytes() {
    return bytes;
  }

  @Override
  public long close(CommitRecord record) throws IOException {
    drain();
    PartFiles.seal(out);
    return bytes;
  }

  @Override
  public void abort() {
    PartFiles.discard(out, fs, path);
  }
}
