package io.offsync.sink;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.TableSchema;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.util.HadoopStreams;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * A Parquet part file (snappy) with one optional column per table column: bool → BOOLEAN, smallint →
 * INT32 (INT_16), int → INT32, bigint → INT64, float → FLOAT, double → DOUBLE, date → INT32 (DATE), timestamp →
 * INT64 (TIMESTAMP millis, adjusted to UTC), string/varchar → BINARY (STRING).
 *
 * <p>The rows of a row group are buffered column by column ({@link ParquetRowGroup}: primitives in primitive
 * arrays, string bytes in an arena, no object per value) up to {@link #ROW_GROUP_BYTES} of PLAIN-encoded values,
 * then each column chunk is encoded by this package ({@link ParquetColumn}: data pages v1 of at most 20,000 rows
 * and about 1 MiB, snappy, page and chunk statistics as parquet-mr computes them), and parquet-mr's low-level
 * {@link ParquetFileWriter} writes the pages (page headers with CRCs), the column and offset indexes and the
 * footer. String columns are dictionary-encoded per chunk while the dictionary stays within 1 MiB and makes the
 * chunk smaller; numeric columns (ids, timestamps, amounts) rarely repeat and are always PLAIN. The stream under
 * the file {@linkplain PartFiles#createSealedOnClose seals} it (flush, hsync) when it closes. The file's
 * {@link CommitRecord} goes into the footer's key-value metadata. Memory per open file is bounded by the row
 * group size. Any error leaves the file to {@link #abort()}.
 */
final class ParquetPartWriter implements PartWriter {

  /** Rows are buffered in memory up to this PLAIN-encoded size before a row group is written out. */
  static final long ROW_GROUP_BYTES = 16L << 20;

  private final FileSystem fs;
  private final Path path;
  private final FSDataOutputStream out;
  private final ParquetFileWriter file;
  private final ParquetPages pages;
  private final ParquetRowGroup group;
  /** The file's length up to the end of the last row group written. */
  private long written;
  private long rows;

  ParquetPartWriter(FileSystem fs, Path path, List<Column> columns) throws IOException {
    this.fs = fs;
    this.path = path;
    this.out = PartFiles.createSealedOnClose(fs, path, true);
    try {
      MessageType schema = schema(columns);
      this.file = new ParquetFileWriter(new StreamOutputFile(out, path), schema, ParquetFileWriter.Mode.OVERWRITE,
          ROW_GROUP_BYTES, 0, null, ParquetProperties.builder().build());
      file.start();
      this.written = file.getPos();
      this.pages = new ParquetPages(file);
      this.group = new ParquetRowGroup(schema, columns);
    } catch (IOException | RuntimeException e) {
      abort();
      throw e;
    }
  }

  /** The Parquet schema of a table's columns. */
  static MessageType schema(List<Column> columns) {
    Types.MessageTypeBuilder b = Types.buildMessage();
    for (Column c : columns) {
      Type t = switch (c.type()) {
        case BOOL -> Types.optional(PrimitiveTypeName.BOOLEAN).named(c.name());
        case SMALLINT -> Types.optional(PrimitiveTypeName.INT32).as(LogicalTypeAnnotation.intType(16, true))
            .named(c.name());
        case INT -> Types.optional(PrimitiveTypeName.INT32).named(c.name());
        case BIGINT -> Types.optional(PrimitiveTypeName.INT64).named(c.name());
        case FLOAT -> Types.optional(PrimitiveTypeName.FLOAT).named(c.name());
        case DOUBLE -> Types.optional(PrimitiveTypeName.DOUBLE).named(c.name());
        case DATE -> Types.optional(PrimitiveTypeName.INT32).as(LogicalTypeAnnotation.dateType()).named(c.name());
        case TIMESTAMP -> Types.optional(PrimitiveTypeName.INT64)
            .as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MILLIS)).named(c.name());
        case VARCHAR, STRING -> Types.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType())
            .named(c.name());
      };
      b.addField(t);
    }
    return b.named("openmldb_row");
  }

  @Override
  public void write(Object[] values) throws IOException {
    group.add(values);
    added();
  }

  /**
   * Writes the row straight from its encoded bytes: no boxed values, no {@code String}; string bytes go into the
   * file as stored (copied into the row group, so the buffer may be reused after the call).
   */
  @Override
  public void writeEncoded(TableSchema schema, byte[] buf, int off) throws IOException {
    group.addEncoded(schema, buf, off);
    added();
  }

  private void added() throws IOException {
    rows++;
    if (group.bytes() >= ROW_GROUP_BYTES) {
      flush();
    }
  }

  private void flush() throws IOException {
    group.write(pages);
    written = file.getPos();
  }

  @Override
  public long rows() {
    return rows;
  }

  @Override
  public long bytes() {
    return written + group.bytes();
  }

  @Override
  public long close(CommitRecord record) throws IOException {
    if (group.rows() > 0) {
      flush();
    }
    Map<String, String> metadata = new HashMap<>();
    metadata.put(ParquetWriter.OBJECT_MODEL_NAME_PROP, "offsync");
    metadata.putAll(record.toMetadata());
    file.end(metadata); // writes the footer and closes the stream
    out.close(); // seals it, if Parquet did not close it
    return out.getPos();
  }

  @Override
  public void abort() {
    PartFiles.discard(out, fs, path);
  }

  /** Hands Parquet the already open stream. */
  private record StreamOutputFile(FSDataOutputStream out, Path path) implements OutputFile {
    @Override
    public PositionOutputStream create(long blockSizeHint) {
      return HadoopStreams.wrap(out);
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) {
      return create(blockSizeHint);
    }

    @Override
    public boolean supportsBlockSize() {
      return false;
    }

    @Override
    public long defaultBlockSize() {
      return 0;
    }

    @Override
    public String getPath() {
      return path.toString();
    }
  }
}
