package io.offsync.iceberg;

import io.offsync.protocol.codec.Column;
import io.offsync.sink.CommitRecord;
import io.offsync.sink.PartFiles;
import io.offsync.sink.PartWriter;
import java.io.IOException;
import java.util.List;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.MetricsConfig;
import org.apache.iceberg.Schema;
import org.apache.iceberg.StructLike;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.hadoop.HadoopInputFile;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.io.PositionOutputStream;
import org.apache.iceberg.parquet.Parquet;

/**
 * One Iceberg data file (Parquet, written by Iceberg's own Parquet writer with the table's schema, field ids,
 * properties and metrics). Rows come in the order of the OpenMLDB table's latest columns and are placed into the
 * Iceberg fields of the same names; fields the OpenMLDB table lacks stay NULL. {@link #close(CommitRecord)} flushes,
 * hsyncs and closes the file like every other part file ({@link PartFiles#createSealedOnClose}); the file becomes part of the table only through an
 * {@link IcebergCommitter} commit.
 */
public final class IcebergPartWriter implements PartWriter {

  private final FileSystem fs;
  private final Path path;
  private final Schema schema;
  private final List<Column> columns;
  private final int[] positions;
  private final DataWriter<Record> writer;
  private final GenericRecord template;
  private long rows;

  /**
   * @param partition the partition every row of the file belongs to, null for an unpartitioned table
   */
  public IcebergPartWriter(Table table, FileSystem fs, Path path, List<Column> columns, StructLike partition)
      throws IOException {
    this.fs = fs instanceof LocalFileSystem local ? local.getRaw() : fs;
    this.path = path;
    this.schema = table.schema();
    this.columns = columns;
    this.positions = new int[columns.size()];
    for (int i = 0; i < columns.size(); i++) {
      positions[i] = fieldPosition(schema, columns.get(i).name());
    }
    this.template = GenericRecord.create(schema);
    this.writer = Parquet.writeData(new SyncedOutputFile(this.fs, path))
        .schema(schema)
        .createWriterFunc(GenericParquetWriter::create)
        .setAll(table.properties())
        .metricsConfig(MetricsConfig.forTable(table))
        .withSpec(table.spec())
        .withPartition(partition)
        .overwrite()
        .build();
  }

  private static int fieldPosition(Schema schema, String name) {
    List<org.apache.iceberg.types.Types.NestedField> fields = schema.columns();
    for (int i = 0; i < fields.size(); i++) {
      if (fields.get(i).name().equals(name)) {
        return i;
      }
    }
    throw new IllegalStateException("the Iceberg table has no column '" + name + "' (its schema: " + schema
        + "); the table was not evolved");
  }

  @Override
  public void write(Object[] values) throws IOException {
    GenericRecord r = template.copy();
    int n = Math.min(values.length, columns.size());
    for (int i = 0; i < n; i++) {
      r.set(positions[i], IcebergSchemas.value(columns.get(i).type(), values[i]));
    }
    writer.write(r);
    rows++;
  }

  @Override
  public long rows() {
    return rows;
  }

  @Override
  public long bytes() {
    return writer.length();
  }

  /**
   * The commit record is not written into the file: an Iceberg data file is committed, with its record, by the
   * table's own metadata ({@link CommitMark}).
   */
  @Override
  public long close(CommitRecord record) throws IOException {
    writer.close();
    DataFile file = writer.toDataFile();
    return file.fileSizeInBytes();
  }

  @Override
  public void abort() {
    try {
      writer.close();
    } catch (IOException | RuntimeException ignored) {
      // the file is deleted next
    }
    try {
      fs.delete(path, false);
    } catch (IOException | RuntimeException ignored) {
      // an uncommitted data file left behind is removed by the next recovery's stray cleanup
    }
  }

  /** Iceberg's output file over a Hadoop stream whose close seals the file (flush, hsync, close). */
  private record SyncedOutputFile(FileSystem fs, Path path) implements OutputFile {
    @Override
    public PositionOutputStream create() {
      return open(false);
    }

    @Override
    public PositionOutputStream createOrOverwrite() {
      return open(true);
    }

    private PositionOutputStream open(boolean overwrite) {
      FSDataOutputStream out;
      try {
        out = PartFiles.createSealedOnClose(fs, path, overwrite);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("cannot create Iceberg data file " + path + ": " + e.getMessage(), e);
      }
      return new PositionOutputStream() {
        @Override
        public long getPos() throws IOException {
          return out.getPos();
        }

        @Override
        public void write(int b) throws IOException {
          out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
          out.close();
        }
      };
    }

    @Override
    public String location() {
      return path.toString();
    }

    @Override
    public org.apache.iceberg.io.InputFile toInputFile() {
      return HadoopInputFile.fromPath(path, fs);
    }
  }
}
