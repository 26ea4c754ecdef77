package io.offsync.sink;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import java.io.IOException;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes rows into one part file through the Hadoop {@link FileSystem}. Rows come as values in the order of the
 * file's columns (the table's latest schema), null for NULL. {@link #close(CommitRecord)} makes the file durable:
 * flush, hsync, close; only then may it be committed. {@link #abort()} closes and deletes it.
 */
public interface PartWriter {

  /**
   * Creates (or overwrites) {@code path} and returns a writer for it. On the local file system the file is
   * written through the raw local file system: its streams really fsync on hsync (the checksummed wrapper only
   * flushes) and no {@code .crc} side files clutter the destination.
   */
  static PartWriter open(FileSystem fs, Path path, List<Column> columns, OutputFormat format) throws IOException {
    FileSystem target = fs instanceof LocalFileSystem local ? local.getRaw() : fs;
    return switch (format) {
      case CSV -> new CsvPartWriter(target, path, columns);
      case PARQUET -> new ParquetPartWriter(target, path, columns);
      case ICEBERG -> throw new IllegalArgumentException("Iceberg data files are written by IcebergPartWriter");
    };
  }

  void write(Object[] values) throws IOException;

  /**
   * Writes the encoded row at {@code off} in {@code buf}, whose schema version's columns are the first columns of
   * this file (later ones are NULL). The default decodes it; a writer that can take values without boxing them
   * overrides it. Malformed rows throw the codec's {@link io.offsync.protocol.codec.RowFormatException}.
   */
  default void writeEncoded(TableSchema schema, byte[] buf, int off) throws IOException {
    write(RowCodec.decode(schema, buf, off));
  }

  /** Rows written so far. */
  long rows();

  /** The file's size so far: bytes written, plus for Parquet the encoded size of the open row group. */
  long bytes();

  /**
   * Flushes, hsyncs and closes the file; returns its final length in bytes. A format that can carry metadata
   * (Parquet) writes {@code record} into the file; for the others the commit writes it beside the file.
   */
  long close(CommitRecord record) throws IOException;

  /** Closes the file without any guarantee and deletes it; never throws. */
  void abort();
}
